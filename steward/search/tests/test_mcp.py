"""The MCP server through the official `mcp` client: in memory over JSON-RPC, and
`steward mcp` run as a subprocess over stdio and over Streamable HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult

from steward.catalog.tests.factories import make_dataset
from steward.moderation.services import report_dataset, take_down
from steward.operations.tests.serving import database_url, free_port
from steward.search.mcp import build_server

# The tools run on the server's worker threads, whose database connections see only
# committed rows: each test commits its data, and the tables are emptied after it.
pytestmark = pytest.mark.django_db(transaction=True)

BASE_URL = "http://steward.test"
TIMEOUT = 60


@pytest.fixture
def catalogue(organization, settings):
    settings.STEWARD_BASE_URL = BASE_URL
    lingala = make_dataset(
        organization,
        slug="lingala-radio",
        usage_policy={
            "purposes": ["research", "education"],
            "geography": {"mode": "deny", "places": ["FR"]},
            "attribution": "Radio Kinshasa Community",
            "conditions": "Tell the radio what you built.",
        },
    )
    swahili = make_dataset(
        organization,
        slug="swahili-news",
        name="Habari za Kiswahili",
        locale="sw",
        task="MT",
        format="TSV",
        isPaid=True,
        basePriceCents=25000,
    )
    hidden = make_dataset(
        organization,
        slug="hidden-lingala",
        name="Hidden Lingala recordings",
        visibility="private",
    )
    return {"lingala": lingala, "swahili": swahili, "hidden": hidden}


def call(name: str, arguments: dict) -> CallToolResult:
    """One tools/call over a fresh in-memory session. `legacy` is the initialize handshake
    and JSON-RPC framing that MCP clients use today, instead of in-process dispatch."""

    async def session() -> CallToolResult:
        async with Client(build_server(), mode="legacy") as client:
            return await client.call_tool(name, arguments)

    return anyio.run(session)


def error_of(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text


def test_it_lists_the_search_and_details_tools():
    async def session():
        async with Client(build_server(), mode="legacy") as client:
            return client.server_info, client.instructions, (await client.list_tools()).tools

    info, instructions, tools = anyio.run(session)

    assert info.name == "steward" and "search_datasets" in instructions
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {"search_datasets", "get_dataset"}
    search = by_name["search_datasets"]
    assert search.annotations.read_only_hint
    assert search.input_schema["required"] == ["query"]
    assert set(search.input_schema["properties"]) == {
        "query", "country", "purpose", "organization_type", "limit",
    }  # fmt: skip
    # The assistant reads the allowed values from the schema instead of guessing them.
    assert search.input_schema["$defs"]["Purpose"]["enum"] == [
        "research", "education", "non_commercial", "commercial",
    ]  # fmt: skip
    assert by_name["get_dataset"].input_schema["required"] == ["dataset"]


def test_search_finds_a_published_dataset_by_its_language_name(catalogue):
    result = call("search_datasets", {"query": "Lingala speech recordings"})

    assert not result.is_error, result.content
    found = result.structured_content
    assert found["reply"]
    lingala = catalogue["lingala"]
    first = found["datasets"][0]
    assert first["id"] == lingala.public_id and first["slug"] == "lingala-radio"
    assert first["name"] == "Lingala Radio Speech" and first["reason"]
    assert first["access"]["action"] in {"download", "request", "pay", "unavailable"}
    assert first["datasetUrl"] == f"{BASE_URL}/datasets/{lingala.public_id}"
    # Anonymous callers see the public catalogue only.
    assert catalogue["hidden"].public_id not in {d["id"] for d in found["datasets"]}


def test_search_answers_for_the_users_country_purpose_and_organization(catalogue):
    result = call(
        "search_datasets",
        {
            "query": "datasets in Lingala or Swahili",
            "country": "FR",
            "purpose": "commercial",
            "organization_type": "company",
        },
    )

    assert not result.is_error, result.content
    # The Lingala terms (research and education only, not in France) rule out a French
    # company's commercial use; the Swahili dataset is for sale to anyone who asks (a grant
    # first, then the payment).
    (swahili,) = result.structured_content["datasets"]
    assert swahili["slug"] == "swahili-news"
    assert swahili["access"]["action"] == "request"
    assert swahili["access"]["priceCents"] == 26250 and swahili["access"]["currency"] == "USD"


def test_search_returns_at_most_limit_datasets(catalogue):
    query = {"query": "datasets in Lingala or Swahili"}

    assert len(call("search_datasets", query).structured_content["datasets"]) == 2
    assert len(call("search_datasets", {**query, "limit": 1}).structured_content["datasets"]) == 1


def test_get_dataset_returns_its_details_and_terms(catalogue, client, settings):
    lingala = catalogue["lingala"]

    result = call("get_dataset", {"dataset": "lingala-radio"})

    assert not result.is_error, result.content
    details = result.structured_content
    assert details["id"] == lingala.public_id and details["name"] == "Lingala Radio Speech"
    assert details["shortDescription"] == "Read speech from a community radio."
    assert details["languageName"] == "Lingala" and details["languageCode"] == "ln"
    assert details["locale"] == "ln" and details["task"] == "ASR" and details["format"] == "WAV"
    assert details["licenseAbbreviation"] == "CC-BY-4.0"
    assert details["pricing"]["isPaid"] is False
    assert details["organization"] == {"name": "Radio Kinshasa Community", "slug": "radio-kinshasa"}
    assert details["datasetUrl"] == f"{BASE_URL}/datasets/{lingala.public_id}"
    assert details["organizationUrl"] == f"{BASE_URL}/organizations/radio-kinshasa"
    api = f"{BASE_URL}/api/datasets/{lingala.public_id}"
    assert details["api"]["download"] == f"POST {api}/download"
    terms = details["terms"]
    assert terms["version"] == 1
    assert "You may use it for research and education only." in terms["sentences"]
    assert "Not available in: France." in terms["sentences"]
    assert "Credit: Radio Kinshasa Community" in terms["sentences"]
    assert terms["conditions"] == "Tell the radio what you built."
    # The same ODRL policy as the API's, asked for at the same address.
    settings.ALLOWED_HOSTS = ["steward.test"]
    policy = client.get(f"/api/datasets/{lingala.public_id}/policy", HTTP_HOST="steward.test")
    assert terms["odrl"] == policy.json()


def test_get_dataset_by_id_shows_the_price(catalogue):
    swahili = catalogue["swahili"]

    details = call("get_dataset", {"dataset": swahili.public_id}).structured_content

    assert details["slug"] == "swahili-news"
    assert details["pricing"]["basePriceCents"] == 25000
    assert details["pricing"]["totalPriceCents"] == 26250


def test_an_unknown_dataset_is_a_tool_error(catalogue):
    message = error_of(call("get_dataset", {"dataset": "no-such-dataset"}))

    assert "No dataset 'no-such-dataset' in the public catalogue" in message


def test_a_private_dataset_is_not_found(catalogue):
    hidden = catalogue["hidden"]

    # By slug and by id alike: its existence is not told to anonymous callers.
    for reference in ("hidden-lingala", hidden.public_id):
        message = error_of(call("get_dataset", {"dataset": reference}))
        assert f"No dataset {reference!r}" in message


def test_a_dataset_taken_down_answers_its_public_reason(catalogue, staff):
    report = report_dataset(
        catalogue["lingala"],
        reporter=None,
        email="speaker@example.org",
        kind="consent",
        details="I never agreed to this.",
    )
    take_down(report, actor=staff, public_reason="Consent withdrawn by a speaker.")

    message = error_of(call("get_dataset", {"dataset": "lingala-radio"}))

    assert "Consent withdrawn by a speaker." in message


def test_bad_arguments_are_tool_errors(catalogue):
    message = error_of(call("search_datasets", {"query": "Lingala", "purpose": "spying"}))
    assert "purpose" in message and "research" in message

    message = error_of(call("search_datasets", {"query": "Lingala", "limit": 500}))
    assert "limit" in message

    message = error_of(call("get_dataset", {}))
    assert "dataset" in message


def test_a_bad_country_is_a_tool_error(catalogue):
    message = error_of(call("search_datasets", {"query": "Lingala", "country": "Narnia"}))

    assert "country" in message.lower()


# `steward mcp` itself, started as an MCP client starts it.


def child_environment(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "STEWARD_HOME": str(home),
        "STEWARD_BASE_URL": BASE_URL,
    }


async def exercise(client: Client, catalogue: dict) -> None:
    """What an assistant does: list the tools, search, read one dataset, get refused."""
    tools = await client.list_tools()
    assert {tool.name for tool in tools.tools} == {"search_datasets", "get_dataset"}

    found = await client.call_tool("search_datasets", {"query": "Lingala"})
    assert not found.is_error, found.content
    ids = [d["id"] for d in found.structured_content["datasets"]]
    assert catalogue["lingala"].public_id in ids and catalogue["hidden"].public_id not in ids

    details = await client.call_tool("get_dataset", {"dataset": "lingala-radio"})
    assert not details.is_error, details.content
    assert "Not available in: France." in details.structured_content["terms"]["sentences"]
    assert details.structured_content["datasetUrl"].startswith(BASE_URL)

    missing = await client.call_tool("get_dataset", {"dataset": "hidden-lingala"})
    assert "No dataset 'hidden-lingala'" in error_of(missing)
    wrong = await client.call_tool("search_datasets", {"query": "x", "purpose": "spying"})
    assert "purpose" in error_of(wrong)


@pytest.mark.live
def test_steward_mcp_serves_over_stdio(catalogue, tmp_path):
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "steward", "mcp"], env=child_environment(tmp_path)
    )
    errors = tmp_path / "stderr.log"

    async def session():
        with errors.open("w") as errlog, anyio.fail_after(TIMEOUT):
            async with Client(stdio_client(parameters, errlog=errlog)) as client:
                await exercise(client, catalogue)

    try:
        anyio.run(session)
    except BaseException:
        print(errors.read_text())
        raise


@pytest.mark.live
def test_steward_mcp_serves_over_http(catalogue, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "steward", "mcp", "--http", "--port", str(port)],
        env=child_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)

        async def session():
            with anyio.fail_after(TIMEOUT):
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                    await exercise(client, catalogue)

        anyio.run(session)
    finally:
        server.terminate()
        server.wait(timeout=30)
