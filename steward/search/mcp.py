"""The public catalogue as a Model Context Protocol server, for developers' own assistants:
search datasets (the discovery assistant's answer), and read one dataset's details and terms.

The tools are read-only and anonymous: they see what a visitor who is not signed in sees.
They are plain functions, which MCPServer runs on worker threads, where the ORM may block
(it refuses to run inside the event loop). Those threads come and go without Django's
request signals, so each call closes its thread's database connections itself."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.conf import settings
from django.db import connections
from django.urls import reverse
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field

from steward.access.services import current_policy
from steward.catalog.models import Dataset
from steward.catalog.queries import get_dataset_for
from steward.catalog.schemas import dataset_summary
from steward.lib.countries import country_name
from steward.lib.errors import DomainError, NotFound
from steward.lib.mail import absolute_url
from steward.licensing.describe import describe
from steward.licensing.engine import OrganizationType, Purpose
from steward.licensing.odrl import to_odrl

from .assistant import MAX_MESSAGE_CHARS, answer

INSTRUCTIONS = (
    "Steward is a catalogue of community-owned datasets (speech, text, images) in many "
    "languages. Use search_datasets to find datasets for a need, in plain words; pass the "
    "user's country, purpose and organization type when known, so that each result says "
    "whether they may download it, must request access or pay. Use get_dataset for one "
    "dataset's details and its terms (what the community allows), and quote the terms to "
    "the user before they use the data. Downloads need the user's own API key."
)

# Only the catalogue is read; calling twice gives the same answer while it stays the same.
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

MAX_RESULTS = 20


@contextmanager
def _tool_call() -> Iterator[None]:
    """One tool call: a broken rule reaches the assistant as a tool error it can read, and
    the worker thread's database connections are closed after it."""
    try:
        yield
    except DomainError as exc:
        raise ToolError(exc.message) from exc
    finally:
        connections.close_all()


def search_datasets(
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_MESSAGE_CHARS,
            description="What the user looks for, in plain words: a language, a task, a use.",
        ),
    ],
    country: Annotated[
        str | None,
        Field(description="The user's country (ISO 3166-1 alpha-2, e.g. KE), if known."),
    ] = None,
    purpose: Annotated[
        Purpose | None, Field(description="What the user will use the data for, if known.")
    ] = None,
    organization_type: Annotated[
        OrganizationType | None,
        Field(description="The kind of organization the user works for, if known."),
    ] = None,
    limit: Annotated[
        int, Field(ge=1, le=MAX_RESULTS, description="At most this many datasets.")
    ] = 5,
) -> dict[str, Any]:
    """Search Steward's public catalogue for datasets that fit a need.

    Returns a short reply and the best datasets, each with why it fits and what this user
    can do to get it (download, request access, pay, or unavailable to them), and the
    address of its page."""
    given = {"country": country, "purpose": purpose, "organizationType": organization_type}
    context = {key: str(value) for key, value in given.items() if value}
    messages = [{"role": "user", "content": query}]
    with _tool_call():
        found = answer(messages, context=context, user=None, limit=limit).as_json()
    datasets = [{**item, "datasetUrl": dataset_url(item["id"])} for item in found["datasets"]]
    return {"reply": found["reply"], "datasets": datasets}


def get_dataset(
    dataset: Annotated[
        str,
        Field(
            min_length=1,
            max_length=120,
            description="The dataset's id or slug, as search_datasets returns them.",
        ),
    ],
) -> dict[str, Any]:
    """One dataset of Steward's public catalogue: its details (language, task, format, size,
    licence, price, organization), its terms (in plain sentences, and as a W3C ODRL policy),
    and how to download it through the API."""
    with _tool_call():
        try:
            found = get_dataset_for(None, dataset)
        except NotFound:
            raise ToolError(
                f"No dataset {dataset!r} in the public catalogue. Use search_datasets to find "
                "datasets and their ids."
            ) from None
        return dataset_details(found)


def dataset_url(public_id: str) -> str:
    return absolute_url(reverse("catalog:dataset-detail", args=[public_id]))


def dataset_details(dataset: Dataset) -> dict[str, Any]:
    """What the API's details say (the same summary), with the terms and the API's doors."""
    api = absolute_url("/api")
    dataset_api = f"{api}/datasets/{dataset.public_id}"
    return {
        **dataset_summary(dataset),
        "languageCode": dataset.language.code,
        "licenseUrl": dataset.license_url or None,
        "organizationUrl": absolute_url(
            reverse("catalog:organization-detail", args=[dataset.organization.slug])
        ),
        "terms": dataset_terms(dataset),
        "api": {
            "details": f"GET {dataset_api}",
            "policy": f"GET {dataset_api}/policy",
            "requestAccess": f"POST {dataset_api}/access-requests",
            "download": f"POST {dataset_api}/download",
            "sampleDownload": f"POST {dataset_api}/sample-download" if dataset.has_sample else None,
            "authorization": "Authorization: Bearer <API key>; the user creates a key on "
            "their account page. The download answers a short-lived link, or says what is "
            "missing (request access, approval, payment).",
            "sdk": f"With MDC_API_URL={api} and MDC_API_KEY=<API key> set, the Python SDK "
            "(pip install datacollective) downloads it: "
            f"datacollective.download_dataset({dataset.public_id!r}, 'data/')",
        },
    }


def dataset_terms(dataset: Dataset) -> dict[str, Any] | None:
    """The terms in force for new requests: the sentences the dataset page shows, the
    organization's further conditions, and the ODRL policy `GET .../policy` answers."""
    version = current_policy(dataset)
    if version is None:
        return None
    terms = version.terms
    base = settings.STEWARD_BASE_URL
    return {
        "version": version.number,
        "sentences": describe(terms, country_name=country_name),
        "conditions": terms.conditions.strip() or None,
        "odrl": to_odrl(
            terms,
            uid=f"{base}/api/datasets/{dataset.public_id}/policy#v{version.number}",
            target=f"{base}/datasets/{dataset.public_id}",
            assigner=f"{base}/organizations/{dataset.organization.slug}",
        ),
    }


def build_server() -> MCPServer:
    """Steward's MCP server: the catalogue's read-only tools, for anyone, without sign-in."""
    server = MCPServer("steward", title="Steward", instructions=INSTRUCTIONS, log_level="WARNING")
    server.add_tool(search_datasets, title="Search datasets", annotations=READ_ONLY)
    server.add_tool(get_dataset, title="Get a dataset's details and terms", annotations=READ_ONLY)
    return server


def transport_security() -> TransportSecuritySettings:
    """Over HTTP, answer only to the host names the web server answers to (ALLOWED_HOSTS), so
    that a web page cannot reach a local server through a rebound DNS name."""
    hosts = settings.ALLOWED_HOSTS
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # "name:*" admits the name with any port.
    names = [pattern for host in hosts for pattern in (host, f"{host}:*")]
    return TransportSecuritySettings(
        allowed_hosts=names,
        allowed_origins=[
            *settings.CSRF_TRUSTED_ORIGINS,
            *(f"{scheme}://{name}" for name in names for scheme in ("http", "https")),
        ],
    )
