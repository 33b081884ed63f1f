"""Journey 1: a community member signs up, applies for an organization, a reviewer approves
it, and the member submits a dataset: datasheet, terms (purpose, geography, price), rights
attestation, and an archive sent with the page's resumable upload.

Controls are found by name, value and address rather than by their words, so the journey
reads the same in every language."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from steward.catalog.models import Submission
from steward.organizations.models import Organization
from steward.storage.models import Upload

from .catalogue import speech_archive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "a-long-journey-password"


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(journey, page) -> None:
    page.locator('nav a[href="/accounts/signup/"]').click()
    journey.check(page, "sign-up", narrow=True)
    page.fill("#id_full_name", "Marie Lukusa")
    page.fill("#id_email", "marie@lingala.example.org")
    page.fill("#id_username", "marie")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.select_option("#id_country", "CD")
    page.select_option("#id_organization_type", "non-profit")
    page.locator('form[action="/accounts/signup/"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    journey.check(page, "check-your-email")

    page.goto(confirmation_path(mail.outbox[-1]))
    journey.check(page, "confirm-email")
    page.locator('form[action^="/accounts/confirm-email/"] button[type="submit"]').click()
    page.wait_for_load_state()
    if page.locator("#id_login").count():  # confirmed from another browser: log in
        page.fill("#id_login", "marie")
        page.fill("#id_password", PASSWORD)
        page.locator('form[action^="/accounts/login/"] button[type="submit"]').click()
    expect(page.locator('nav a[href="/organizations/mine"]')).to_be_visible()


def apply_for_organization(journey, page) -> None:
    page.locator('nav a[href="/organizations/mine"]').click()
    journey.check(page, "no-organization-yet")
    page.locator('main a[href="/organizations/apply"]').click()
    journey.check(page, "apply", narrow=True)
    # Sent empty, the form says what is missing next to each field.
    page.locator('form[action="/organizations/apply"] button[type="submit"]').click()
    expect(page.locator("#id_name_error")).to_be_visible()
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    # Marked like every other field in error, not only in words.
    expect(page.locator("#id_name")).to_have_css("border-top-width", "2px")
    journey.check(page, "apply-errors", narrow=True)
    page.fill("#id_name", "Lingala Voices")
    page.fill("#id_slug", "lingala-voices")
    page.fill("#id_description", "Recordings of Lingala speakers in Kinshasa.")
    page.select_option("#id_country", "CD")
    page.fill("#id_website", "https://lingala.example.org")
    page.fill("#id_languages_served", "Lingala, French")
    page.fill("#id_communities_served", "Lingala speakers in Kinshasa and Brazzaville")
    page.fill("#id_motivation", "We want our recordings to train speech models on our terms.")
    page.locator('form[action="/organizations/apply"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/organizations/mine$"))
    journey.check(page, "application-sent")
    assert Organization.objects.get(slug="lingala-voices").status == "pending"


def approve_organization(journey, staff) -> None:
    reviewer = journey.tab(staff)
    reviewer.goto("/staff/organizations")
    journey.check(reviewer, "staff-applications")
    reviewer.locator('main a[href="/staff/organizations/lingala-voices"]').click()
    journey.check(reviewer, "staff-application")
    reviewer.locator('form[action$="/lingala-voices/approve"] button[type="submit"]').click()
    expect(reviewer.locator('form[action$="/lingala-voices/approve"]')).to_have_count(0)
    journey.check(reviewer, "staff-approved")
    assert Organization.objects.get(slug="lingala-voices").is_approved


def next_step(page) -> None:
    page.locator('button[name="then"][value="next"]').click()


def fill_datasheet(journey, page) -> None:
    page.locator('nav a[href="/submissions"]').click()
    journey.check(page, "submissions-empty")
    page.locator('main a[href="/submissions/new"]').click()
    journey.check(page, "new-dataset")
    page.fill("#id_name", "Lingala Radio Speech")
    page.locator("main form button[type='submit']").click()

    expect(page).to_have_url(re.compile(r"step=description"))
    journey.check(page, "description", narrow=True)
    page.fill("#id_shortDescription", "Read speech from a community radio.")
    page.fill("#id_longDescription", "Twelve hours of read speech, recorded in Kinshasa in 2025.")
    page.fill("#id_locale", "ln")
    page.select_option("#id_task", "ASR")
    page.fill("#id_format", "WAV")
    next_step(page)

    expect(page).to_have_url(re.compile(r"step=terms"))
    journey.check(page, "terms", narrow=True)
    page.select_option("#id_licenseAbbreviation", "CC-BY-4.0")
    page.fill("#id_intendedUsage", "Speech recognition for Lingala.")
    page.fill("#id_restrictions", "No speaker identification.")
    page.fill("#id_forbiddenUsage", "Surveillance.")
    page.check('input[name="visibility"][value="restricted"]')
    # Purpose, geography and price: research and education, in Africa, 25 US dollars.
    page.check('input[name="purposes"][value="research"]')
    page.check('input[name="purposes"][value="education"]')
    page.check('input[name="geographyMode"][value="allow"]')
    page.select_option("#id_geographyPlaces", ["AFRICA"])
    page.check("#id_isPaid")
    page.fill("#id_price", "25")
    page.check('input[name="approval"][value="manual"]')
    next_step(page)

    expect(page).to_have_url(re.compile(r"step=people"))
    journey.check(page, "people")
    page.fill("#id_pointOfContactFullName", "Marie Lukusa")
    page.fill("#id_pointOfContactEmail", "marie@lingala.example.org")
    page.check("#id_showContactInfo")
    next_step(page)

    expect(page).to_have_url(re.compile(r"step=rights"))
    journey.check(page, "rights-attestation", narrow=True)
    page.fill("#id_rightsHolder", "Lingala Voices")
    page.check('input[name="consentBasis"][value="informed_consent"]')
    page.fill("#id_rightsStatement", "Every speaker signed the radio's consent form.")
    next_step(page)


def upload_archive(journey, page, tmp_path) -> None:
    expect(page).to_have_url(re.compile(r"step=files"))
    journey.check(page, "files", narrow=True)
    path = tmp_path / "lingala-radio-speech.tar.gz"
    path.write_bytes(speech_archive())
    uploader = page.locator('[data-upload][data-purpose="archive"]')
    uploader.locator("input[type=file]").set_input_files(path)
    expect(page.locator('#attached-files [data-attached="archive"]')).to_have_attribute(
        "data-status", Upload.Status.COMPLETED
    )
    assert uploader.locator("progress").evaluate("bar => bar.value === bar.max")
    journey.check(page, "file-uploaded", narrow=True)
    page.locator('main a.button[href="?step=review"]').click()


def submit_for_review(journey, page) -> None:
    expect(page).to_have_url(re.compile(r"step=review"))
    # Nothing is missing: every step was filled in.
    expect(page.locator("#missing")).to_have_count(0)
    journey.check(page, "review-and-submit", narrow=True)
    page.check("#id_agreeToSubmit")
    page.locator('form[action$="/submit"] button[type="submit"]').click()
    expect(page.locator('form[action$="/submit"]')).to_have_count(0)
    journey.check(page, "submitted", narrow=True)


def test_a_member_signs_up_applies_and_submits_a_dataset(journey, staff, tmp_path):
    page = journey.tab()
    journey.check(page, "home", narrow=True)
    sign_up(journey, page)
    apply_for_organization(journey, page)
    approve_organization(journey, staff)
    page.reload()
    journey.check(page, "organization-approved")
    fill_datasheet(journey, page)
    upload_archive(journey, page, tmp_path)
    submit_for_review(journey, page)

    submission = Submission.objects.get()
    assert submission.status == Submission.Status.SUBMITTED
    assert submission.organization.slug == "lingala-voices"
    assert submission.archive_upload.status == Upload.Status.COMPLETED
    assert submission.rights_holder == "Lingala Voices"
    policy = submission.usage_policy
    assert sorted(policy["purposes"]) == ["education", "research"]
    assert submission.datasheet["base_price_cents"] == 2500
    # The reviewers are told a submission waits.
    assert mail.outbox[-1].to == ["reviewer@example.org"]
