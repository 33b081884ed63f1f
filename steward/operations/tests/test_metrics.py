"""/metrics: behind its token; HTTP figures counted by the web processes (added up across
gunicorn workers); domain figures counted in the database, moving when real requests,
downloads, uploads and access decisions happen."""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from steward.catalog.tests.factories import make_dataset
from steward.operations.tests.serving import free_port, server_env
from steward.storage import services as storage_services
from steward.storage.tests.uploads import payload, send_parts, sha256

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-long-enough-to-pass-checks"
ARCHIVE = bytes(range(256)) * 1000


@pytest.fixture
def token(settings):
    settings.STEWARD_METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def parse(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label pairs): value} of an exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, token) -> dict[tuple, float]:
    response = client.get("/metrics", **token)
    assert response.status_code == 200, response.content
    return parse(response.content.decode())


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_without_a_configured_token_there_is_no_metrics_page(client, settings):
    settings.STEWARD_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer", 401),
        (f"Basic {TOKEN}", 401),
        ("Bearer not-the-token", 403),
        (f"Bearer {TOKEN}x", 403),
        (f"Bearer {TOKEN[:-1]}", 403),
    ],
)
def test_the_wrong_token_is_refused(client, token, authorization, status):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == status
    assert b"steward_" not in response.content
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_opens_the_text_exposition(client, token):
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert value(parse(response.content.decode()), "steward_database_up") == 1


def test_requests_are_counted_and_timed_by_route(client, token):
    before = scrape(client, token)
    for _ in range(3):
        assert client.get("/api/health").status_code == 200
    client.get("/api/datasets/no-such-dataset")
    after = scrape(client, token)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("steward_http_requests_total", method="GET", route="api/health", status="200") == 3
    assert (
        moved("steward_http_request_duration_seconds_count", method="GET", route="api/health") == 3
    )
    assert moved("steward_http_request_duration_seconds_sum", method="GET", route="api/health") > 0
    # The pattern, never the path: one series for every dataset.
    route = "api/datasets/<dataset_id>"
    assert moved("steward_http_requests_total", method="GET", route=route, status="404") == 1
    assert "no-such-dataset" not in client.get("/metrics", **token).content.decode()


def test_unknown_paths_and_methods_share_a_label(client, token):
    client.get("/wp-login.php")
    client.get("/static/no-such-file.css")
    client.generic("BREW", "/api/health")
    samples = scrape(client, token)
    assert value(
        samples, "steward_http_requests_total", method="GET", route="unmatched", status="404"
    )
    assert value(samples, "steward_http_requests_total", method="GET", route="static", status="404")
    assert any(
        name == "steward_http_requests_total" and dict(labels)["method"] == "other"
        for name, labels in samples
    )
    assert "wp-login" not in client.get("/metrics", **token).content.decode()


def test_a_download_moves_the_download_figures(client, token, organization, outsider, auth_for):
    dataset = make_dataset(organization, slug="open-speech", archive=ARCHIVE)
    before = scrape(client, token)
    session = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(outsider))
    assert session.status_code == 200
    client.logout()
    served = client.get(session.json()["downloadUrl"])
    assert b"".join(served.streaming_content) == ARCHIVE
    after = scrape(client, token)
    labels = {"channel": "api", "file": "archive"}
    assert value(after, "steward_downloads_total", **labels) == (
        value(before, "steward_downloads_total", **labels) + 1
    )
    assert value(after, "steward_download_bytes_total", **labels) == (
        value(before, "steward_download_bytes_total", **labels) + len(ARCHIVE)
    )


def test_an_upload_moves_the_upload_figures(client, token, owner):
    data = payload(1024)
    upload = storage_services.start_upload(
        owner,
        reference="metrics",
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=len(data),
        mime_type="application/gzip",
    )
    started = scrape(client, token)
    assert value(started, "steward_uploads", status="uploading") == 1
    parts = send_parts(client, upload, data)
    storage_services.complete_upload(upload, parts=parts, checksum=sha256(data))
    done = scrape(client, token)
    assert value(done, "steward_uploads", status="uploading") == 0
    assert value(done, "steward_uploads", status="completed") == 1
    assert value(done, "steward_uploads_completed_total") == 1
    assert value(done, "steward_uploaded_bytes_total") == len(data)


ACCESS_REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationName": "University of Nairobi",
    "organizationType": "academic",
    "intendedUse": "Train a speech recogniser for Lingala.",
    "acceptTerms": True,
}


def test_access_decisions_are_counted_by_outcome(client, token, organization, owner, auth_for):
    from steward.accounts.services import create_user

    dataset = make_dataset(
        organization,
        slug="asked",
        archive=ARCHIVE,
        visibility="restricted",
        autoApproveAccessRequests=False,
    )
    asked = []
    for name in ("asker-one", "asker-two"):
        user = create_user(name, email=f"{name}@example.org", password="a-long-test-password")
        response = client.post(
            f"/api/datasets/{dataset.public_id}/access-requests",
            ACCESS_REQUEST,
            content_type="application/json",
            **auth_for(user),
        )
        assert response.status_code == 201
        asked.append(response.json()["id"])
    waiting = scrape(client, token)
    assert value(waiting, "steward_access_requests_pending") == 2
    assert value(waiting, "steward_access_decisions_total", outcome="approved") == 0

    decide = auth_for(owner)
    approve = client.post(
        f"/api/access-requests/{asked[0]}/approve", content_type="application/json", **decide
    )
    deny = client.post(
        f"/api/access-requests/{asked[1]}/deny",
        {"reason": "Tell us more."},
        content_type="application/json",
        **decide,
    )
    assert approve.status_code == 200 and deny.status_code == 200
    decided = scrape(client, token)
    assert value(decided, "steward_access_requests_pending") == 0
    assert value(decided, "steward_access_decisions_total", outcome="approved") == 1
    assert value(decided, "steward_access_decisions_total", outcome="denied") == 1


def test_the_task_queue_is_measured(client, token):
    from steward.storage.tasks import verify_upload

    assert value(scrape(client, token), "steward_task_queue_depth") == 0
    verify_upload.enqueue(upload_id=1)
    samples = scrape(client, token)
    assert value(samples, "steward_task_queue_depth") == 1
    assert value(samples, "steward_tasks", status="ready") == 1
    assert value(samples, "steward_task_queue_oldest_age_seconds") >= 0


def test_without_the_database_the_http_figures_still_come(tmp_path):
    """A real Steward process whose database does not answer."""
    script = f"""
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST="localhost")
client.get("/api/health")
print(client.get("/metrics", HTTP_AUTHORIZATION="Bearer {TOKEN}").content.decode())
"""
    env = server_env(
        tmp_path,
        f"sqlite:///{tmp_path}/no-such-folder/steward.sqlite3",
        DJANGO_SETTINGS_MODULE="steward.settings",
        STEWARD_METRICS_TOKEN=TOKEN,
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    samples = parse(result.stdout)
    assert value(samples, "steward_database_up") == 0
    assert (
        value(
            samples, "steward_http_requests_total", method="GET", route="api/health", status="200"
        )
        == 1
    )
    assert not any(name.startswith("steward_downloads") for name, _ in samples)


@pytest.mark.live
def test_the_workers_of_steward_serve_add_up_their_figures(tmp_path):
    """gunicorn runs two worker processes; the scrape, answered by one of them, counts the
    requests both answered. Figures of an earlier run are not carried over."""
    home = tmp_path / "home"
    port = free_port()
    folder = Path(tempfile.gettempdir()) / f"steward-metrics-{port}"
    stale = folder / "counter_1.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"figures of an earlier run")
    env = server_env(home, f"sqlite:///{home}/steward.sqlite3", STEWARD_METRICS_TOKEN=TOKEN)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "steward", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, url)
        assert not stale.exists()
        # New connections each time, until both workers have answered some.
        sent = 0
        while len(list(folder.glob("counter_*.db"))) < 2 or sent < 20:
            assert requests.get(f"{url}/api/health", timeout=5).status_code == 200
            sent += 1
            assert sent < 500, "one worker answered every request"
        text = requests.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).text
        counted = value(
            parse(text),
            "steward_http_requests_total",
            method="GET",
            route="api/health",
            status="200",
        )
        # _wait_until_up's own successful request is one more.
        assert counted == sent + 1
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
        shutil.rmtree(folder, ignore_errors=True)
    assert "Traceback" not in output, output


def _wait_until_up(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/api/health", timeout=2)
            return
        except requests.ConnectionError:
            assert server.poll() is None, server.communicate()[0].decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
