"""Journey 2: a reviewer logs in with a password and an authenticator code, works the
queue (the submission, its file inspection, the checklist, a message), asks for changes;
the organization changes the rights statement and submits again; the reviewer approves and
the dataset is published."""

import io
import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from playwright.sync_api import expect

from steward.catalog.models import Dataset, Submission
from steward.catalog.services import inspect_blob
from steward.catalog.tests.submission_factories import make_submission
from steward.storage.services import store_blob

from .catalogue import speech_archive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# The personas' password, from the root conftest.py.
PASSWORD = "a-long-test-password"


@pytest.fixture
def totp_secret(staff) -> str:
    """The reviewer's authenticator app, with a secret the test can make codes from."""
    Authenticator.objects.filter(user=staff).delete()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


@pytest.fixture
def submission(owner) -> Submission:
    """Submitted by Radio Kinshasa with its archive, which the worker has inspected."""
    submission = make_submission(owner)
    blob = store_blob(
        io.BytesIO(speech_archive()),
        prefix="test",
        filename="lingala-radio-speech.tar.gz",
        content_type="application/gzip",
    )
    Submission.objects.filter(pk=submission.pk).update(
        archive=blob, archive_name="lingala-radio-speech.tar.gz"
    )
    inspect_blob(blob, locale="ln")
    return submission


def log_in_with_code(journey, page, secret: str) -> None:
    page.locator('nav a[href="/accounts/login/"]').click()
    journey.check(page, "log-in", narrow=True)
    page.fill("#id_login", "reviewer")
    page.fill("#id_password", PASSWORD)
    page.locator('form[action^="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    journey.check(page, "authenticator-code", narrow=True)
    page.fill("#id_code", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.locator(
        'form[action^="/accounts/2fa/authenticate/"] button[type="submit"]:not([form])'
    ).click()
    expect(page.locator('nav a[href="/staff/submissions"]')).to_be_visible()


def open_from_queue(journey, page, submission, step: str) -> None:
    page.locator('nav a[href="/staff/submissions"]').click()
    journey.check(page, f"{step}-queue", narrow=True)
    page.locator(f'#queue a[href="/staff/submissions/{submission.public_id}"]').click()
    expect(page.locator("#decision")).to_be_visible()


def decide(page, decision: str, *, ticked: list[str] | None = None, reason: str = "") -> None:
    form = page.locator("form:has(input[name='decision'])")
    boxes = form.locator("input[name='checklist']")
    for n in range(boxes.count()):
        value = boxes.nth(n).get_attribute("value")
        if ticked is None or value in ticked:
            boxes.nth(n).check()
    form.locator(f"input[name='decision'][value='{decision}']").check()
    if reason:
        form.locator("textarea[name='reason']").fill(reason)
    form.locator("button[type='submit']").click()


def request_changes(journey, page, submission) -> None:
    open_from_queue(journey, page, submission, "first")
    # The file inspection's report sits beside the checklist.
    expect(page.locator("#inspection")).to_be_visible()
    expect(page.locator("section.file")).to_contain_text("lingala-radio-speech.tar.gz")
    journey.check(page, "submission-and-validation-report", narrow=True)
    page.locator('form[action$="/start"] button[type="submit"]').click()
    expect(page.locator('form[action$="/start"]')).to_have_count(0)
    assert Submission.objects.get().status == Submission.Status.IN_REVIEW
    journey.check(page, "review-started")

    comments = page.locator("#comments")
    comments.locator("textarea[name='body']").fill("Which consent form did the speakers sign?")
    comments.locator("button[type='submit']").click()
    expect(page.locator("#comments .comment")).to_have_count(1)
    journey.check(page, "comment-sent")

    decide(
        page,
        "request_changes",
        ticked=["provenance_documented", "datasheet_complete", "files_validated"],
        reason="Say in the rights statement which consent form the speakers signed.",
    )
    expect(page.locator("form:has(input[name='decision'])")).to_have_count(0)
    journey.check(page, "changes-requested", narrow=True)
    assert Submission.objects.get().status == Submission.Status.EDITS_REQUESTED


def answer_and_resubmit(journey, owner, submission) -> None:
    page = journey.tab(owner)
    page.locator('nav a[href="/submissions"]').click()
    journey.check(page, "member-submissions")
    page.locator(f'main a[href^="/submissions/{submission.public_id}"]').first.click()
    # What the reviewers asked, and their message.
    expect(page.locator(".decision")).to_be_visible()
    expect(page.locator("#comments .comment")).to_have_count(1)
    journey.check(page, "member-reads-the-request", narrow=True)

    comments = page.locator("#comments")
    comments.locator("textarea[name='body']").fill("The radio's form of 2024, now described.")
    comments.locator("button[type='submit']").click()
    expect(page.locator("#comments .comment")).to_have_count(2)

    page.locator('nav a[href="?step=rights"]').click()
    journey.check(page, "member-fixes-rights")
    page.fill(
        "#id_rightsStatement",
        "Every speaker signed the radio's consent form of 2024 (in the archive, consent/).",
    )
    page.locator('button[name="then"][value="next"]').click()
    expect(page).to_have_url(re.compile(r"step=files"))
    page.locator('main a.button[href="?step=review"]').click()
    journey.check(page, "member-reviews-again")
    page.check("#id_agreeToSubmit")
    page.locator('form[action$="/submit"] button[type="submit"]').click()
    expect(page.locator('form[action$="/submit"]')).to_have_count(0)
    journey.check(page, "member-submitted-again")
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def approve(journey, page, submission) -> None:
    open_from_queue(journey, page, submission, "second")
    journey.check(page, "second-review")
    decide(page, "approve")
    expect(page).to_have_url(re.compile(r"/datasets/"))
    journey.check(page, "published-dataset", narrow=True)


def test_a_reviewer_asks_for_changes_then_publishes(journey, totp_secret, owner, submission):
    reviewer = journey.tab()
    log_in_with_code(journey, reviewer, totp_secret)
    request_changes(journey, reviewer, submission)
    assert "Say in the rights statement" in mail.outbox[-1].body
    answer_and_resubmit(journey, owner, submission)
    approve(journey, reviewer, submission)

    dataset = Dataset.objects.get()
    assert dataset.current_version.number == 1
    assert Submission.objects.get().status == Submission.Status.APPROVED
    assert reviewer.url.endswith(f"/datasets/{dataset.public_id}")
