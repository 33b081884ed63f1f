"""Consent withdrawal through the API: a withdrawn version stops every download path with 410
and its reason, its holders are asked to delete their copy, their answer (or its absence)
reaches the organization and the audit log, and a replacement version downloads again."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from steward.access import services
from steward.access.models import DeletionRequest
from steward.audit.models import AuditEvent
from steward.catalog.services import VersionFiles, publish_version
from steward.catalog.tests.factories import make_dataset, make_sheet
from steward.storage.services import store_blob

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db

REASON = "Three speakers withdrew their consent on 2 December."


@pytest.fixture
def dataset(organization):
    return make_dataset(organization, slug="consented", archive=ARCHIVE)


def withdraw(client, auth, dataset, **body):
    return client.post(
        f"/api/datasets/{dataset.public_id}/versions/1/withdraw",
        {"reason": REASON, **body},
        content_type="application/json",
        **auth,
    )


def test_withdrawal_stops_downloads_and_asks_holders_to_delete(
    client, dataset, owner, member, outsider, auth_for, django_capture_on_commit_callbacks
):
    holder = auth_for(outsider)
    session = client.post(f"/api/datasets/{dataset.public_id}/download", **holder).json()
    client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(member))

    with django_capture_on_commit_callbacks(execute=True):
        answer = withdraw(client, auth_for(owner), dataset, deadlineDays=14)

    assert answer.status_code == 200, answer.content
    assert answer.json()["holdersAsked"] == 1  # members of the organization are not asked
    assert [m.to for m in mail.outbox] == [[outsider.email]]
    assert REASON in mail.outbox[0].body
    notice = DeletionRequest.objects.get()
    assert notice.user == outsider and f"/access/deletions/{notice.token}" in mail.outbox[0].body
    assert timedelta(days=13) < notice.deadline - timezone.now() <= timedelta(days=14)

    again = client.post(f"/api/datasets/{dataset.public_id}/download", **holder)
    assert again.status_code == 410 and again.json()["error"] == REASON
    old_link = client.get(session["downloadUrl"])
    assert old_link.status_code == 410 and old_link.json()["error"] == REASON
    client.force_login(outsider)
    page = client.post(f"/datasets/{dataset.public_id}/download")
    assert page.status_code == 410 and REASON in page.content.decode()
    assert AuditEvent.objects.filter(action="access.version.withdrawn").exists()


def test_a_replacement_version_downloads_again(client, dataset, owner, outsider, auth_for):
    withdraw(client, auth_for(owner), dataset)
    replacement = store_blob(
        io.BytesIO(b"the remaining recordings"),
        prefix="test",
        filename="consented.tar.gz",
        content_type="application/gzip",
    )
    publish_version(
        dataset,
        sheet=make_sheet(),
        files=VersionFiles(archive=replacement, archive_name="consented-v2.tar.gz"),
    )

    session = client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(outsider))

    assert session.status_code == 200
    body = client.get(session.json()["downloadUrl"])
    assert b"".join(body.streaming_content) == b"the remaining recordings"


def test_confirmations_and_silence_are_recorded(client, dataset, owner, outsider, auth_for):
    client.post(f"/api/datasets/{dataset.public_id}/download", **auth_for(outsider))
    withdraw(client, auth_for(owner), dataset, deadlineDays=1)
    notice = DeletionRequest.objects.get()

    assert services.lapse_deletion_requests() == 0  # not due yet
    DeletionRequest.objects.filter(pk=notice.pk).update(
        deadline=timezone.now() - timedelta(minutes=1)
    )
    call_command("access_reminders")
    notice.refresh_from_db()
    assert notice.lapsed_at is not None and notice.confirmed_at is None
    unconfirmed = AuditEvent.objects.get(action="access.deletion.unconfirmed")
    assert unconfirmed.data == {"version": 1, "user": outsider.pk}
    call_command("access_reminders")  # once only
    assert AuditEvent.objects.filter(action="access.deletion.unconfirmed").count() == 1

    # A late confirmation still counts, and says it was late.
    services.confirm_deletion(notice, actor=outsider)
    confirmed = AuditEvent.objects.get(action="access.deletion.confirmed")
    assert confirmed.data["late"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"deadlineDays": 0}, "deadlineDays"),
        ({"deadlineDays": 400}, "deadlineDays"),
        ({"deadlineDays": "30"}, "deadlineDays"),
    ],
)
def test_bad_input_withdraws_nothing(client, dataset, owner, auth_for, body, field):
    response = withdraw(client, auth_for(owner), dataset, **body)
    assert response.status_code == 400 and response.json()["field"] == field
    dataset.current_version.refresh_from_db()
    assert not dataset.current_version.is_withdrawn


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 403)])
def test_only_managers_withdraw(request, client, dataset, auth_for, persona, status):
    response = withdraw(client, auth_for(request.getfixturevalue(persona)), dataset)
    assert response.status_code == status
    dataset.current_version.refresh_from_db()
    assert not dataset.current_version.is_withdrawn


def test_withdrawing_twice_or_an_unknown_version(client, dataset, owner, auth_for):
    assert withdraw(client, auth_for(owner), dataset).status_code == 200
    twice = withdraw(client, auth_for(owner), dataset)
    assert twice.status_code == 409 and twice.json()["code"] == "already_withdrawn"
    unknown = client.post(
        f"/api/datasets/{dataset.public_id}/versions/9/withdraw",
        {"reason": REASON},
        content_type="application/json",
        **auth_for(owner),
    )
    assert unknown.status_code == 404
