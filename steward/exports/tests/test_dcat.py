"""The catalogue as DCAT-AP 3.0: /catalog.ttl and /catalog.jsonld parse, pass the SHACL
shapes in steward/exports/shapes, and hold only listed datasets."""

import json
import time

import pycountry
import pytest
from django.core.validators import URLValidator, validate_email
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date
from pyshacl import validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from steward.access.services import withdraw_version
from steward.catalog.models import Dataset, DatasetFile
from steward.catalog.services import change_terms, remove_dataset
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission
from steward.exports import dcat
from steward.exports.dcat import DCAT, DCATAP, HYDRA, ODRL, SPDX, VCARD
from steward.licensing.odrl import context_document
from steward.organizations.models import Organization
from steward.organizations.services import create_organization

pytestmark = pytest.mark.django_db

TURTLE = reverse("exports:catalog-turtle")
JSONLD = reverse("exports:catalog-jsonld")
SH = "http://www.w3.org/ns/shacl#"
HOST = "steward.example.org"
BASE = f"http://{HOST}"
# Characters that break naive writers of Turtle, JSON-LD, YAML or Markdown.
AWKWARD = (
    'He said "yes": it\'s \\ fine\n---\n& *anchor !tag #comment <script>alert(1)</script> '
    "العربية שלום 🎙️\u200f"
)


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.STEWARD_BASE_URL = BASE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.STEWARD_OPERATOR_NAME = "Example Operator"


@pytest.fixture
def catalogue(organization, owner, staff):
    """An open dataset with files, a paid one with a custom licence, one in a language the
    EU table lacks, and four that must never be listed: private, removed, withdrawn-only
    files (listed, without distributions), and a submission never published."""
    other = create_organization("hazara-voices", name="Hazara Voices", approved=True)
    open_ = make_dataset(
        organization,
        slug="open-speech",
        archive=b"open archive",
        sample=b"open sample",
        locale="sw-KE",
        pointOfContactFullName="Amani Juma",
        pointOfContactEmail="amani@example.org",
        showContactInfo=True,
    )
    paid = make_dataset(
        organization,
        slug="paid-speech",
        name="Paid Speech",
        archive=b"paid archive",
        licenseAbbreviation="Radio-Licence-1",
        license="Radio Kinshasa Licence",
        licenseUrl="https://radio.example.org/licence",
        isPaid=True,
        basePriceCents=1500,
        currency="usd",
    )
    hazaragi = make_dataset(other, slug="hazaragi-text", name="Hazaragi Text", locale="haz")
    private = make_dataset(organization, slug="private-notes", visibility="private")
    removed = make_dataset(organization, slug="taken-down")
    remove_dataset(removed, actor=staff, reason="Reported and confirmed.")
    withdrawn = make_dataset(organization, slug="withdrawn", archive=b"withdrawn archive")
    withdraw_version(withdrawn.current_version, actor=owner, reason="Consent withdrawn.")
    draft = make_submission(owner, name="Not Yet Published")
    return {
        "open": open_,
        "paid": paid,
        "hazaragi": hazaragi,
        "private": private,
        "removed": removed,
        "withdrawn": withdrawn,
        "draft": draft,
    }


def node(dataset: Dataset) -> URIRef:
    return URIRef(f"{BASE}/datasets/{dataset.public_id}")


def fetch(client, url: str = TURTLE, **params) -> Graph:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return Graph().parse(data=response.content, format="turtle" if url == TURTLE else "json-ld")


def shacl(graph: Graph) -> tuple[bool, set[tuple]]:
    """(no violation, the results as (severity, focus node, path))."""
    conforms, report, _ = validate(
        graph,
        shacl_graph=str(dcat.SHAPES_FILE),
        shacl_graph_format="turtle",
        allow_warnings=True,
    )
    results = {
        (
            report.value(result, URIRef(SH + "resultSeverity")).split("#")[1],
            report.value(result, URIRef(SH + "focusNode")),
            report.value(result, URIRef(SH + "resultPath")),
        )
        for result in report.subjects(RDF.type, URIRef(SH + "ValidationResult"))
    }
    return conforms, results


def test_the_catalogue_parses_and_passes_the_dcat_ap_shapes(client, catalogue):
    graph = fetch(client)
    conforms, results = shacl(graph)
    assert conforms, results
    assert {severity for severity, _, _ in results} == {"Warning"}
    # The only recommended properties left out are those Steward has no data for.
    catalog = URIRef(f"{BASE}/")
    listed = [catalogue[key] for key in ("open", "paid", "hazaragi", "withdrawn")]
    missing = {(focus, path) for _, focus, path in results}
    expected = {(catalog, DCTERMS.spatial), (catalog, DCTERMS.license)}
    expected |= {(node(d), DCTERMS.temporal) for d in listed}
    expected |= {(node(d), DCTERMS.spatial) for d in listed if d != catalogue["open"]}
    expected |= {(node(d), DCAT.contactPoint) for d in listed if d != catalogue["open"]}
    # No files (hazaragi) or a withdrawn version: nothing to download.
    expected |= {(node(catalogue[key]), DCAT.distribution) for key in ("hazaragi", "withdrawn")}
    expected |= {(agent, DCTERMS.type) for agent in graph.subjects(RDF.type, FOAF.Agent)}
    expected |= {
        (licence, DCTERMS.type) for licence in graph.subjects(RDF.type, DCTERMS.LicenseDocument)
    }
    assert missing == expected


def test_turtle_and_json_ld_hold_the_same_graph(client, catalogue):
    turtle = client.get(TURTLE)
    jsonld = client.get(JSONLD)
    assert turtle["Content-Type"] == "text/turtle; charset=utf-8"
    assert jsonld["Content-Type"] == "application/ld+json"
    from_turtle = Graph().parse(data=turtle.content, format="turtle")
    from_jsonld = Graph().parse(data=jsonld.content, format="json-ld")
    # Each page names itself and its neighbours in its own format; the rest is equal.
    for graph in (from_turtle, from_jsonld):
        for page in list(graph.subjects(RDF.type, HYDRA.PagedCollection)):
            graph.remove((page, None, None))
    assert len(from_turtle) > 100
    assert isomorphic(from_turtle, from_jsonld)
    assert json.loads(jsonld.content)["@context"]["dcat"] == str(DCAT)


def test_only_listed_datasets_appear(client, catalogue):
    graph = fetch(client)
    catalog = URIRef(f"{BASE}/")
    listed = {catalogue[key] for key in ("open", "paid", "hazaragi", "withdrawn")}
    assert set(graph.objects(catalog, DCAT.dataset)) == {node(d) for d in listed}
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {node(d) for d in listed}
    text = client.get(TURTLE).content.decode() + client.get(JSONLD).content.decode()
    for key in ("private", "removed", "draft"):
        assert catalogue[key].public_id not in text
    assert "Not Yet Published" not in text


def test_a_dataset_is_described_with_its_publisher_language_and_policy(client, catalogue):
    graph = fetch(client)
    dataset = catalogue["open"]
    subject = node(dataset)
    assert graph.value(subject, DCTERMS.title) == Literal(dataset.name, lang="en")
    assert graph.value(subject, DCTERMS.description) == Literal(dataset.long_description, lang="en")
    assert graph.value(subject, DCTERMS.identifier) == Literal(dataset.public_id)
    assert graph.value(subject, DCAT.landingPage) == subject
    assert set(graph.objects(subject, DCAT.keyword)) >= {
        Literal("Swahili", lang="en"),
        Literal("Kiswahili", lang="sw"),
        Literal("WAV"),
    }
    assert graph.value(subject, DCAT.theme) == URIRef(
        "http://publications.europa.eu/resource/authority/data-theme/TECH"
    )
    assert graph.value(subject, DCTERMS.issued).datatype == XSD.dateTime
    publisher = graph.value(subject, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}/organizations/radio-kinshasa")
    assert (publisher, RDF.type, FOAF.Organization) in graph
    assert graph.value(publisher, FOAF.name) == Literal("Radio Kinshasa Community")
    contact = graph.value(subject, DCAT.contactPoint)
    assert graph.value(contact, VCARD.fn) == Literal("Amani Juma")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:amani@example.org")
    # Languages: the EU authority table where it has one, else Lexvo's ISO 639-3.
    assert graph.value(subject, DCTERMS.language) == URIRef(
        "http://publications.europa.eu/resource/authority/language/SWA"
    )
    assert graph.value(node(catalogue["hazaragi"]), DCTERMS.language) == URIRef(
        "http://lexvo.org/id/iso639-3/haz"
    )
    assert graph.value(subject, DCTERMS.spatial) == URIRef(
        "http://publications.europa.eu/resource/authority/country/KEN"
    )
    assert graph.value(subject, DCTERMS.accessRights).endswith("/access-right/PUBLIC")
    assert graph.value(node(catalogue["paid"]), DCTERMS.accessRights).endswith(
        "/access-right/RESTRICTED"
    )
    # The catalogue's publisher is the operator.
    catalog = URIRef(f"{BASE}/")
    operator = graph.value(catalog, DCTERMS.publisher)
    assert graph.value(operator, FOAF.name) == Literal("Example Operator")
    titles = {title.language: str(title) for title in graph.objects(catalog, DCTERMS.title)}
    # One title per language of the interface that translates it.
    assert titles["en"] == "Example Operator dataset catalogue"
    assert titles["fr"] == "Catalogue des jeux de données de Example Operator"
    assert set(titles) == {"en", "fr", "es", "sw", "ar"}


def test_distributions_carry_size_checksum_and_licence(client, catalogue):
    graph = fetch(client)
    open_, paid = catalogue["open"], catalogue["paid"]
    files = {
        (f.version.dataset_id, f.role): f.blob
        for f in DatasetFile.objects.select_related("blob", "version")
    }
    archive = URIRef(f"{node(open_)}#archive-v1")
    sample = URIRef(f"{node(open_)}#sample-v1")
    assert set(graph.objects(node(open_), DCAT.distribution)) == {archive, sample}
    for distribution, role in ((archive, "archive"), (sample, "sample")):
        blob = files[(open_.pk, role)]
        assert graph.value(distribution, DCAT.accessURL) == node(open_)
        assert graph.value(distribution, DCAT.byteSize) == Literal(
            blob.size_bytes, datatype=XSD.nonNegativeInteger
        )
        checksum = graph.value(distribution, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(graph.value(checksum, SPDX.checksumValue)) == blob.sha256
        assert graph.value(distribution, DCAT.mediaType) == URIRef(
            "https://www.iana.org/assignments/media-types/application/gzip"
        )
        assert graph.value(distribution, DCATAP.availability).endswith("/STABLE")
    licence = graph.value(archive, DCTERMS.license)
    assert licence == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in graph
    paid_archive = URIRef(f"{node(paid)}#archive-v1")
    assert graph.value(paid_archive, DCAT.accessURL) == node(paid)
    custom = graph.value(paid_archive, DCTERMS.license)
    assert custom == URIRef("https://radio.example.org/licence")
    assert graph.value(custom, DCTERMS.title) == Literal("Radio Kinshasa Licence")
    # A withdrawn version is no longer offered.
    assert graph.value(node(catalogue["withdrawn"]), DCAT.distribution) is None


def test_every_link_to_a_distribution_answers_a_plain_get(client, catalogue):
    """Downloading is a signed-in person's form post from the page: a download URL would be
    one a harvester cannot follow, so there is none, even under open terms."""
    graph = fetch(client)
    assert not list(graph.triples((None, DCAT.downloadURL, None)))
    links = set(graph.objects(None, DCAT.accessURL))
    assert links == {node(catalogue[key]) for key in ("open", "paid")}
    for link in links:
        response = client.get(link.removeprefix(BASE), HTTP_HOST=HOST)
        assert response.status_code == 200, link


def test_the_odrl_policy_is_the_one_the_policy_endpoint_serves(client, catalogue, organization):
    labelled = make_dataset(
        organization,
        slug="labelled",
        archive=b"labelled archive",
        usage_policy={"labels": [{"id": "tk-attribution", "community": "Radio listeners"}]},
    )
    graph = fetch(client)
    for dataset in (catalogue["open"], catalogue["paid"], labelled):
        policy = graph.value(node(dataset), ODRL.hasPolicy)
        assert policy == URIRef(f"{BASE}/api/datasets/{dataset.public_id}/policy#v1")
        assert graph.value(URIRef(f"{node(dataset)}#archive-v1"), ODRL.hasPolicy) == policy
        # The endpoint names things after the host asked; ask it as the public address.
        response = client.get(f"/api/datasets/{dataset.public_id}/policy", HTTP_HOST=HOST)
        served = json.loads(response.content)
        served["@context"] = context_document()["@context"]
        expected = Graph().parse(data=json.dumps(served), format="json-ld")
        # The triples reachable from the policy, as the endpoint gives them.
        assert isomorphic(reachable(graph, policy), expected)


def reachable(graph: Graph, start) -> Graph:
    out, todo = Graph(), [start]
    while todo:
        subject = todo.pop()
        for predicate, value in graph.predicate_objects(subject):
            out.add((subject, predicate, value))
            if isinstance(value, BNode):
                todo.append(value)
    return out


def test_the_shapes_refuse_a_broken_catalogue(client, catalogue):
    """A graph without a mandatory property or with a wrong range fails: the shapes bite."""
    good = fetch(client)
    open_ = node(catalogue["open"])
    archive = URIRef(f"{open_}#archive-v1")

    def broken(*remove, add=()) -> set:
        graph = Graph() + good
        for triple in remove:
            graph.remove(triple)
        for triple in add:
            graph.add(triple)
        conforms, results = shacl(graph)
        assert not conforms
        return {(focus, path) for severity, focus, path in results if severity == "Violation"}

    assert broken((open_, DCTERMS.title, None)) == {(open_, DCTERMS.title)}
    assert broken((open_, DCTERMS.description, None)) == {(open_, DCTERMS.description)}
    assert broken((archive, DCAT.accessURL, None)) == {(archive, DCAT.accessURL)}
    catalog = URIRef(f"{BASE}/")
    assert broken((catalog, DCTERMS.publisher, None)) == {(catalog, DCTERMS.publisher)}
    # Wrong ranges: a size as text, a title without language, a language outside the
    # vocabularies, a second publisher.
    size = good.value(archive, DCAT.byteSize)
    assert broken((archive, DCAT.byteSize, size), add=[(archive, DCAT.byteSize, Literal("12"))])
    assert broken(
        (open_, DCTERMS.title, None), add=[(open_, DCTERMS.title, Literal("No language"))]
    ) == {(open_, DCTERMS.title)}
    assert broken(
        (open_, DCTERMS.language, None),
        add=[(open_, DCTERMS.language, URIRef("http://example.org/swahili"))],
    ) == {(open_, DCTERMS.language)}
    assert broken(add=[(open_, DCTERMS.publisher, URIRef(f"{BASE}/organizations/other"))])
    checksum = good.value(archive, SPDX.checksum)
    assert broken((checksum, SPDX.algorithm, None))
    assert broken(
        (checksum, SPDX.checksumValue, None),
        add=[(checksum, SPDX.checksumValue, Literal("not hex", datatype=XSD.hexBinary))],
    )


def test_awkward_text_survives_both_serialisations(client, organization):
    awkward = create_organization("awkward-org", name=AWKWARD, approved=True)
    dataset = make_dataset(
        awkward,
        slug="awkward",
        archive=b"x",
        name=AWKWARD,
        longDescription=AWKWARD * 3,
        format="WAV & <b>",
        pointOfContactFullName=AWKWARD,
        showContactInfo=True,
        licenseAbbreviation="Odd-1",
        license=AWKWARD,
    )
    for url in (TURTLE, JSONLD):
        graph = fetch(client, url)
        subject = node(dataset)
        assert graph.value(subject, DCTERMS.title) == Literal(dataset.name, lang="en")
        assert graph.value(subject, DCTERMS.description) == Literal(
            dataset.long_description, lang="en"
        )
        publisher = graph.value(subject, DCTERMS.publisher)
        assert graph.value(publisher, FOAF.name) == Literal(awkward.name)
        assert Literal("WAV & <b>") in set(graph.objects(subject, DCAT.keyword))
        conforms, results = shacl(graph)
        assert conforms, results


def test_urls_holding_characters_no_iri_may_hold_are_encoded(client, organization):
    """Django's validators accept "{", "|", "^"... in a URL or an email address; one of them
    in an IRI would make the whole page unwritable."""
    website = 'https://example.org/café/a{b}|c\\d^e`f"g<h>'
    licence = "https://example.org/licence{1}|^`"
    email = "a{b}|c^d`e#f?g%h@example.org"
    URLValidator(schemes=["http", "https"])(website)
    URLValidator(schemes=["http", "https"])(licence)
    validate_email(email)
    Organization.objects.filter(pk=organization.pk).update(website=website)
    dataset = make_dataset(
        organization,
        slug="odd-addresses",
        archive=b"x",
        licenseAbbreviation="Odd-1",
        license="Odd Licence",
        licenseUrl=licence,
        pointOfContactFullName="Odd Address",
        pointOfContactEmail=email,
        showContactInfo=True,
    )
    for url in (TURTLE, JSONLD):
        graph = fetch(client, url)
        subject = node(dataset)
        publisher = graph.value(subject, DCTERMS.publisher)
        # Only what an IRI cannot hold is encoded; "é" stays, as IRIs allow.
        assert graph.value(publisher, FOAF.homepage) == URIRef(
            "https://example.org/café/a%7Bb%7D%7Cc%5Cd%5Ee%60f%22g%3Ch%3E"
        )
        archive = URIRef(f"{subject}#archive-v1")
        assert graph.value(archive, DCTERMS.license) == URIRef(
            "https://example.org/licence%7B1%7D%7C%5E%60"
        )
        # "#" and "?" too in an address: they would start a fragment or a query.
        contact = graph.value(subject, DCAT.contactPoint)
        assert graph.value(contact, VCARD.hasEmail) == URIRef(
            "mailto:a%7Bb%7D%7Cc%5Ed%60e%23f%3Fg%25h@example.org"
        )
        conforms, results = shacl(graph)
        assert conforms, results


def test_pages_link_their_neighbours(client, organization, monkeypatch):
    monkeypatch.setattr(dcat, "PAGE_SIZE", 2)
    datasets = [make_dataset(organization, slug=f"d{i}", name=f"Dataset {i}") for i in range(5)]
    graph = fetch(client, page=2)
    page = URIRef(f"{BASE}/catalog.ttl?page=2")
    assert graph.value(page, HYDRA.totalItems) == Literal(5)
    assert graph.value(page, HYDRA.itemsPerPage) == Literal(2)
    assert graph.value(page, HYDRA.firstPage) == URIRef(f"{BASE}/catalog.ttl?page=1")
    assert graph.value(page, HYDRA.previousPage) == URIRef(f"{BASE}/catalog.ttl?page=1")
    assert graph.value(page, HYDRA.nextPage) == URIRef(f"{BASE}/catalog.ttl?page=3")
    assert graph.value(page, HYDRA.lastPage) == URIRef(f"{BASE}/catalog.ttl?page=3")
    # Oldest first: a page keeps its datasets when new ones are published.
    catalog = URIRef(f"{BASE}/")
    assert set(graph.objects(catalog, DCAT.dataset)) == {node(d) for d in datasets[2:4]}
    last = fetch(client, JSONLD, page=3)
    last_page = URIRef(f"{BASE}/catalog.jsonld?page=3")
    assert last.value(last_page, HYDRA.nextPage) is None
    assert set(last.objects(catalog, DCAT.dataset)) == {node(datasets[4])}


@pytest.mark.parametrize(
    ("page", "status"), [("abc", 400), ("", 400), ("0", 404), ("4", 404), ("-1", 404)]
)
def test_a_bad_page_is_refused_naming_the_parameter(
    client, organization, monkeypatch, page, status
):
    monkeypatch.setattr(dcat, "PAGE_SIZE", 2)
    for i in range(5):
        make_dataset(organization, slug=f"d{i}")
    response = client.get(TURTLE, {"page": page})
    assert response.status_code == status
    assert response.json()["field"] == "page"
    assert response.json()["error"].startswith("page: ")


def test_an_empty_catalogue_is_one_valid_page(client, db):
    graph = fetch(client)
    assert (URIRef(f"{BASE}/"), RDF.type, DCAT.Catalog) in graph
    assert shacl(graph)[0]


def test_a_page_costs_the_same_queries_whatever_its_size(client, organization):
    def queries_for_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(TURTLE).status_code == 200
        return len(captured)

    make_dataset(organization, slug="first", archive=b"a", sample=b"s")
    few = queries_for_page()
    for i in range(6):
        make_dataset(organization, slug=f"more-{i}", archive=b"a", sample=b"s")
    assert queries_for_page() == few


def test_conditional_requests_get_304_until_something_changes(client, catalogue, owner):
    first = client.get(TURTLE)
    etag = first["ETag"]
    again = client.get(TURTLE, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    # Each format has its own validator.
    assert client.get(JSONLD, headers={"if-none-match": etag}).status_code == 200

    # New terms, an organization's new name and a withdrawn version all change the page.
    change_terms(catalogue["open"], actor=owner, usage_policy={"requestRequired": True})
    changed = client.get(TURTLE, headers={"if-none-match": etag})
    assert changed.status_code == 200
    etag = changed["ETag"]
    Organization.objects.filter(slug="hazara-voices").update(name="Hazara Voices Archive")
    renamed = client.get(TURTLE, headers={"if-none-match": etag})
    assert renamed.status_code == 200
    assert b"Hazara Voices Archive" in renamed.content
    etag = renamed["ETag"]
    withdraw_version(catalogue["paid"].current_version, actor=owner, reason="Consent withdrawn.")
    assert client.get(TURTLE, headers={"if-none-match": etag}).status_code == 200


def test_a_dataset_leaving_the_catalogue_is_never_answered_304(
    client, catalogue, organization, staff
):
    """Taking the newest dataset down moves no date of those still listed, nor does renaming
    an organization: only the ETag validates, and no date does."""
    newest = make_dataset(organization, slug="newest", archive=b"newest archive")
    first = client.get(TURTLE)
    assert newest.public_id in first.content.decode()
    assert "Last-Modified" not in first
    # A harvester that validates by date sends the time of its last harvest.
    harvested_at = http_date(time.time() + 1)
    remove_dataset(newest, actor=staff, reason="Reported and confirmed.")
    for headers in (
        {"if-none-match": first["ETag"]},
        {"if-modified-since": harvested_at},
        {"if-none-match": first["ETag"], "if-modified-since": harvested_at},
    ):
        response = client.get(TURTLE, headers=headers)
        assert response.status_code == 200, headers
        assert newest.public_id not in response.content.decode()
    Organization.objects.filter(pk=organization.pk).update(name="Radio Kinshasa Renamed")
    renamed = client.get(TURTLE, headers={"if-modified-since": harvested_at})
    assert renamed.status_code == 200
    assert b"Radio Kinshasa Renamed" in renamed.content


def test_a_built_page_is_served_from_the_cache_until_the_catalogue_changes(
    client, catalogue, organization
):
    def get(url: str, **headers):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
        return response, len(captured)

    for url in (TURTLE, JSONLD):
        first, building = get(url)
        assert first.status_code == 200
        # A 304 runs only the queries its ETag needs; a cached page runs no more.
        validating = get(url, **{"if-none-match": first["ETag"]})[1]
        second, cached = get(url)
        assert second.status_code == 200
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]
        assert second["Content-Type"] == first["Content-Type"]
        assert cached == validating < building
    before = client.get(TURTLE)
    published = make_dataset(organization, slug="just-published", archive=b"new archive")
    after = client.get(TURTLE)
    assert after["ETag"] != before["ETag"]
    assert published.public_id in after.content.decode()
    assert published.public_id not in before.content.decode()


def test_only_safe_methods_are_answered(client, db):
    assert client.head(TURTLE).status_code == 200
    assert client.post(TURTLE).status_code == 405
    assert client.post(JSONLD).status_code == 405


def test_every_eu_table_language_is_an_iso_639_3_code():
    codes = dcat.eu_languages()
    assert len(codes) > 150
    for code in codes:
        assert pycountry.languages.get(alpha_3=code) is not None, code
    assert dcat.language_uri("swa").endswith("/language/SWA")
    assert dcat.language_uri("yor") == URIRef("http://lexvo.org/id/iso639-3/yor")
