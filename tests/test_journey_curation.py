"""The whole curation journey through the web pages, as people would do it: a community
applies, staff approve it, it submits a dataset, staff ask for changes, it resubmits, staff
approve, and the dataset is public. Every email along the way is checked."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from steward.audit.services import verify_chain
from steward.catalog.models import Dataset, Submission
from steward.catalog.tests.submission_factories import description, people, rights, terms
from steward.organizations.models import Organization
from steward.organizations.tests.factories import application_data, make_user

pytestmark = pytest.mark.django_db

CHECKLIST = [
    "rights_cleared",
    "consent_documented",
    "personal_data_assessed",
    "provenance_documented",
    "datasheet_complete",
]


def test_from_application_to_public_dataset(staff, django_capture_on_commit_callbacks):
    applicant = make_user("marie", email="marie@lingala.example.org")
    community, reviewer, visitor = Client(), Client(), Client()
    community.force_login(applicant)
    reviewer.force_login(staff)

    # 1. The community applies; staff hear of it.
    with django_capture_on_commit_callbacks(execute=True):
        response = community.post(reverse("organizations:apply"), application_data())
    assert response.status_code == 302
    organization = Organization.objects.get(slug="lingala-voices")
    assert organization.status == "pending"
    assert mail.outbox[-1].to == ["reviewer@example.org"]

    # Before approval it may not submit anything.
    assert (
        community.post(reverse("catalog:submission-new"), {"name": "Too early"}).status_code == 403
    )

    # 2. Staff approve; the applicant is told.
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(reverse("organizations:review-approve", args=["lingala-voices"]))
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.is_approved
    assert "marie@lingala.example.org" in mail.outbox[-1].to

    # 3. The community fills in the datasheet step by step and submits.
    community.post(reverse("catalog:submission-new"), {"name": "Lingala Radio Speech"})
    submission = Submission.objects.get()
    for step, maker in [
        ("description", description),
        ("terms", terms),
        ("people", people),
        ("rights", rights),
    ]:
        submission.refresh_from_db()
        data = (
            maker(submission, slug="lingala-radio-speech")
            if step == "description"
            else maker(submission)
        )
        url = reverse("catalog:submission-edit", args=[submission.public_id]) + f"?step={step}"
        assert community.post(url, {**data, "then": "next"}).status_code == 302
    submit_url = reverse("catalog:submission-submit", args=[submission.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        community.post(submit_url, {"agreeToSubmit": "on"})
    assert Submission.objects.get().status == "submitted"
    assert mail.outbox[-1].to == ["reviewer@example.org"]

    # 4. Staff ask for changes; the community is told why.
    review_url = reverse("moderation:submission-review", args=[submission.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(
            review_url, {"decision": "request_changes", "reason": "Attach the consent forms."}
        )
    assert Submission.objects.get().status == "edits_requested"
    assert "marie@lingala.example.org" in mail.outbox[-1].to
    assert "Attach the consent forms." in mail.outbox[-1].body

    # 5. The community answers and resubmits.
    submission.refresh_from_db()
    url = reverse("catalog:submission-edit", args=[submission.public_id]) + "?step=rights"
    community.post(url, rights(submission, rightsStatement="Consent forms are in the archive."))
    with django_capture_on_commit_callbacks(execute=True):
        community.post(submit_url, {"agreeToSubmit": "on"})
    assert Submission.objects.get().status == "submitted"

    # 6. Staff approve; the dataset is public on the site and in the API.
    assert Dataset.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(review_url, {"decision": "approve", "checklist": CHECKLIST})
    dataset = Dataset.objects.get()
    assert "approved and is published" in mail.outbox[-1].body
    assert visitor.get("/datasets/lingala-radio-speech").status_code == 200
    api = visitor.get(f"/api/datasets/{dataset.public_id}").json()
    assert api["organization"] == {"name": "Lingala Voices", "slug": "lingala-voices"}
    assert dataset.current_version.datasheet["restrictions"] == "No speaker identification."

    # Every step left an intact trail in the audit log.
    assert verify_chain().ok
