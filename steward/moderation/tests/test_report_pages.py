"""The report pages: anyone reports a dataset, staff triage it, the organization answers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset
from steward.moderation.models import Report
from steward.moderation.services import dismiss_report, report_dataset, take_down

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "member", "admin", "owner", "staff"]
LOGIN_URL = reverse("account_login")
REPORT = {
    "kind": "consent",
    "details": "I never agreed to this recording of my voice.",
    "email": "speaker@example.org",
}


def _report(dataset, **overrides) -> Report:
    args = {"reporter": None, **REPORT, **overrides}
    return report_dataset(dataset, **args)


@pytest.fixture
def world(organization, owner, admin, member, outsider, staff, anonymous):
    """A listed dataset with an open report, and a dataset already taken down."""
    dataset = make_dataset(organization, slug="lingala-radio", archive=b"bytes")
    report = _report(dataset)
    removed = make_dataset(organization, slug="old-archive", name="Old archive")
    closed = take_down(_report(removed), actor=staff, public_reason="Consent withdrawn.")
    mail.outbox.clear()
    return {
        "dataset": dataset,
        "report": report,
        "closed": closed,
        "personas": {
            "anonymous": anonymous,
            "outsider": outsider,
            "member": member,
            "admin": admin,
            "owner": owner,
            "staff": staff,
        },
    }


def snapshot() -> tuple:
    return (
        list(Report.objects.order_by("pk").values()),
        list(Dataset.objects.order_by("pk").values_list("pk", "status", "removal_reason")),
        AuditEvent.objects.filter(action__startswith="moderation.").count(),
        AuditEvent.objects.count(),
    )


def _url(name: str, world, key: str = "report") -> str:
    return reverse(f"moderation:{name}", args=[world[key].pk])


ACTIONS = {
    "report form": lambda c, w: c.get(
        reverse("moderation:report-new", args=[w["dataset"].public_id])
    ),
    "report": lambda c, w: c.post(
        reverse("moderation:report-new", args=[w["dataset"].public_id]), REPORT
    ),
    "report list": lambda c, w: c.get(reverse("moderation:report-list")),
    "report detail": lambda c, w: c.get(_url("report-detail", w)),
    "take down": lambda c, w: c.post(
        _url("report-take-down", w), {"public_reason": "Removed after a consent claim."}
    ),
    "dismiss": lambda c, w: c.post(
        _url("report-dismiss", w), {"resolution": "The speakers signed consent forms."}
    ),
    "restore": lambda c, w: c.post(_url("report-restore", w, "closed")),
    "answer page": lambda c, w: c.get(_url("report-answer", w)),
    "answer": lambda c, w: c.post(
        _url("report-answer", w), {"response": "Every speaker signed a consent form."}
    ),
}
# The status each persona gets, in PERSONAS order. Staff pages are not admitted to exist.
EXPECTED = {
    "report form": [200, 200, 200, 200, 200, 200],
    "report": [302, 302, 302, 302, 302, 302],
    "report list": [302, 404, 404, 404, 404, 200],
    "report detail": [302, 404, 404, 404, 404, 200],
    "take down": [302, 404, 404, 404, 404, 302],
    "dismiss": [302, 404, 404, 404, 404, 302],
    "restore": [302, 404, 404, 404, 404, 302],
    "answer page": [302, 404, 404, 200, 200, 404],
    "answer": [302, 404, 404, 302, 302, 404],
}
PUBLIC = {"report form", "report"}
WRITES = {"report", "take down", "dismiss", "restore", "answer"}
CASES = [
    pytest.param(action, persona, EXPECTED[action][i], id=f"{action}-{persona}")
    for action in ACTIONS
    for i, persona in enumerate(PERSONAS)
]


def test_every_action_has_expectations_for_every_persona():
    assert set(EXPECTED) == set(ACTIONS)
    assert all(len(statuses) == len(PERSONAS) for statuses in EXPECTED.values())


@pytest.mark.parametrize(("action", "persona", "expected"), CASES)
def test_persona_may_or_may_not(client, world, action, persona, expected):
    user = world["personas"][persona]
    if user.is_authenticated:
        client.force_login(user)
    before = snapshot()

    response = ACTIONS[action](client, world)

    assert response.status_code == expected
    if persona == "anonymous" and action not in PUBLIC:
        assert response["Location"].startswith(LOGIN_URL)
    refused = expected >= 400 or (persona == "anonymous" and action not in PUBLIC)
    if refused or action not in WRITES:
        assert snapshot() == before
    else:
        assert snapshot() != before


def test_the_whole_takedown_flow_through_the_pages(
    world, owner, staff, django_capture_on_commit_callbacks
):
    dataset = world["dataset"]
    Report.objects.all().delete()
    anonymous, reviewer, organization = Client(), Client(), Client()
    reviewer.force_login(staff)
    organization.force_login(owner)
    page_url = reverse("catalog:dataset-detail", args=[dataset.public_id])
    report_url = reverse("moderation:report-new", args=[dataset.public_id])

    # Anyone finds the form from the dataset page; staff hear of the report at once.
    assert report_url in anonymous.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(report_url, REPORT, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    assert "Thank you; the platform&#x27;s staff will look at it." in response.content.decode()
    report = Report.objects.get()
    assert (report.status, report.reporter, report.reporter_email) == (
        "open",
        None,
        "speaker@example.org",
    )
    assert mail.outbox[-1].to == ["reviewer@example.org"]
    assert "I never agreed" in mail.outbox[-1].body

    # Staff see it in the queue and take the dataset down with a public reason.
    assert report in reviewer.get(reverse("moderation:report-list")).context["reports"]
    detail_url = reverse("moderation:report-detail", args=[report.pk])
    detail = reviewer.get(detail_url).content.decode()
    assert "speaker@example.org" in detail and "This hides the dataset at once" in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(
            reverse("moderation:report-take-down", args=[report.pk]),
            {"public_reason": "Removed after a consent claim."},
        )
    assert response.status_code == 302 and response["Location"] == detail_url
    assert mail.outbox[-1].to == ["owner@example.org"]

    # The dataset answers 410 with the reason, on its page and in the API.
    page = anonymous.get(page_url)
    assert page.status_code == 410 and "Removed after a consent claim." in page.content.decode()
    api = anonymous.get(f"/api/datasets/{dataset.slug}")
    assert api.status_code == 410 and api.json()["error"] == "Removed after a consent claim."

    # The organization reads the report, without the reporter's address, and answers.
    answer_url = reverse("moderation:report-answer", args=[report.pk])
    answer_page = organization.get(answer_url).content.decode()
    assert "I never agreed" in answer_page and "Removed after a consent claim." in answer_page
    assert "speaker@example.org" not in answer_page
    with django_capture_on_commit_callbacks(execute=True):
        response = organization.post(answer_url, {"response": "Every speaker signed a form."})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["reviewer@example.org"]
    assert "Every speaker signed a form." in reviewer.get(detail_url).content.decode()

    # Staff restore the dataset: it is listed again.
    response = reviewer.post(reverse("moderation:report-restore", args=[report.pk]))
    assert response.status_code == 302
    assert anonymous.get(page_url).status_code == 200
    assert anonymous.get(f"/api/datasets/{dataset.slug}").status_code == 200
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-5:] == [
        "moderation.report.created",
        "catalog.dataset.removed",
        "moderation.report.taken_down",
        "moderation.report.answered",
        "catalog.dataset.restored",
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"details": ""}, "details", "This field is required."),
        ({"details": "Too short"}, "details", "at least 10 characters"),
        ({"kind": "spam"}, "kind", "Select a valid choice."),
        ({"kind": ""}, "kind", "This field is required."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "nope"}, "email", "Enter a valid email address."),
    ],
)
def test_a_bad_report_shows_form_errors_and_saves_nothing(
    client, world, data, field, message, django_capture_on_commit_callbacks
):
    before = snapshot()
    url = reverse("moderation:report-new", args=[world["dataset"].public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**REPORT, **data})
    assert response.status_code == 400
    error = response.content.decode().split(f'id="id_{field}_error"')[1].split("</div>")[0]
    assert message in error
    assert snapshot() == before and mail.outbox == []


def test_signed_in_reporters_are_answered_at_their_own_address(client, world, outsider):
    client.force_login(outsider)
    url = reverse("moderation:report-new", args=[world["dataset"].public_id])
    form_page = client.get(url).content.decode()
    assert 'name="email"' not in form_page and "outsider@example.org" in form_page
    response = client.post(url, {**REPORT, "email": "someone-else@example.org"})
    assert response.status_code == 302
    report = Report.objects.order_by("pk").last()
    assert (report.reporter, report.reporter_email) == (outsider, "outsider@example.org")


def test_the_report_form_follows_the_dataset_page(client, world, organization, outsider):
    gone = reverse("moderation:report-new", args=["old-archive"])
    response = client.get(gone)
    assert response.status_code == 410 and "Consent withdrawn." in response.content.decode()
    assert client.post(gone, REPORT).status_code == 410
    assert client.get(reverse("moderation:report-new", args=["no-such-data"])).status_code == 404
    make_dataset(organization, slug="members-only", visibility="private")
    client.force_login(outsider)
    assert client.get(reverse("moderation:report-new", args=["members-only"])).status_code == 404
    assert Report.objects.filter(dataset__slug="members-only").count() == 0


def test_the_list_shows_open_reports_oldest_first_and_filters_by_status(client, world, staff):
    newer = _report(world["dataset"], kind="copyright", details="This is my song, not theirs.")
    now = timezone.now()
    Report.objects.filter(pk=world["report"].pk).update(created_at=now - timedelta(days=3, hours=1))
    Report.objects.filter(pk=newer.pk).update(created_at=now - timedelta(days=1, hours=1))
    client.force_login(staff)
    url = reverse("moderation:report-list")

    def shown(**params) -> list:
        return list(client.get(url, params).context["reports"])

    page = client.get(url).content.decode()
    assert shown() == [world["report"], newer]
    assert "waiting 3\xa0days" in page and "waiting 1\xa0day" in page
    assert shown(status="taken_down") == [world["closed"]]
    assert shown(status="dismissed") == []
    assert len(shown(status="all")) == 3
    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 400 and len(response.context["reports"]) == 2


def test_the_list_filter_answers_htmx_with_the_table_alone(client, world, staff):
    client.force_login(staff)
    response = client.get(reverse("moderation:report-list"), HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="reports"')
    assert "<html" not in fragment and "Lingala Radio Speech" in fragment


def test_a_takedown_needs_a_public_reason(client, world, staff):
    client.force_login(staff)
    before = snapshot()
    url = reverse("moderation:report-take-down", args=[world["report"].pk])
    response = client.post(url, {"public_reason": "   "})
    assert response.status_code == 400
    assert 'id="id_public_reason_error"' in response.content.decode()
    assert snapshot() == before


def test_a_dismissal_needs_a_resolution_and_keeps_the_dataset(client, world, staff):
    client.force_login(staff)
    url = reverse("moderation:report-dismiss", args=[world["report"].pk])
    before = snapshot()
    response = client.post(url, {"resolution": ""})
    assert response.status_code == 400 and 'id="id_resolution_error"' in response.content.decode()
    assert snapshot() == before
    assert client.post(url, {"resolution": "The speakers consented."}).status_code == 302
    world["report"].refresh_from_db()
    world["dataset"].refresh_from_db()
    assert world["report"].status == "dismissed" and world["dataset"].status == "published"


def test_a_closed_report_cannot_be_decided_again(client, world, staff):
    dismiss_report(world["report"], actor=staff, resolution="Not a problem.")
    client.force_login(staff)
    page = client.get(reverse("moderation:report-detail", args=[world["report"].pk]))
    assert "Take the dataset down" not in page.content.decode()
    before = snapshot()
    response = client.post(
        reverse("moderation:report-take-down", args=[world["report"].pk]),
        {"public_reason": "Changed my mind."},
    )
    assert response.status_code == 400 and "already closed" in response.content.decode()
    assert snapshot() == before


def test_an_answer_must_say_something(client, world, owner):
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        reverse("moderation:report-answer", args=[world["report"].pk]), {"response": " "}
    )
    assert response.status_code == 400 and 'id="id_response_error"' in response.content.decode()
    assert snapshot() == before


def test_the_organization_never_learns_who_reported(client, world, owner, outsider):
    reporter = Client(REMOTE_ADDR="203.0.113.9")
    reporter.force_login(outsider)
    url = reverse("moderation:report-new", args=[world["dataset"].public_id])
    assert reporter.post(url, REPORT).status_code == 302
    report = Report.objects.order_by("pk").last()
    client.force_login(owner)
    answer_page = client.get(reverse("moderation:report-answer", args=[report.pk]))
    assert "outsider" not in answer_page.content.decode()
    # Nor from the audit log, which names the report but not the person or their address.
    audit = client.get(reverse("organizations:audit", args=["radio-kinshasa"])).content.decode()
    assert "moderation.report.created" in audit
    assert "outsider" not in audit and "203.0.113.9" not in audit
