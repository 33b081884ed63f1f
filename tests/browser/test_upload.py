"""The web form uploads an archive in a real browser (Debian's Chromium, driven by
Playwright) against a live server: in parts, with progress, and resuming after a reload
with only the missing parts."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from steward.catalog.models import Submission
from steward.catalog.tests.submission_factories import make_submission
from steward.storage import services as storage_services
from steward.storage.models import Upload
from steward.storage.tests.uploads import MiB, archive, sha256

from .journey import TIMEOUT_MS, watch_csp

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def page(chromium, live_server, owner):
    """A browser tab signed in as the organization's owner."""
    client = Client()
    client.force_login(owner)
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    blocked: list[str] = []
    watch_csp(context, blocked)
    page = context.new_page()
    yield page
    context.close()
    assert not blocked, "\n".join(["Blocked by the CSP:", *blocked])


@pytest.fixture
def draft(owner) -> Submission:
    return make_submission(owner, submit=False)


@pytest.fixture
def archive_file(tmp_path):
    """An 11 MiB .tar.gz: three parts of 5, 5 and 1 MiB."""
    data = archive(11 * MiB)
    path = tmp_path / "lingala-radio-speech.tar.gz"
    path.write_bytes(data)
    assert len(data) > 10 * MiB
    return path, data


def files_step(live_server, submission) -> str:
    url = reverse("catalog:submission-edit", args=[submission.public_id])
    return f"{live_server.url}{url}?step=files"


def part_number(url: str) -> int:
    """The part a local part URL was signed for."""
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    return signing.loads(token, salt=storage_services.PART_TOKEN_SALT)["n"]


def record_puts(page) -> list[int]:
    """The part number of every PUT the page sends from now on."""
    numbers: list[int] = []

    def on_request(request):
        if request.method == "PUT":
            numbers.append(part_number(request.url))

    page.on("request", on_request)
    return numbers


def uploader(page, purpose: str = "archive"):
    return page.locator(f'[data-upload][data-purpose="{purpose}"]')


def wait_until_uploaded(page, name: str) -> None:
    expect(uploader(page).locator("[data-status]")).to_contain_text(f"{name} is uploaded")


def assert_archive_attached(submission: Submission, data: bytes) -> Upload:
    submission.refresh_from_db()
    upload = submission.archive_upload
    assert upload is not None and upload.status == Upload.Status.COMPLETED
    assert upload.claimed_sha256 == sha256(data)
    assert upload.blob.sha256 == sha256(data) and upload.blob.size_bytes == len(data)
    assert submission.archive_id == upload.blob_id
    return upload


def interrupt_after_one_part(page, live_server, draft, path) -> tuple[int, list[int]]:
    """Upload with the network failing for every part but the first to go out; returns
    that part and the part number of every PUT tried."""
    tried: list[int] = []

    def flaky(route):
        number = part_number(route.request.url)
        tried.append(number)
        if number == tried[0]:
            route.continue_()
        else:
            route.abort("connectionfailed")

    page.route("**/files/parts/**", flaky)
    page.goto(files_step(live_server, draft))
    uploader(page).locator("input[type=file]").set_input_files(path)
    expect(uploader(page).locator("[data-error]")).to_contain_text("The connection failed")
    page.unroute("**/files/parts/**")
    return tried[0], tried


def test_the_browser_uploads_an_archive_in_parts(page, live_server, draft, archive_file):
    path, data = archive_file
    puts = record_puts(page)
    page.goto(files_step(live_server, draft))
    # With JavaScript, the uploader replaces the explanation for browsers without it.
    expect(page.locator("[data-upload-fallback]")).to_be_hidden()
    expect(uploader(page)).to_be_visible()

    uploader(page).locator("input[type=file]").set_input_files(path)
    wait_until_uploaded(page, path.name)

    assert sorted(puts) == [1, 2, 3]
    assert_archive_attached(draft, data)
    progress = uploader(page).locator("progress")
    assert progress.evaluate("p => p.value === p.max")
    # The table of attached files was fetched again, and the saved state is gone.
    row = page.locator('#attached-files [data-attached="archive"]')
    expect(row).to_contain_text(path.name)
    expect(row).to_contain_text("Received and verified")
    assert page.evaluate("Object.keys(localStorage)") == []


def test_a_reload_resumes_with_only_the_missing_parts(page, live_server, draft, archive_file):
    path, data = archive_file
    first, tried = interrupt_after_one_part(page, live_server, draft, path)
    missing = sorted({1, 2, 3} - {first})
    # Each failed part was tried three times (two retries) before the upload gave up.
    assert sorted(tried) == sorted([first, *missing * 3])
    started = Upload.objects.get()
    assert started.status == Upload.Status.UPLOADING
    assert [p.number for p in storage_services.list_parts(started)] == [first]

    page.reload()
    resume = uploader(page).locator("[data-resume]")
    expect(resume).to_be_visible()
    expect(resume.get_by_role("button", name=f"Resume upload of {path.name}")).to_be_visible()

    puts = record_puts(page)
    uploader(page).locator("input[type=file]").set_input_files(path)
    wait_until_uploaded(page, path.name)

    assert sorted(puts) == missing
    upload = assert_archive_attached(draft, data)
    assert upload.pk == started.pk  # the same upload, resumed
    expect(resume).to_be_hidden()


def test_an_expired_upload_starts_over(page, live_server, draft, archive_file):
    path, data = archive_file
    interrupt_after_one_part(page, live_server, draft, path)
    abandoned = Upload.objects.get()
    storage_services.abort_upload(abandoned)

    page.reload()
    puts = record_puts(page)
    uploader(page).locator("input[type=file]").set_input_files(path)
    wait_until_uploaded(page, path.name)

    # The server answered 410 for the old upload; the page forgot it and sent everything.
    assert sorted(puts) == [1, 2, 3]
    upload = assert_archive_attached(draft, data)
    assert upload.pk != abandoned.pk


def test_an_interrupted_upload_can_be_discarded(page, live_server, draft, archive_file):
    path, _ = archive_file
    interrupt_after_one_part(page, live_server, draft, path)
    page.reload()
    resume = uploader(page).locator("[data-resume]")
    resume.get_by_role("button", name="Discard it").click()
    expect(uploader(page).locator("[data-status]")).to_contain_text("was discarded")
    expect(resume).to_be_hidden()
    assert page.evaluate("Object.keys(localStorage)") == []
    assert Upload.objects.get().status == Upload.Status.ABORTED


def test_stopping_keeps_the_upload_for_later(page, live_server, draft, tmp_path):
    path = tmp_path / "five-parts.tar.gz"
    path.write_bytes(archive(21 * MiB))
    held = []

    def stall(route):
        held.append(route)  # never answered, as on a stalled connection

    page.route("**/files/parts/**", stall)
    page.goto(files_step(live_server, draft))
    uploader(page).locator("input[type=file]").set_input_files(path)
    for _ in range(100):
        if len(held) == 3:
            break
        page.wait_for_timeout(100)  # routes are handled while Playwright waits
    page.wait_for_timeout(500)
    # Of five parts, three are in flight at once and the others wait their turn.
    assert len(held) == 3
    uploader(page).get_by_role("button", name="Stop the upload").click()
    expect(uploader(page).locator("[data-status]")).to_contain_text("Stopped.")
    expect(uploader(page).locator("[data-error]")).to_be_hidden()
    expect(uploader(page).locator("[data-resume]")).to_be_visible()
    assert Upload.objects.get().status == Upload.Status.UPLOADING


def test_the_browser_uploads_a_sample(page, live_server, draft, tmp_path):
    data = archive(64 * 1024)
    path = tmp_path / "lingala-radio-speech-sample.tgz"
    path.write_bytes(data)
    page.goto(files_step(live_server, draft))
    uploader(page, "sample").locator("input[type=file]").set_input_files(path)
    expect(uploader(page, "sample").locator("[data-status]")).to_contain_text(
        f"{path.name} is uploaded"
    )
    draft.refresh_from_db()
    assert draft.sample_upload.status == Upload.Status.COMPLETED
    assert draft.sample.sha256 == sha256(data) and draft.archive_upload is None


def test_a_wrong_file_is_refused_in_words(page, live_server, draft, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not an archive")
    page.goto(files_step(live_server, draft))
    api_calls = []
    page.on("request", lambda request: "/api/" in request.url and api_calls.append(request))
    uploader(page).locator("input[type=file]").set_input_files(path)
    expect(uploader(page).locator("[data-error]")).to_contain_text(
        "notes.txt is not a .tar.gz or .tgz file"
    )
    # Refused before anything was sent.
    assert api_calls == []
    assert not Upload.objects.exists()
