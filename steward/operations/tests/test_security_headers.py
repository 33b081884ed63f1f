"""Hardening: the Content-Security-Policy and the other security headers on every response,
pages without inline script or style, uploaded files that a browser never renders as a page
of the site, secrets read from files, and `steward check --deploy` clean in production."""

import io
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from steward.accounts.services import create_api_key
from steward.catalog.services import VersionFiles, publish_dataset
from steward.catalog.tests.factories import make_dataset, make_sheet
from steward.operations import security
from steward.storage.services import store_blob

pytestmark = pytest.mark.django_db

STEWARD = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: sources}."""
    return {
        name: sources
        for name, *sources in (
            part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()
        )
    }


@pytest.fixture(autouse=True)
def _fresh_policy():
    # The page policy is cached per settings; tests change the settings.
    security._page_policy.cache_clear()
    yield
    security._page_policy.cache_clear()


@pytest.fixture
def dataset(organization):
    return make_dataset(organization, slug="open-speech", archive=b"archive bytes")


PAGES = ["/", "/datasets", "/languages", "/assistant", "/accounts/login/", "/api/docs"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_only_their_own_scripts_and_styles(client, dataset, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


@pytest.mark.parametrize("path", [*PAGES, "/datasets/open-speech"])
def test_pages_have_no_inline_script_handler_or_style(client, dataset, path):
    html = client.get(path).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not EVENT_HANDLER.search(html)
    assert not INLINE_STYLE.search(html)


def test_no_template_has_inline_script_handler_or_style():
    """The Content-Security-Policy would block them: scripts and styles go in static files."""
    offenders = []
    for template in STEWARD.rglob("templates/**/*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, INLINE_STYLE):
            offenders += [
                f"{template.relative_to(STEWARD)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert offenders == []


def test_htmx_injects_no_style_of_its_own(client):
    html = client.get("/").content.decode()
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", html).group(1))
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False
    # Settling a swap would otherwise copy style attributes with setAttribute, which is blocked.
    assert "style" not in config["attributesToSettle"]


def test_api_answers_and_files_get_a_policy_that_renders_nothing(client, dataset):
    for path in ("/api/health", "/api/datasets", "/static/steward/steward.css", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == security.NOT_A_PAGE_POLICY, path


def test_s3_and_stripe_origins_are_allowed_where_configured(client, s3_storage, settings):
    settings.STEWARD_PAYMENT_PROVIDER = "stripe"
    settings.STEWARD_STRIPE_API_BASE = ""
    csp = policy(client.get("/"))
    store = settings.STEWARD_S3_ENDPOINT  # moto's address
    # Upload parts are PUT there, and a download's redirect ends there.
    assert csp["connect-src"] == ["'self'", store, "https://api.stripe.com"]
    assert csp["form-action"] == ["'self'", store]
    assert csp["script-src"] == ["'self'", "https://js.stripe.com"]
    assert csp["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]


def test_a_stripe_protocol_server_is_allowed_instead_of_stripe(client, settings):
    settings.STEWARD_PAYMENT_PROVIDER = "stripe"
    settings.STEWARD_STRIPE_API_BASE = "http://127.0.0.1:8420/"
    csp = policy(client.get("/"))
    assert csp["script-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert "https://js.stripe.com" not in " ".join(sum(csp.values(), []))


def test_the_manual_provider_allows_no_payment_origin(client):
    csp = policy(client.get("/"))
    assert csp["frame-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]


# Uploaded files


@pytest.mark.parametrize("name", ["page.html", "image.svg", "page.html.gz"])
def test_only_archives_can_be_uploaded(client, owner, name):
    """No file is stored under a name a browser would open as a page or an image."""
    from steward.catalog.tests.submission_factories import make_submission

    draft = make_submission(owner, submit=False)
    response = client.post(
        "/api/uploads",
        {
            "submissionId": draft.public_id,
            "filename": name,
            "fileSize": 100,
            "mimeType": "application/gzip",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {create_api_key(owner)[1]}",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "filename"


# What any archive's bytes could be: a page of the site's origin, or an image with a script.
HOSTILE = {
    "html": b"<!doctype html><script>fetch('/account/')</script><h1>Steward</h1>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
}


def publish_archive(organization, slug: str, content: bytes):
    """A published dataset whose archive holds `content`, recorded with the type it claimed."""
    files = VersionFiles()
    files.archive = store_blob(
        io.BytesIO(content), prefix="test", filename=f"{slug}.tar.gz", content_type="text/html"
    )
    files.archive_name = f"{slug}.tar.gz"
    return publish_dataset(organization, sheet=make_sheet(name=slug), slug=slug, files=files)


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_file_holding_a_page_comes_back_as_an_attachment_that_runs_nothing(
    client, organization, outsider, auth_for, kind
):
    dataset = publish_archive(organization, f"hostile-{kind}", HOSTILE[kind])
    session = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(outsider))
    assert session.status_code == 200, session.content
    client.logout()
    response = client.get(session.json()["downloadUrl"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == HOSTILE[kind]
    # A download, not a page: saved under its name, never shown...
    assert response["Content-Disposition"].startswith("attachment;")
    # ...of a type no browser renders, which it may not second-guess...
    assert response["Content-Type"] == "application/gzip"
    assert response["X-Content-Type-Options"] == "nosniff"
    # ...and were it opened anyway, a sandbox of its own origin that runs and loads nothing.
    csp = policy(response)
    assert "sandbox" in csp and csp["default-src"] == ["'none'"]


def test_a_file_in_s3_is_served_by_the_bucket_as_an_attachment(
    client, s3_storage, organization, outsider, auth_for
):
    dataset = publish_archive(organization, "hostile-html", HOSTILE["html"])
    session = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(outsider))
    client.logout()
    location = client.get(session.json()["downloadUrl"])["Location"]
    # The bytes come from the bucket's origin, never the site's...
    assert urlsplit(location).netloc == urlsplit(s3_storage.meta.endpoint_url).netloc
    query = parse_qs(urlsplit(location).query)
    assert query["response-content-type"] == ["application/gzip"]
    assert query["response-content-disposition"][0].startswith("attachment;")
    # ...and the store answers with those headers.
    stored = requests.get(location, timeout=10)
    assert stored.content == HOSTILE["html"]
    assert stored.headers["Content-Disposition"].startswith("attachment;")
    assert stored.headers["Content-Type"] == "application/gzip"


# Production settings, in a real process


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.pop("DATABASE_URL", None)
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "steward.settings",
        "STEWARD_HOME": str(tmp_path),
        "STEWARD_BASE_URL": "https://steward.example.org",
        "STEWARD_SECRET_KEY": secrets.token_urlsafe(50),
        **extra,
    }


def steward_check(env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "steward", "check", "--deploy", "--json", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {"returncode": result.returncode, **json.loads(result.stdout)}


def test_deploy_checks_are_clean_in_production(tmp_path):
    env = production_env(tmp_path, STEWARD_METRICS_TOKEN=secrets.token_urlsafe(32))
    report = steward_check(env)
    assert report["messages"] == [] and report["ok"] and report["returncode"] == 0


def test_deploy_checks_speak_up(tmp_path):
    """The same check fails on what production must not have (so it can fail at all)."""
    report = steward_check(
        production_env(
            tmp_path,
            STEWARD_DEBUG="true",
            STEWARD_METRICS_TOKEN="short",
            STEWARD_LOG_FORMAT="xml",
        )
    )
    assert report["returncode"] == 1
    ids = {message["id"] for message in report["messages"]}
    assert {"security.W018", "steward.W120", "steward.W121"} <= ids


HEADERS_SCRIPT = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="steward.example.org")
secure = client.get("/api/health", secure=True)
plain = client.get("/datasets")
print(json.dumps({
    "hsts": secure.get("Strict-Transport-Security"),
    "redirect": [plain.status_code, plain.get("Location")],
}))
"""


def test_https_turns_on_hsts_and_the_redirect(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", HEADERS_SCRIPT],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["redirect"] == [301, "https://steward.example.org/datasets"]


SECRETS = [
    "STEWARD_SECRET_KEY",
    "DATABASE_URL",
    "STEWARD_S3_ACCESS_KEY_ID",
    "STEWARD_S3_SECRET_ACCESS_KEY",
    "STEWARD_EMAIL_URL",
    "STEWARD_EMAIL_PASSWORD",
    "STEWARD_STRIPE_SECRET_KEY",
    "STEWARD_STRIPE_WEBHOOK_SECRET",
    "STEWARD_LLM_API_KEY",
    "STEWARD_METRICS_TOKEN",
    "STEWARD_REDIS_URL",
]
SETTINGS_SCRIPT = """
import json
from django.conf import settings
print(json.dumps({
    "STEWARD_SECRET_KEY": settings.SECRET_KEY,
    "DATABASE_URL": settings.DATABASES["default"]["NAME"],
    "STEWARD_S3_ACCESS_KEY_ID": settings.STEWARD_S3_ACCESS_KEY_ID,
    "STEWARD_S3_SECRET_ACCESS_KEY": settings.STEWARD_S3_SECRET_ACCESS_KEY,
    "STEWARD_EMAIL_URL": settings.EMAIL_HOST,
    "STEWARD_EMAIL_PASSWORD": settings.EMAIL_HOST_PASSWORD,
    "STEWARD_STRIPE_SECRET_KEY": settings.STEWARD_STRIPE_SECRET_KEY,
    "STEWARD_STRIPE_WEBHOOK_SECRET": settings.STEWARD_STRIPE_WEBHOOK_SECRET,
    "STEWARD_LLM_API_KEY": settings.STEWARD_LLM_API_KEY,
    "STEWARD_METRICS_TOKEN": settings.STEWARD_METRICS_TOKEN,
    "STEWARD_REDIS_URL": settings.STEWARD_REDIS_URL,
}))
"""


def test_every_secret_can_come_from_a_file(tmp_path):
    """Container platforms mount secrets as files: NAME_FILE names the file."""
    values = {name: f"from-file-{name.lower()}" for name in SECRETS}
    values["DATABASE_URL"] = f"sqlite:///{tmp_path}/from-file.sqlite3"
    values["STEWARD_EMAIL_URL"] = "smtp+tls://mailer@mail-from-file.example.org:587"
    env = production_env(tmp_path)
    for name in SECRETS:
        env.pop(name, None)
        path = tmp_path / f"{name.lower()}.secret"
        path.write_text(values[name] + "\n")
        env[f"{name}_FILE"] = str(path)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SETTINGS_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {
        **values,
        "DATABASE_URL": f"{tmp_path}/from-file.sqlite3",
        "STEWARD_EMAIL_URL": "mail-from-file.example.org",
    }
    assert read == expected


def test_settings_read_secrets_only_through_env_secret():
    """A secret read with env_str or os.environ would not take NAME_FILE."""
    source = (STEWARD / "settings.py").read_text()
    plain_reads = re.findall(r"(?:env_str|env_int|os\.environ\.get)\(\s*\"([A-Z_]+)\"", source)
    secret_like = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY|DATABASE_URL|EMAIL_URL")
    assert [name for name in plain_reads if secret_like.search(name)] == []
