"""`GET /api/datasets/{id}/policy`: the terms in force as W3C ODRL 2.2 JSON-LD."""

import json

import pytest
from pyld import jsonld

from steward.catalog.tests.factories import make_dataset
from steward.licensing.odrl import CONTEXT_URL, context_document

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db
ODRL = "http://www.w3.org/ns/odrl/2/"


def load_locally(url, options=None):
    if url != CONTEXT_URL:
        raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": context_document()}


def triples(body: bytes) -> set[tuple[str, str, str]]:
    dataset = jsonld.to_rdf(json.loads(body), {"documentLoader": load_locally})
    return {
        (t["subject"]["value"], t["predicate"]["value"], t["object"]["value"])
        for t in dataset["@default"]
    }


def test_the_policy_is_odrl_json_ld_anyone_may_read(client, organization):
    dataset = make_dataset(
        organization,
        slug="kenya-excluded",
        archive=ARCHIVE,
        usage_policy={
            "geography": {"mode": "deny", "places": ["FR"]},
            "attribution": "Radio Kinshasa Community",
            "pricing": {"basePriceCents": 25000},
        },
    )

    response = client.get(f"/api/datasets/{dataset.public_id}/policy")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert body["@context"] == CONTEXT_URL
    assert body["uid"] == f"http://testserver/api/datasets/{dataset.public_id}/policy#v1"
    graph = triples(response.content)
    subjects = {s for s, p, o in graph if o == ODRL + "Offer"}
    assert subjects == {body["uid"]}
    assert any(p == ODRL + "target" and o.endswith(dataset.public_id) for _, p, o in graph)
    assert any(p == ODRL + "operator" and o == ODRL + "isNoneOf" for _, p, o in graph)
    assert any(o == ODRL + "compensate" for _, _, o in graph)
    assert any(o == ODRL + "attribute" for _, _, o in graph)


def test_the_api_schema_says_the_policy_is_json_ld(client, db):
    # Clients generated from the schema must expect JSON-LD, not plain JSON.
    schema = client.get("/api/openapi.json").json()
    ok = schema["paths"]["/api/datasets/{dataset_id}/policy"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["application/ld+json"]


def test_a_private_dataset_policy_is_not_found_by_outsiders(client, organization, outsider):
    dataset = make_dataset(organization, slug="secret", archive=ARCHIVE, visibility="private")
    assert client.get(f"/api/datasets/{dataset.public_id}/policy").status_code == 404
    client.force_login(outsider)
    assert client.get(f"/api/datasets/{dataset.public_id}/policy").status_code == 404


def test_an_unknown_dataset_is_404(client, db):
    response = client.get("/api/datasets/cnotarealdatasetidentifier/policy")
    assert response.status_code == 404 and response.json()["error"]
