"""The public catalogue as DCAT-AP 3.0 RDF, for CKAN and the European data portals.

One graph holds a `dcat:Catalog` published by the platform's operator
(STEWARD_OPERATOR_NAME), and for every listed dataset (published, not private) a
`dcat:Dataset` with its organization as `dct:publisher`, the ODRL policy in force for new
requests (`odrl:hasPolicy`, see licensing/odrl.py), and one `dcat:Distribution` for the
current version's archive and one for its sample, none once that version is withdrawn.
A distribution's access URL is the dataset's page. It has no download URL: downloading is a
signed-in person's form post from that page (or an API call with a key), never a plain GET a
harvester could follow.

Vocabularies:
- languages: the EU Publications Office authority table where it has the language
  (eu_languages.txt), else Lexvo's ISO 639-3 URIs (http://lexvo.org/id/iso639-3/xxx);
- places (a locale's region, "sw-KE"): the EU country table, by ISO 3166-1 alpha-3;
- themes: the EU data-theme table: TECH for every dataset (data made for AI), EDUC
  (education, culture) too for computer-assisted language learning;
- access rights: PUBLIC for open terms, RESTRICTED otherwise;
- licences: the licence's own document URL (Creative Commons, SPDX-listed texts...);
- titles and descriptions carry the site's default language (LANGUAGE_CODE), in which
  datasheets are written; the catalogue's own title and description come in each language
  of the interface that translates them.

Large catalogues are served in pages of PAGE_SIZE datasets, oldest first so that a page
keeps its datasets as new ones are published; each page describes itself as a
`hydra:PagedCollection` with its neighbours, as DCAT-AP harvesters (CKAN's ckanext-dcat)
follow. Building a page costs a constant number of queries.

IRIs made of what people typed (an organization's website, a licence's URL, a contact's
email address) pass through `_iri`: Django's validators accept characters such as `{` or `|`
that no IRI may hold, and one of them would make the whole page unwritable.
"""

import hashlib
import importlib.metadata
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote

import pycountry
from django.conf import settings
from django.db.models import Count, Max, Min, Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, XSD

from steward.catalog.models import Dataset, DatasetFile, Task
from steward.licensing.document import policy_from_stored
from steward.licensing.licences import PREDEFINED
from steward.licensing.models import PolicyVersion
from steward.licensing.odrl import context_document, to_odrl

# Datasets per page: a page builds in about a second on one core.
PAGE_SIZE = 250
# The DCAT-AP 3.0 SHACL shapes the output is tested against.
SHAPES_FILE = Path(__file__).with_name("shapes") / "dcat-ap-3.ttl"
EU_LANGUAGES_FILE = Path(__file__).with_name("eu_languages.txt")

# DCAT 3 (rdflib knows DCAT 2, without dcat:version).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
LEXVO = "http://lexvo.org/id/iso639-3/"
IANA = "https://www.iana.org/assignments/media-types/"

# Prefixes of both serialisations (Turtle's @prefix, JSON-LD's @context).
PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "vcard": VCARD,
    "spdx": SPDX,
    "odrl": ODRL,
    "hydra": HYDRA,
    "dcatap": DCATAP,
    "xsd": XSD,
    "rdfs": RDFS,
    "rdf": RDF,
}

THEMES = {Task.CALL: ("TECH", "EDUC")}
DEFAULT_THEMES = ("TECH",)
# The catalogue's own title and description, translated when the graph is built.
CATALOG_TITLE = gettext_noop("%(name)s dataset catalogue")
CATALOG_DESCRIPTION = gettext_noop(
    "Datasets that communities created and published on %(name)s, on their own terms."
)
DISTRIBUTION_DESCRIPTIONS = {
    DatasetFile.Role.ARCHIVE: gettext_noop("The dataset's archive, version %(number)s"),
    DatasetFile.Role.SAMPLE: gettext_noop("A sample of the dataset, version %(number)s"),
}


@cache
def eu_languages() -> frozenset[str]:
    """The ISO 639-3 codes the EU language authority table has (see eu_languages.txt)."""
    lines = EU_LANGUAGES_FILE.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def language_uri(iso639_3: str) -> URIRef:
    """The EU authority URI of a language where there is one, else its Lexvo ISO 639-3 URI."""
    if iso639_3 in eu_languages():
        return URIRef(f"{AUTHORITY}language/{iso639_3.upper()}")
    return URIRef(f"{LEXVO}{iso639_3}")


def country_uri(locale: str) -> URIRef | None:
    """The EU country URI of a locale's region ("sw-KE" -> .../country/KEN), if it has one."""
    for subtag in locale.split("-")[1:]:
        if len(subtag) == 2 and subtag.isalpha():
            country = pycountry.countries.get(alpha_2=subtag.upper())
            if country is not None:
                return URIRef(f"{AUTHORITY}country/{country.alpha_3}")
    return None


@dataclass(frozen=True)
class Page:
    datasets: list[Dataset]
    number: int
    count: int  # pages in all
    total: int  # datasets in all
    issued: datetime | None  # the first publication in the catalogue
    modified: datetime | None  # its latest change


def listed_datasets():
    """The datasets of the public catalogue, oldest first, with what their ETag reads (the
    files are fetched by build_catalog, only when the page is built)."""
    return (
        Dataset.objects.listed()
        .select_related("organization", "language", "current_version", "usage_policy__current")
        .order_by("id")
    )


class PageOutOfRange(Exception):
    pass


def catalogue_page(number: int = 1) -> Page:
    """One page of the catalogue (page 1 exists even when the catalogue is empty)."""
    size = PAGE_SIZE
    summary = Dataset.objects.listed().aggregate(
        total=Count("id"), issued=Min("published_at"), modified=Max("updated_at")
    )
    total = summary["total"]
    count = max(1, -(-total // size))
    if not 1 <= number <= count:
        raise PageOutOfRange(count)
    start = (number - 1) * size
    return Page(
        datasets=list(listed_datasets()[start : start + size]),
        number=number,
        count=count,
        total=total,
        issued=summary["issued"],
        modified=summary["modified"],
    )


def page_etag(page: Page, fmt: str) -> str:
    """An HTTP validator of a page in format `fmt`, from everything its graph is built of,
    so that a harvester's conditional request is answered without building it, and a built
    page can be kept under it (views.catalog)."""
    parts = [
        fmt,
        settings.STEWARD_BASE_URL,
        settings.STEWARD_OPERATOR_NAME,
        settings.LANGUAGE_CODE,
        _software_version(),
        json.dumps(_interface_texts()),
        f"{page.number}/{page.count}/{page.total}/{page.issued}/{page.modified}",
    ]
    for dataset in page.datasets:
        version = dataset.current_version
        policy = dataset.usage_policy.current if dataset.usage_policy else None
        organization, language = dataset.organization, dataset.language
        # Saving a dataset moves updated_at; its organization, language and versions change
        # apart. A version's files and their blobs never change.
        parts.append(
            f"{dataset.pk}|{dataset.updated_at}|{organization.slug}|{organization.name}"
            f"|{organization.website}|{language.code}|{language.iso639_3}|{language.name}"
            f"|{language.autonym}|{version and version.pk}|{version and version.withdrawn_at}"
            f"|{policy and policy.pk}"
        )
    return '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40] + '"'


def _interface_texts() -> list:
    """The translated words the graph holds beside the data (a new translation changes it)."""
    texts: list = [_translations(CATALOG_TITLE), _translations(CATALOG_DESCRIPTION)]
    with translation.override(settings.LANGUAGE_CODE):
        texts += [_(text) for text in DISTRIBUTION_DESCRIPTIONS.values()]
        texts += [str(label) for label in Task.labels]
    return texts


@cache
def _software_version() -> str:
    # A new release may write the same data differently.
    try:
        return importlib.metadata.version("steward")
    except importlib.metadata.PackageNotFoundError:
        return ""


class _Urls:
    """Absolute IRIs of Steward's resources (the public base URL, not the request's host)."""

    def __init__(self) -> None:
        self.base = settings.STEWARD_BASE_URL

    def __call__(self, name: str, *args) -> URIRef:
        return URIRef(self.base + reverse(name, args=args))

    def page(self, suffix: str, number: int) -> URIRef:
        return URIRef(f"{self.base}/catalog.{suffix}?page={number}")


# What an IRI cannot hold (RFC 3987; Turtle's IRIREF refuses the same), though Django's URL
# and email validators let it through: controls, space, < > " { } | \ ^ and backtick.
_NOT_IN_IRI = re.compile(r'[\x00-\x20\x7f<>"{}|\\^`]')


def _iri(value: str) -> URIRef:
    """A stored URL as an IRI, the characters no IRI may hold percent-encoded (all ASCII,
    so one byte each); other non-ASCII characters stay, as IRIs allow."""
    return URIRef(_NOT_IN_IRI.sub(lambda match: f"%{ord(match.group()):02X}", value))


def _mailto(email: str) -> URIRef:
    """A mailto: IRI (RFC 6068): everything but "@" and its allowed delimiters encoded, so
    that a "#" or "?" of the address cannot read as a fragment or a query."""
    return URIRef("mailto:" + quote(email, safe="@!$'()*+,;:"))


def _literal(text: str, language: str) -> Literal:
    return Literal(text, lang=language)


def _date(value) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


@lru_cache(maxsize=512)
def _policy_triples(document_json: str) -> tuple:
    """The ODRL policy of a stored policy document as triples, its policy, target and
    assigner written as placeholders: the triples of one document are parsed once, however
    many datasets share it (most share one of a few policies)."""
    body = to_odrl(
        policy_from_stored(json.loads(document_json)),
        uid=str(_PLACEHOLDER_UID),
        target=str(_PLACEHOLDER_TARGET),
        assigner=str(_PLACEHOLDER_ASSIGNER),
    )
    # The bundled copy of the ODRL context: parsing never reaches the network.
    body["@context"] = context_document()["@context"]
    return tuple(Graph().parse(data=json.dumps(body), format="json-ld"))


_PLACEHOLDER_UID = URIRef("urn:steward:placeholder:policy")
_PLACEHOLDER_TARGET = URIRef("urn:steward:placeholder:target")
_PLACEHOLDER_ASSIGNER = URIRef("urn:steward:placeholder:assigner")


def add_policy(
    graph: Graph, version: PolicyVersion, *, uid: URIRef, target: URIRef, assigner: URIRef
) -> None:
    """Add the ODRL policy of `version` to `graph` under the IRI `uid`."""
    document = json.dumps(version.document, sort_keys=True)
    names = {_PLACEHOLDER_UID: uid, _PLACEHOLDER_TARGET: target, _PLACEHOLDER_ASSIGNER: assigner}
    # Each dataset gets blank nodes of its own, or two datasets' rules would merge.
    fresh: dict[BNode, BNode] = {}

    def name(node):
        if isinstance(node, BNode):
            return fresh.setdefault(node, BNode())
        return names.get(node, node)

    for s, p, o in _policy_triples(document):
        graph.add((name(s), p, name(o)))


class _Builder:
    def __init__(self, graph: Graph, language: str) -> None:
        self.graph = graph
        self.language = language
        self.urls = _Urls()
        self.agents: set[URIRef] = set()
        self.licences: dict[str, URIRef | BNode] = {}

    def add(self, *triple) -> None:
        self.graph.add(triple)

    def publisher(self, organization) -> URIRef:
        agent = self.urls("catalog:organization-detail", organization.slug)
        if agent not in self.agents:
            self.agents.add(agent)
            self.add(agent, RDF.type, FOAF.Agent)
            self.add(agent, RDF.type, FOAF.Organization)
            self.add(agent, FOAF.name, Literal(organization.name))
            if organization.website:
                self.add(agent, FOAF.homepage, _iri(organization.website))
        return agent

    def licence(self, dataset: Dataset) -> URIRef | BNode | None:
        """The dataset's licence as a dct:LicenseDocument, None when it names none."""
        abbreviation = dataset.license_abbreviation
        if not abbreviation:
            return None
        known = PREDEFINED.get(abbreviation)
        url = known.url if known else dataset.license_url
        key = url or f"custom:{abbreviation}:{dataset.license_name}"
        if key in self.licences:
            return self.licences[key]
        node = _iri(url) if url else BNode()
        self.licences[key] = node
        self.add(node, RDF.type, DCTERMS.LicenseDocument)
        self.add(node, DCTERMS.title, Literal(known.name if known else dataset.license_name))
        self.add(node, DCTERMS.identifier, Literal(abbreviation))
        return node

    def contact(self, dataset: Dataset) -> BNode | None:
        """The datasheet's point of contact, where the organization chose to show it."""
        sheet = dataset.current_version.datasheet if dataset.current_version else {}
        name = sheet.get("point_of_contact_full_name", "")
        email = sheet.get("point_of_contact_email", "")
        if not sheet.get("show_contact_info") or not (name or email):
            return None
        node = BNode()
        self.add(node, RDF.type, VCARD.Kind)
        if name:
            self.add(node, VCARD.fn, Literal(name))
        if email:
            self.add(node, VCARD.hasEmail, _mailto(email))
        return node

    def dataset(self, dataset: Dataset) -> URIRef:
        page = self.urls("catalog:dataset-detail", dataset.public_id)
        version = dataset.current_version
        policy = dataset.usage_policy.current if dataset.usage_policy else None
        is_open = policy is not None and policy.terms.is_open
        lang = self.language
        node = page
        self.add(node, RDF.type, DCAT.Dataset)
        self.add(node, DCTERMS.title, _literal(dataset.name, lang))
        description = dataset.long_description or dataset.short_description or dataset.name
        self.add(node, DCTERMS.description, _literal(description, lang))
        self.add(node, DCTERMS.identifier, Literal(dataset.public_id))
        self.add(node, DCAT.landingPage, page)
        self.add(node, DCTERMS.publisher, self.publisher(dataset.organization))
        if dataset.published_at:
            self.add(node, DCTERMS.issued, _date(dataset.published_at))
        self.add(node, DCTERMS.modified, _date(dataset.updated_at))
        if version is not None:
            self.add(node, DCAT.version, Literal(str(version.number)))

        language = dataset.language
        self.add(node, DCTERMS.language, language_uri(language.iso639_3))
        self.add(node, DCAT.keyword, Literal(language.name, lang="en"))
        if language.autonym:
            self.add(node, DCAT.keyword, Literal(language.autonym, lang=language.code))
        if dataset.task:
            self.add(node, DCAT.keyword, _literal(dataset.get_task_display(), lang))
        if dataset.format:
            self.add(node, DCAT.keyword, Literal(dataset.format))
        for theme in THEMES.get(dataset.task, DEFAULT_THEMES):
            self.add(node, DCAT.theme, URIRef(f"{AUTHORITY}data-theme/{theme}"))
        if (place := country_uri(dataset.locale)) is not None:
            self.add(node, DCTERMS.spatial, place)
        rights = "PUBLIC" if is_open else "RESTRICTED"
        self.add(node, DCTERMS.accessRights, URIRef(f"{AUTHORITY}access-right/{rights}"))
        if (contact := self.contact(dataset)) is not None:
            self.add(node, DCAT.contactPoint, contact)

        policy_iri = None
        if policy is not None:
            # The IRI GET /api/datasets/{id}/policy gives the same policy.
            policy_iri = URIRef(
                f"{self.urls.base}/api/datasets/{dataset.public_id}/policy#v{policy.number}"
            )
            add_policy(
                self.graph,
                policy,
                uid=policy_iri,
                target=page,
                assigner=self.publisher(dataset.organization),
            )
            self.add(node, ODRL.hasPolicy, policy_iri)

        if version is None or version.withdrawn_at is not None:
            return node
        licence = self.licence(dataset)
        files = {f.role: f for f in version.files.all()}
        for role, file in sorted(files.items()):
            distribution = URIRef(f"{page}#{role}-v{version.number}")
            self.add(node, DCAT.distribution, distribution)
            self.add(distribution, RDF.type, DCAT.Distribution)
            self.add(distribution, DCTERMS.title, Literal(file.filename))
            self.add(
                distribution,
                DCTERMS.description,
                _literal(_(DISTRIBUTION_DESCRIPTIONS[role]) % {"number": version.number}, lang),
            )
            self.add(distribution, DCAT.accessURL, page)
            blob = file.blob
            self.add(
                distribution,
                DCAT.byteSize,
                Literal(blob.size_bytes, datatype=XSD.nonNegativeInteger),
            )
            # Archives are gzip-compressed tar files (catalog.services accepts no other).
            self.add(distribution, DCAT.mediaType, URIRef(f"{IANA}application/gzip"))
            self.add(distribution, DCAT.compressFormat, URIRef(f"{IANA}application/gzip"))
            self.add(distribution, DCAT.packageFormat, URIRef(f"{AUTHORITY}file-type/TAR"))
            self.add(distribution, DCTERMS.format, URIRef(f"{AUTHORITY}file-type/TAR_GZ"))
            checksum = BNode()
            self.add(distribution, SPDX.checksum, checksum)
            self.add(checksum, RDF.type, SPDX.Checksum)
            self.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
            self.add(checksum, SPDX.checksumValue, Literal(blob.sha256, datatype=XSD.hexBinary))
            availability = URIRef(f"{AUTHORITY}planned-availability/STABLE")
            self.add(distribution, DCATAP.availability, availability)
            self.add(distribution, DCTERMS.language, language_uri(language.iso639_3))
            if version.published_at:
                self.add(distribution, DCTERMS.issued, _date(version.published_at))
            if licence is not None:
                self.add(distribution, DCTERMS.license, licence)
            if policy_iri is not None:
                self.add(distribution, ODRL.hasPolicy, policy_iri)
        return node


def _translations(message: str) -> dict[str, str]:
    """`message` in each interface language that translates it (English always)."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = _(message)
        if code == "en" or text != message:
            texts[code] = text
    return texts


def build_catalog(page: Page, *, suffix: str = "ttl") -> Graph:
    """The DCAT-AP graph of one page of the catalogue. `suffix` names the serialisation
    the page links its neighbours in ("ttl" or "jsonld")."""
    files = DatasetFile.objects.select_related("blob")
    prefetch_related_objects(page.datasets, Prefetch("current_version__files", queryset=files))
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        builder = _Builder(graph, language)
        urls = builder.urls
        catalog = URIRef(f"{urls.base}/")
        graph.add((catalog, RDF.type, DCAT.Catalog))
        operator = URIRef(f"{urls.base}/#operator")
        graph.add((operator, RDF.type, FOAF.Agent))
        graph.add((operator, RDF.type, FOAF.Organization))
        graph.add((operator, FOAF.name, Literal(settings.STEWARD_OPERATOR_NAME)))
        graph.add((operator, FOAF.homepage, catalog))
        name = settings.STEWARD_OPERATOR_NAME
        for code, text in _translations(CATALOG_TITLE).items():
            graph.add((catalog, DCTERMS.title, Literal(text % {"name": name}, lang=code)))
        for code, text in _translations(CATALOG_DESCRIPTION).items():
            graph.add((catalog, DCTERMS.description, Literal(text % {"name": name}, lang=code)))
        graph.add((catalog, DCTERMS.publisher, operator))
        graph.add((catalog, FOAF.homepage, catalog))
        graph.add((catalog, DCTERMS.language, language_uri(_iso639_3(language))))
        graph.add((catalog, DCAT.themeTaxonomy, URIRef(f"{AUTHORITY}data-theme")))
        if page.issued:
            graph.add((catalog, DCTERMS.issued, _date(page.issued)))
        if page.modified:
            graph.add((catalog, DCTERMS.modified, _date(page.modified)))
        for dataset in page.datasets:
            graph.add((catalog, DCAT.dataset, builder.dataset(dataset)))

        view = urls.page(suffix, page.number)
        graph.add((view, RDF.type, HYDRA.PagedCollection))
        graph.add((view, HYDRA.totalItems, Literal(page.total)))
        graph.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE)))
        graph.add((view, HYDRA.firstPage, urls.page(suffix, 1)))
        graph.add((view, HYDRA.lastPage, urls.page(suffix, page.count)))
        if page.number > 1:
            graph.add((view, HYDRA.previousPage, urls.page(suffix, page.number - 1)))
        if page.number < page.count:
            graph.add((view, HYDRA.nextPage, urls.page(suffix, page.number + 1)))
    return graph


def _iso639_3(code: str) -> str:
    language = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    return language.alpha_3 if language else code


def serialize(graph: Graph, fmt: str) -> bytes:
    """`graph` as Turtle ("turtle") or compact JSON-LD ("json-ld"), UTF-8."""
    if fmt == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, auto_compact=True).encode()
    return _turtle(graph).encode()


# A local name that every Turtle reader takes after a prefix.
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _turtle(graph: Graph) -> str:
    """Turtle, one block per subject, blank nodes by label.

    rdflib's own Turtle writer looks for a prefix for every IRI against every namespace it
    has met, and each dataset's hash IRIs (#archive-v1) add one: its time grows with the
    square of the catalogue. Here only PREFIXES are tried, so it grows linearly."""
    # Longest namespace first: a term takes the most specific prefix.
    prefixes = sorted(((p, str(ns)) for p, ns in PREFIXES.items()), key=lambda i: -len(i[1]))

    def term(node) -> str:
        if isinstance(node, URIRef):
            for prefix, namespace in prefixes:
                if node.startswith(namespace) and _LOCAL_NAME.match(node[len(namespace) :]):
                    return f"{prefix}:{node[len(namespace) :]}"
        elif isinstance(node, Literal) and node.datatype is not None:
            return f"{Literal(str(node)).n3()}^^{term(node.datatype)}"
        return node.n3()

    lines = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in sorted(prefixes)]
    for subject in sorted(set(graph.subjects()), key=lambda node: (isinstance(node, BNode), node)):
        lines.append("")
        objects = sorted(graph.predicate_objects(subject))
        statements = [
            ("a" if predicate == RDF.type else term(predicate), term(value))
            for predicate, value in objects
        ]
        body = " ;\n    ".join(f"{predicate} {value}" for predicate, value in statements)
        lines.append(f"{term(subject)} {body} .")
    return "\n".join(lines) + "\n"
