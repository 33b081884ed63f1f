"""`steward audit verify --json`: the verification as one JSON object, failing when broken."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from steward.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(organization):
    for n in range(3):
        record(actor=None, action="test.thing.done", target=organization, data={"n": n})


def test_an_intact_chain_is_ok(chain):
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"ok": True, "checked": 3, "problem": "", "seq": None}


def test_a_broken_chain_names_the_event_and_fails(chain):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.thing.hidden' WHERE seq = 2")
    out = io.StringIO()
    with pytest.raises(CommandError, match="event #2 was changed"):
        call_command("audit", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "ok": False,
        "checked": 1,
        "problem": "event #2 was changed after it was recorded",
        "seq": 2,
    }
