"""The assistant's page (the conversation travels in the form), and the optional language
model that phrases answers through an OpenAI-compatible endpoint."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from steward.catalog.tests.factories import make_dataset

pytestmark = pytest.mark.django_db

PAGE = "/assistant"


@pytest.fixture
def swahili(organization):
    return make_dataset(organization, slug="sauti-za-pwani", name="Sauti za Pwani", locale="sw")


def test_the_page_asks_what_data_is_wanted(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert b'name="message"' in response.content
    assert b'<label for="message">' in response.content


def test_asking_shows_the_datasets_and_keeps_the_conversation_in_the_form(client, swahili):
    response = client.post(PAGE, {"message": "Kiswahili speech recognition"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sauti za Pwani" in html
    assert f"/datasets/{swahili.public_id}" in html
    # Both turns come back as hidden fields, so the next question refines this one.
    assert html.count('name="role"') == 2
    assert 'value="Kiswahili speech recognition"' in html


def test_a_follow_up_refines_the_conversation(client, organization, swahili):
    make_dataset(organization, slug="hausa-radio", name="Muryar Rediyo", locale="ha")
    response = client.post(
        PAGE,
        {
            "role": ["user", "assistant"],
            "content": ["Swahili speech recognition", "Here is 1 dataset…"],
            "message": "what about Hausa?",
        },
    )
    html = response.content.decode()
    assert "Muryar Rediyo" in html
    assert "Sauti za Pwani" not in html.split('id="suggested"')[1]


def test_htmx_gets_only_the_conversation(client, swahili):
    response = client.post(PAGE, {"message": "swahili"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="conversation">')
    assert "<html" not in html


def test_an_empty_message_is_a_form_error(client):
    response = client.post(PAGE, {"message": "  "})
    assert response.status_code == 400
    assert "Write what data you are looking for." in response.content.decode()


def test_a_bad_country_is_a_form_error_not_a_crash(client, swahili):
    response = client.post(PAGE, {"message": "swahili", "country": "ZZ"})
    assert response.status_code == 400
    assert "country" in response.content.decode()


def test_private_datasets_never_show_on_the_page(client, organization, outsider):
    private = make_dataset(
        organization, slug="secret", name="Secret Swahili", locale="sw", visibility="private"
    )
    client.force_login(outsider)
    html = client.post(PAGE, {"message": "Secret Swahili speech"}).content.decode()
    assert private.public_id not in html
    assert ">Secret Swahili</a>" not in html


class _Model(BaseHTTPRequestHandler):
    """A chat-completions endpoint that answers what the test tells it to."""

    reply = ""
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        answer = json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def language_model(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STEWARD_LLM_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.STEWARD_LLM_MODEL = "test-model"
    settings.STEWARD_LLM_API_KEY = "model-key"
    _Model.seen = []
    yield _Model
    server.shutdown()


def _chat(client, text):
    body = {"messages": [{"role": "user", "content": text}]}
    return client.post("/api/assistant/chat", json.dumps(body), content_type="application/json")


def test_a_configured_model_phrases_the_reply(client, swahili, language_model):
    language_model.reply = "Jaribu Sauti za Pwani: unaweza kuipakua sasa."
    body = _chat(client, "Nataka data ya Kiswahili").json()
    assert body["reply"] == "Jaribu Sauti za Pwani: unaweza kuipakua sasa."
    assert [d["slug"] for d in body["datasets"]] == ["sauti-za-pwani"]
    path, authorization, sent = language_model.seen[0]
    assert path == "/v1/chat/completions" and authorization == "Bearer model-key"
    assert sent["model"] == "test-model"
    # The model is given the facts, and told to keep to them.
    assert "Sauti za Pwani" in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "Nataka data ya Kiswahili"}


def test_a_reply_that_drops_a_dataset_is_not_used(client, swahili, language_model):
    language_model.reply = "Try the Imaginary Swahili Corpus!"
    body = _chat(client, "Swahili").json()
    assert "Imaginary" not in body["reply"]
    assert "Sauti za Pwani" in body["reply"]


def test_without_a_reachable_model_the_written_reply_stands(client, swahili, settings):
    settings.STEWARD_LLM_URL = "http://127.0.0.1:9/v1"
    settings.STEWARD_LLM_TIMEOUT = 2
    body = _chat(client, "Swahili").json()
    assert "Sauti za Pwani" in body["reply"]
