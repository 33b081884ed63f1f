"""The MDC fields and the usagePolicy object describe one policy: setting either through the
API moves the other, so an MDC client and a Steward client never read different terms."""

import json

import pytest

from steward.catalog.tests.submission_factories import make_submission

from .test_terms_api import bearer

pytestmark = pytest.mark.django_db


def patch(client, user, submission, body) -> dict:
    response = client.patch(
        f"/api/submissions/{submission.public_id}",
        data=json.dumps(body),
        content_type="application/json",
        **bearer(user),
    )
    assert response.status_code == 200, response.content
    return response.json()["submission"]


def test_mdc_price_fields_set_the_policy_price(client, member):
    submission = make_submission(member, submit=False)
    body = patch(client, member, submission, {"isPaid": True, "basePriceCents": 25000})
    assert body["usagePolicy"]["pricing"]["basePriceCents"] == 25000
    body = patch(client, member, submission, {"isPaid": False, "basePriceCents": None})
    assert body["usagePolicy"]["pricing"]["basePriceCents"] == 0


def test_the_policy_price_sets_the_mdc_price_fields(client, member):
    submission = make_submission(member, submit=False)
    body = patch(client, member, submission, {"usagePolicy": {"pricing": {"basePriceCents": 900}}})
    assert (body["isPaid"], body["basePriceCents"], body["currency"]) == (True, 900, "usd")


def test_restricted_visibility_and_auto_approval(client, member):
    submission = make_submission(member, submit=False)
    body = patch(
        client,
        member,
        submission,
        {"visibility": "restricted", "autoApproveAccessRequests": False},
    )
    assert body["usagePolicy"]["requestRequired"] is True
    assert body["usagePolicy"]["approval"] == "manual"
    body = patch(client, member, submission, {"usagePolicy": {"approval": "automatic"}})
    assert body["autoApproveAccessRequests"] is True
    body = patch(client, member, submission, {"usagePolicy": {"requestRequired": False}})
    assert body["visibility"] == "public"


def test_additional_conditions_are_the_policy_conditions(client, member):
    submission = make_submission(member, submit=False)
    body = patch(client, member, submission, {"additionalConditions": "Cite the callers' radio."})
    assert body["usagePolicy"]["conditions"] == "Cite the callers' radio."
    body = patch(client, member, submission, {"usagePolicy": {"conditions": "No voice cloning."}})
    assert body["additionalConditions"] == "No voice cloning."
