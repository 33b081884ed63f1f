"""`steward submissions list|approve|reject --json`."""

import io
import json

import pytest
from django.core.management import call_command

from steward.catalog.tests.submission_factories import make_submission

pytestmark = pytest.mark.django_db


def submissions(*args: str) -> dict:
    out = io.StringIO()
    call_command("submissions", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_queue_and_each_decision_as_json(owner, organization):
    first = make_submission(owner, name="First")
    second = make_submission(owner, name="Second")
    listed = submissions("list")["submissions"]
    assert {s["id"] for s in listed} == {first.public_id, second.public_id}
    row = next(s for s in listed if s["id"] == first.public_id)
    assert row["status"] == "submitted" and row["organization"] == organization.slug
    assert row["name"] == "First" and row["submitted_at"].startswith("20")

    approved = submissions("approve", first.public_id)
    assert approved["id"] == first.public_id and approved["status"] == "approved"
    assert approved["dataset"] and approved["version"] == 1
    rejected = submissions("reject", second.public_id, "--reason", "Duplicate.")
    assert rejected == {
        "id": second.public_id,
        "status": "rejected",
        "dataset": None,
        "version": None,
    }
    assert submissions("list") == {"submissions": []}
