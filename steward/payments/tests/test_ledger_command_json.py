"""`steward ledger verify --json`: the problems and counts as one JSON object."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from steward.payments.models import Transaction

pytestmark = pytest.mark.django_db


def test_a_sound_ledger_is_ok_with_its_counts():
    out = io.StringIO()
    call_command("ledger", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "ok": True,
        "problems": [],
        "transactions": 0,
        "entries": 0,
        "orders": 0,
    }
    # Without --json the text report is unchanged.
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert out.getvalue() == "Ledger verified: 0 transactions, 0 entries, 0 orders.\n"


def test_a_problem_is_listed_and_fails(capsys):
    Transaction.objects.create(public_id="tx-empty", kind=Transaction.Kind.PURCHASE)
    with pytest.raises(CommandError, match="2 problem"):
        call_command("ledger", "verify", "--json")
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["ok"] is False and data["transactions"] == 1
    assert data["problems"] == [
        "Transaction tx-empty has no entries.",
        "Transaction tx-empty (purchase) is not linked to its order or payout.",
    ]
    # The problems are in the object, not repeated as text.
    assert err == ""
