"""The whole API against its own OpenAPI schema (Schemathesis): for every operation, generated
valid and invalid input never gets a 5xx, and every answer matches what the schema declares.

The calls carry the API key of an organization owner who also uses another organization's
data, and path parameters are drawn both from Schemathesis's inventions and from the ids of
real rows (datasets, submissions, uploads, access requests, grants, orders), so that the
calls reach past 401 and 404 into the endpoints' real work."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from steward.access import services as access
from steward.access.models import Grant
from steward.accounts.services import create_api_key
from steward.api import api
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission
from steward.organizations.models import Organization
from steward.payments import services as payments
from steward.wsgi import application

pytestmark = pytest.mark.django_db

# Enough to meet each operation's edge cases; kept small so that the ~40 operations run in
# well under the suite's time budget.
EXAMPLES_PER_OPERATION = 25

# The schema as /api/openapi.json serves it (test_the_served_schema_is_the_one_tested), read
# without a request so that collecting the tests needs no database. Every check runs but
# "positive data acceptance": a body the schema allows may still break a rule no JSON Schema
# states (a known language code, a dataset's own required questions, a payment due), and the
# endpoint then rightly answers 400 or 402 naming the field or the reason.
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/"),
    config=schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"enabled": False}}}
    ),
)
schema.app = application
KNOWN_IDS: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    # Each parameter is either what Schemathesis made up or the id of a real row.
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *KNOWN_IDS.get(name, [])])
            for name, value in path_parameters.items()
        }
    )


REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationType": "academic",
    "intendedUse": "A speech recogniser for Lingala.",
    "acceptTerms": True,
}


def _restricted(organization, slug: str, **policy):
    return make_dataset(
        organization,
        slug=slug,
        archive=b"archive bytes" * 100,
        sample=b"sample bytes",
        visibility="restricted",
        usage_policy={"requestRequired": True, **policy},
    )


@pytest.fixture
def owner_key(organization, owner, outsider, settings):
    """An API key of `owner`, who publishes data and uses another organization's; KNOWN_IDS
    then holds real rows of every kind an operation can name, for the path parameter hook."""
    # The limits have their own tests; here they would only answer 429 to a fast client.
    settings.STEWARD_RATE_LIMIT_API = "off"
    settings.STEWARD_RATE_LIMIT_ACCESS_REQUEST = "off"
    theirs = Organization.objects.get(slug="other-org")
    ours_open = make_dataset(organization, slug="open-speech", archive=b"a" * 3000, sample=b"s")
    ours_asked = _restricted(organization, "asked-speech", approval="manual")
    ours_granted = _restricted(organization, "granted-speech", approval="automatic")
    theirs_granted = _restricted(theirs, "their-speech", approval="automatic")
    theirs_paid = _restricted(
        theirs, "their-paid-speech", approval="automatic", pricing={"basePriceCents": 1500}
    )
    pending = access.request_access(ours_asked, user=outsider, data=REQUEST)
    incoming = access.request_access(ours_granted, user=outsider, data=REQUEST)
    mine = access.request_access(theirs_granted, user=owner, data=REQUEST)
    paying = access.request_access(theirs_paid, user=owner, data=REQUEST)
    order, _ = payments.create_order(theirs_paid, buyer=owner, idempotency_key="schema-order")
    draft = make_submission(owner, name="Draft speech", submit=False)
    make_submission(owner, name="Sent speech")

    _, key = create_api_key(owner)
    uploads = []
    for path in ("/api/uploads", f"/api/submissions/{draft.public_id}/sample"):
        response = Client().post(
            path,
            {
                "submissionId": draft.public_id,
                "filename": "speech.tar.gz",
                "fileSize": 6000,
                "mimeType": "application/gzip",
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200, response.content
        uploads.append(response.json()["fileUploadId"])

    KNOWN_IDS.clear()
    KNOWN_IDS.update(
        {
            "dataset_id": [
                d.public_id for d in (ours_open, ours_asked, ours_granted, theirs_granted)
            ]
            + [theirs_paid.slug],
            "request_id": [r.public_id for r in (pending, incoming, mine, paying)],
            "grant_id": [g.public_id for g in Grant.objects.all()],
            "order_id": [order.public_id],
            "submission_id": [draft.public_id],
            "file_upload_id": uploads,
            "number": [1, 2],
            "part_number": [1, 2],
        }
    )
    return key


@pytest.fixture
def authorized(owner_key):
    """The headers of the calls. Schemathesis calls Steward's WSGI application itself, which
    closes the database connection around each request, as a server should; in a test that
    would close the connection holding the test's transaction (on PostgreSQL), so, as
    Django's test client does, the connection is left open meanwhile."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {owner_key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, authorized):
    case.call_and_validate(headers=authorized)


def test_the_served_schema_is_the_one_tested(client):
    served = json.loads(client.get("/api/openapi.json").content)
    assert served == schema.raw_schema
    paths = served["paths"]
    for prefix in ("/api/me", "/api/datasets", "/api/submissions", "/api/uploads"):
        assert any(path.startswith(prefix) for path in paths), prefix
    for prefix in ("/api/access-requests", "/api/grants", "/api/orders", "/api/assistant"):
        assert any(path.startswith(prefix) for path in paths), prefix


def test_every_operation_declares_the_answers_all_operations_can_give(client):
    # A missing key is 401 and a busy client 429 everywhere, /api/me included.
    paths = json.loads(client.get("/api/openapi.json").content)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert "401" in responses, (method, path)
            if path != "/api/health":
                assert responses["429"]["headers"]["Retry-After"], (method, path)
    assert "429" not in paths["/api/health"]["get"]["responses"]
