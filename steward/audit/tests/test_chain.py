"""The audit log is append-only and hash-chained; verification names the broken entry."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from steward.audit.models import AuditEvent
from steward.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(owner, organization):
    for n in range(5):
        record(
            actor=owner,
            action="test.thing.done",
            target=organization,
            data={"n": n, "password": "x"},
        )
    return list(AuditEvent.objects.order_by("seq"))


def test_events_link_to_the_one_before(chain):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == "0" * 64
    assert all(
        later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:], strict=False)
    )
    assert chain[0].actor_label == "owner" and chain[0].target_label == "Radio Kinshasa Community"


def test_secrets_are_masked(chain):
    assert chain[0].data == {"n": 0, "password": "***"}


def test_an_intact_chain_verifies(chain, capsys):
    assert verify_chain().ok
    call_command("audit", "verify")
    assert "5 events verified" in capsys.readouterr().out


def _sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_edited_entry_is_named(chain):
    # Edit the row behind the application's back, as an intruder with database access would.
    _sql("UPDATE audit_auditevent SET action = %s WHERE seq = 3", ["test.thing.hidden"])
    result = verify_chain()
    assert not result.ok and result.seq == 3 and "changed" in result.problem
    with pytest.raises(CommandError, match="event #3 was changed"):
        call_command("audit", "verify")


def test_a_deleted_entry_is_named(chain):
    _sql("DELETE FROM audit_auditevent WHERE seq = 2")
    result = verify_chain()
    assert not result.ok and result.seq == 2 and "missing" in result.problem


def test_a_deleted_newest_entry_is_noticed(chain):
    _sql("DELETE FROM audit_auditevent WHERE seq = 5")
    result = verify_chain()
    assert not result.ok and "removed" in result.problem


def test_an_inserted_entry_is_named(chain):
    # Renumber to make room, then insert a forged row with a self-consistent hash.
    fake = chain[2]
    _sql("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq >= 3")
    _sql("UPDATE audit_auditevent SET seq = seq - 99 WHERE seq >= 103")
    _sql(
        "INSERT INTO audit_auditevent (seq, created_at, actor_id, actor_label, action, target_type,"
        " target_id, target_label, organization_id, ip, data, prev_hash, hash)"
        " VALUES (3, %s, NULL, 'intruder', 'test.thing.forged', '', '', '', NULL, NULL, '{}',"
        " %s, %s)",
        [fake.created_at, chain[1].hash, "f" * 64],
    )
    result = verify_chain()
    assert not result.ok and result.seq == 3


def test_a_deleted_user_does_not_break_the_chain(chain, owner):
    owner.delete()
    assert verify_chain().ok


def test_actions_through_the_site_record_the_client_address(client, owner):
    from django.urls import reverse

    client.force_login(owner)
    response = client.post(
        reverse("accounts:apikey-list"), {"name": "laptop"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code in (200, 302)
    event = AuditEvent.objects.get(action="accounts.apikey.created")
    assert event.ip == "203.0.113.7"
    assert event.actor == owner
