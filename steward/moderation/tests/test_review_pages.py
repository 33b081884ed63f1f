"""The staff pages: the submission queue and the review of one submission."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.catalog.models import Comment, Dataset, Submission
from steward.catalog.tests.submission_factories import make_submission
from steward.moderation.models import Review
from steward.moderation.services import review_submission
from steward.storage.services import store_blob

pytestmark = pytest.mark.django_db

ALL_TICKED = [
    "rights_cleared",
    "consent_documented",
    "personal_data_assessed",
    "provenance_documented",
    "datasheet_complete",
]


@pytest.fixture
def submitted(owner):
    return make_submission(owner)


def review_url(submission) -> str:
    return reverse("moderation:submission-review", args=[submission.public_id])


def snapshot() -> tuple:
    return (
        list(Submission.objects.order_by("pk").values()),
        list(Review.objects.order_by("pk").values()),
        list(Comment.objects.order_by("pk").values()),
        Dataset.objects.count(),
    )


# action -> (method, url maker, form data)
ACTIONS = {
    "queue": ("get", lambda s: reverse("moderation:submission-queue"), None),
    "review-page": ("get", review_url, None),
    "start": ("post", lambda s: reverse("moderation:submission-start", args=[s.public_id]), {}),
    "decide": ("post", review_url, {"decision": "request_changes", "reason": "Add forms."}),
    "approve": ("post", review_url, {"decision": "approve", "checklist": ALL_TICKED}),
    "comment": (
        "post",
        lambda s: reverse("moderation:submission-comment", args=[s.public_id]),
        {"body": "Which consent form?"},
    ),
}
REFUSED = dict.fromkeys(ACTIONS, 404)  # the staff pages are not admitted to exist
MATRIX = {
    "anonymous": dict.fromkeys(ACTIONS, 302),
    "outsider": REFUSED,
    "member": REFUSED,
    "admin": REFUSED,
    "owner": REFUSED,
    "staff": {
        "queue": 200,
        "review-page": 200,
        "start": 302,
        "decide": 302,
        "approve": 302,
        "comment": 302,
    },
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("persona", list(MATRIX))
def test_persona_and_action_table(request, submitted, persona, action):
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    method, url, data = ACTIONS[action]
    before = snapshot()
    response = getattr(client, method)(url(submitted), data or {})
    assert response.status_code == MATRIX[persona][action]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    if persona != "staff":
        assert snapshot() == before


def test_the_queue_is_oldest_first_with_the_waiting_time(client, staff, owner, outsider):
    new = make_submission(outsider, name="New one")
    old = make_submission(owner, name="Old one")
    make_submission(owner, name="Still a draft", submit=False)
    # No clock library here: date the submissions back directly.
    now = timezone.now()
    Submission.objects.filter(pk=old.pk).update(submitted_at=now - timedelta(days=3, hours=1))
    Submission.objects.filter(pk=new.pk).update(submitted_at=now - timedelta(days=1, hours=1))
    client.force_login(staff)
    response = client.get(reverse("moderation:submission-queue"))
    page = response.content.decode()
    assert list(response.context["submissions"]) == [old, new]
    assert page.index("Old one") < page.index("New one")
    assert "waiting 3\xa0days" in page and "waiting 1\xa0day" in page
    assert "Still a draft" not in page


def test_the_queue_charts_how_long_submissions_have_waited(client, staff, owner, outsider):
    from steward.moderation.services import review_queue_ages

    now = timezone.now()
    for days in (0.5, 2, 2.5, 40):
        submission = make_submission(owner)
        Submission.objects.filter(pk=submission.pk).update(submitted_at=now - timedelta(days=days))
    reviewing = make_submission(outsider)
    Submission.objects.filter(pk=reviewing.pk).update(
        submitted_at=now - timedelta(days=10), status=Submission.Status.IN_REVIEW
    )
    make_submission(owner, submit=False)  # a draft waits for nobody
    ages = review_queue_ages(now)
    assert [(a.low, a.submitted, a.in_review) for a in ages] == [
        (0, 1, 0), (1, 2, 0), (3, 0, 0), (7, 0, 1), (14, 0, 0), (28, 1, 0)
    ]  # fmt: skip
    client.force_login(staff)
    page = client.get(reverse("moderation:submission-queue")).content.decode()
    assert 'id="queue-age-chart' in page
    assert "5 submissions wait for review; the longest have waited 4 weeks or more." in page
    assert '<th scope="row">1–3 days</th>' in page


def test_an_empty_queue_draws_no_chart(client, staff):
    client.force_login(staff)
    page = client.get(reverse("moderation:submission-queue")).content.decode()
    assert "queue-age-chart" not in page


def test_the_queue_filters_by_status_and_organization(client, staff, owner, outsider):
    ours = make_submission(owner, name="Ours")
    theirs = make_submission(outsider, name="Theirs")
    review_submission(theirs, reviewer=staff, decision="reject", checklist={}, reason="No.")
    client.force_login(staff)
    url = reverse("moderation:submission-queue")

    def shown(**params) -> list:
        return list(client.get(url, params).context["submissions"])

    assert shown() == [ours]
    assert shown(status="rejected") == [theirs]
    assert shown(status="rejected", organization="radio-kinshasa") == []
    assert shown(organization="radio-kinshasa") == [ours]
    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 400 and list(response.context["submissions"]) == [ours]


def test_the_queue_filter_answers_htmx_with_the_table_alone(client, staff, submitted):
    client.force_login(staff)
    response = client.get(reverse("moderation:submission-queue"), HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="queue"')
    assert "<html" not in fragment and "Lingala Radio Speech" in fragment


def test_the_review_page_shows_everything_a_reviewer_needs(client, staff, owner):
    submission = make_submission(owner, submit=False, rightsStatement="Signed consent forms.")
    archive = store_blob(
        io.BytesIO(b"x" * 2048), prefix="test", filename="a.tar.gz", content_type="application/gzip"
    )
    Submission.objects.filter(pk=submission.pk).update(archive=archive, archive_name="a.tar.gz")
    from steward.catalog.services import submit_submission

    submit_submission(submission, actor=owner, agree_to_submit=True)
    client.force_login(staff)
    page = client.get(review_url(submission)).content.decode()
    for text in [
        "Twelve hours of read speech recorded in 2025.",  # the datasheet
        "No speaker identification.",
        "Marie Ilunga",
        "Informed consent of every person in the data",  # the attestation
        "Signed consent forms.",
        "a.tar.gz",  # the files
        "2.0\xa0KB",
        archive.sha256,
        "The files are validated",  # a checklist item that applies only with files
        "Start the review",
    ]:
        assert text in page, text


def test_a_submission_without_files_says_so_and_skips_the_file_check(client, staff, submitted):
    client.force_login(staff)
    page = client.get(review_url(submitted)).content.decode()
    assert "No files." in page and "The files are validated" not in page


def test_starting_the_review(client, staff, submitted):
    client.force_login(staff)
    url = reverse("moderation:submission-start", args=[submitted.public_id])
    assert client.post(url).status_code == 302
    assert Submission.objects.get().status == "in_review"
    page = client.get(review_url(submitted)).content.decode()
    assert "Start the review" not in page and "Record the decision" in page
    # Taking it again changes nothing.
    assert client.post(url).status_code == 302


def test_approval_needs_the_whole_checklist(client, staff, submitted):
    client.force_login(staff)
    before = snapshot()
    response = client.post(
        review_url(submitted), {"decision": "approve", "checklist": ALL_TICKED[:-1]}
    )
    assert response.status_code == 400
    error = response.content.decode().split('id="id_checklist_error"')[1].split("</div>")[0]
    assert "tick every item" in error and "datasheet_complete" in error
    assert snapshot() == before


def test_changes_and_rejections_need_a_reason(client, staff, submitted):
    client.force_login(staff)
    before = snapshot()
    for decision in ("request_changes", "reject"):
        response = client.post(review_url(submitted), {"decision": decision, "reason": " "})
        assert response.status_code == 400
        assert 'id="id_reason_error"' in response.content.decode()
    response = client.post(review_url(submitted), {"reason": "x"})
    assert response.status_code == 400 and 'id="id_decision_error"' in response.content.decode()
    assert snapshot() == before


def test_a_decided_submission_takes_no_further_decision(client, staff, submitted):
    review_submission(submitted, reviewer=staff, decision="reject", checklist={}, reason="No.")
    client.force_login(staff)
    page = client.get(review_url(submitted)).content.decode()
    assert "Record the decision" not in page and "No." in page  # the previous review
    before = snapshot()
    response = client.post(review_url(submitted), {"decision": "approve", "checklist": ALL_TICKED})
    assert response.status_code == 400 and "cannot become" in response.content.decode()
    assert snapshot() == before


def test_approving_a_private_dataset_returns_to_the_review(client, staff, owner):
    submission = make_submission(owner, visibility="private")
    client.force_login(staff)
    response = client.post(review_url(submission), {"decision": "approve", "checklist": ALL_TICKED})
    # Staff cannot see a private dataset's page, so they stay on the review.
    assert response["Location"] == review_url(submission)
    assert Submission.objects.get().status == "approved"


def test_staff_comments_reach_the_organization(
    client, staff, submitted, django_capture_on_commit_callbacks
):
    from django.core import mail

    client.force_login(staff)
    url = reverse("moderation:submission-comment", args=[submitted.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Which consent form?"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Which consent form?" in response.content.decode()
    assert Comment.objects.get().by_staff is True
    assert mail.outbox[-1].to == ["owner@example.org"]
    page = client.get(review_url(submitted)).content.decode()
    assert "Which consent form?" in page and "(reviewer)" in page


def test_deleted_and_unknown_submissions_are_404(client, staff, owner):
    from steward.catalog.services import delete_submission

    submission = make_submission(owner)
    delete_submission(submission, actor=owner)
    client.force_login(staff)
    assert client.get(review_url(submission)).status_code == 404
    assert client.get("/staff/submissions/cnotarealsubmission000000").status_code == 404


def test_the_queue_costs_the_same_queries_for_one_or_many(client, staff, owner, outsider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_submission(owner)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("moderation:submission-queue"))
    for name in ("Second", "Third"):
        make_submission(outsider, name=name)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("moderation:submission-queue"))
    assert len(response.context["submissions"]) == 3
    assert len(many) == len(one)
