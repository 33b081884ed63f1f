"""Croissant 1.1 + RAI for every published dataset: who may read it, what it says, and that
mlcroissant validates it and loads its records."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import mlcroissant as mlc
import pytest
import requests

from steward.access.models import DownloadEvent
from steward.access.services import withdraw_version
from steward.accounts.services import create_api_key, revoke_api_key
from steward.audit.models import AuditEvent
from steward.catalog import demo
from steward.catalog.models import DatasetVersion
from steward.catalog.services import remove_dataset
from steward.exports.croissant import safe_name

from .conftest import (
    DATASHEET,
    PERSONAS,
    SPEECH,
    VISIBILITY,
    WITHDRAWN,
    get_as,
    publish_reviewed,
)

pytestmark = pytest.mark.django_db


def croissant_url(dataset, number=None) -> str:
    if number is None:
        return f"/api/datasets/{dataset.public_id}/croissant"
    return f"/api/datasets/{dataset.public_id}/versions/{number}/croissant"


def validated(document: dict) -> mlc.Dataset:
    """The document through mlcroissant's validation, which must find no error (it raises)
    and no warning."""
    dataset = mlc.Dataset(jsonld=document)
    assert dataset.metadata.ctx.issues.warnings == set()
    return dataset


# -- Who may read it -------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", list(VISIBILITY))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_croissant_of_each_visibility(
    client, auth_for, request, owner, staff, visibility, persona
):
    dataset = publish_reviewed(
        owner, staff, name=f"Lingala {visibility}", visibility=visibility
    ).dataset
    for url in (croissant_url(dataset), croissant_url(dataset, 1)):
        response = get_as(client, auth_for, request, persona, url)
        assert response.status_code == VISIBILITY[visibility][persona], url
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
            # Nothing of a private dataset shows through to those who may not see it.
            assert "Lingala" not in response.content.decode()
        else:
            assert response["Content-Type"] == "application/ld+json"
            assert response.json()["name"] == f"Lingala {visibility}"


def test_members_read_a_private_croissant_with_their_session(client, private, member, staff):
    client.force_login(member)
    assert client.get(croissant_url(private)).status_code == 200
    client.force_login(staff)
    assert client.get(croissant_url(private)).status_code == 404
    client.logout()
    assert client.get(croissant_url(private)).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_withdrawn_version_answers_410_with_the_reason_to_outsiders(
    client, auth_for, request, published, owner, persona
):
    withdraw_version(
        published.current_version, actor=owner, reason="The speakers withdrew their consent."
    )
    response = get_as(client, auth_for, request, persona, croissant_url(published))
    assert response.status_code == WITHDRAWN[persona]
    if response.status_code == 410:
        assert response.json() == {
            "error": "The speakers withdrew their consent.",
            "code": "withdrawn",
            "field": None,
        }


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_unpublished_version_is_not_found_by_anyone(
    client, auth_for, request, published, persona
):
    DatasetVersion.objects.create(dataset=published, number=2, datasheet={"name": "Draft"})
    response = get_as(client, auth_for, request, persona, croissant_url(published, 2))
    assert response.status_code == 404
    assert response.json()["code"] == "no_version"


def test_a_removed_dataset_answers_410(client, published, staff):
    remove_dataset(published, actor=staff, reason="Copyright claim upheld.")
    response = client.get(croissant_url(published))
    assert response.status_code == 410
    assert response.json()["code"] == "removed"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/datasets/nosuchdataset/croissant", 404, "not_found"),
        ("/api/datasets/" + "x" * 200 + "/croissant", 404, "not_found"),
        ("/api/datasets/{id}/versions/9/croissant", 404, "no_version"),
        ("/api/datasets/{id}/versions/0/croissant", 404, "no_version"),
        ("/api/datasets/{id}/versions/-1/croissant", 404, "no_version"),
        ("/api/datasets/{id}/versions/99999999999999999999999/croissant", 404, "no_version"),
        ("/api/datasets/{id}/versions/one/croissant", 400, "invalid"),
    ],
)
def test_bad_ids_get_a_json_error(client, published, path, status, code):
    response = client.get(path.replace("{id}", published.public_id))
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    if status == 400:
        assert body["field"] == "number"


def test_a_wrong_or_revoked_key_is_refused_not_ignored(client, published, member):
    api_key, secret = create_api_key(member)
    revoke_api_key(api_key)
    for header in (f"Bearer {secret}", "Bearer not-a-key"):
        response = client.get(croissant_url(published), HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


# -- What it says ---------------------------------------------------------------------------


def test_the_croissant_validates_and_describes_files_tables_and_clips(client, published):
    document = client.get(croissant_url(published)).json()
    validated(document)
    version = published.current_version
    files = {f.role: f.blob for f in version.files.select_related("blob")}
    nodes = {node["@id"]: node for node in document["distribution"]}

    assert document["conformsTo"] == [
        "http://mlcommons.org/croissant/1.1",
        "http://mlcommons.org/croissant/RAI/1.0",
    ]
    assert document["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    assert document["license"] == ["https://creativecommons.org/licenses/by/4.0/"]
    assert document["url"] == f"http://testserver/datasets/{published.public_id}"
    assert document["version"] == "1.0.0"
    # One FileObject per stored file, with its checksum and its download endpoint.
    for role in ("archive", "sample"):
        assert nodes[role]["@type"] == "cr:FileObject"
        assert nodes[role]["sha256"] == files[role].sha256
        assert nodes[role]["contentSize"] == f"{files[role].size_bytes} B"
        assert nodes[role]["contentUrl"] == (
            f"http://testserver/api/datasets/{published.public_id}/versions/1/files/{role}"
        )
    # The inspection's table, inside the archive, with a field per column.
    table = nodes["file_lingala-radio-speech_metadata.csv"]
    assert table["containedIn"] == {"@id": "archive"}
    assert table["contentUrl"] == "lingala-radio-speech/metadata.csv"
    assert table["encodingFormat"] == "text/csv"
    record_sets = {rs["@id"]: rs for rs in document["recordSet"]}
    fields = record_sets["metadata"]["field"]
    assert [f["@id"] for f in fields] == [
        "metadata/file_name",
        "metadata/transcript",
        "metadata/speaker",
    ]
    assert all(f["dataType"] == "sc:Text" for f in fields)
    assert fields[1]["source"] == {
        "fileObject": {"@id": table["@id"]},
        "extract": {"column": "transcript"},
    }
    assert "audio clip" in fields[0]["description"]
    # The clips, as a set of files with their path and audio content.
    assert nodes["files_clips"]["includes"] == ["*.wav", "**/*.wav"]
    assert [f["dataType"] for f in record_sets["clips"]["field"]] == ["sc:Text", "sc:AudioObject"]


def test_the_rai_fields_come_from_the_datasheet_and_the_attestation(client, published):
    document = client.get(croissant_url(published)).json()
    assert document["rai:dataUseCases"] == ["Speech recognition for Lingala."]
    annotation = [DATASHEET["annotationProcess"]]
    biases = [DATASHEET["knownBiases"]]
    assert document["rai:dataAnnotationProtocol"] == annotation
    assert document["rai:dataBiases"] == biases
    # mlcroissant reads them as the RAI properties they are meant to be.
    metadata = validated(document).metadata
    assert (metadata.data_annotation_protocol, metadata.data_biases) == (annotation, biases)
    assert "Forbidden use: Surveillance." in document["rai:dataLimitations"]
    assert "Restrictions: No speaker identification." in document["rai:dataLimitations"]
    assert "Additional conditions: Credit the radio." in document["rai:dataLimitations"]
    assert "Every speaker signed the radio's consent form." not in document["rai:dataCollection"]
    assert "listeners' council" in document["rai:dataCollection"]
    assert document["rai:personalSensitiveInformation"][0] == (
        "Consent basis: Informed consent of every person in the data"
    )
    assert "withdrawn" in document["rai:dataReleaseMaintenancePlan"]
    # The point of contact asked not to be shown.
    assert "marie@example.org" not in json.dumps(document)
    # The Local Contexts label is part of the conditions of access.
    assert "TK Attribution (applied by Radio Kinshasa listeners)" in document["conditionsOfAccess"]


def test_annotation_and_biases_are_left_out_when_the_datasheet_has_none(client, owner, staff):
    dataset = publish_reviewed(
        owner, staff, name="Not annotated", annotationProcess="", knownBiases=""
    ).dataset
    document = client.get(croissant_url(dataset)).json()
    assert "rai:dataAnnotationProtocol" not in document and "rai:dataBiases" not in document
    # A version frozen before the datasheet had these fields reads the same.
    version = dataset.current_version
    older = {k: v for k, v in version.datasheet.items() if k not in ("annotation", "biases")}
    DatasetVersion.objects.filter(pk=version.pk).update(datasheet=older)
    assert client.get(croissant_url(dataset)).json() == document
    validated(document)


def test_the_texts_are_english_whatever_the_request_language(client, published):
    english = client.get(croissant_url(published)).json()
    french = client.get(croissant_url(published), HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french == english


def test_the_croissant_passes_the_mlcroissant_command(client, published, tmp_path):
    path = tmp_path / "croissant.json"
    path.write_bytes(client.get(croissant_url(published)).content)
    validator = Path(sys.executable).with_name("mlcroissant")
    result = subprocess.run(
        [str(validator), "validate", "--jsonld", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Done." in result.stderr


def test_a_dataset_without_files_still_validates(client, owner, staff):
    dataset = publish_reviewed(owner, staff, name="Metadata only").dataset
    document = client.get(croissant_url(dataset)).json()
    validated(document)
    assert "distribution" not in document and "recordSet" not in document


def test_transcripts_beside_clips_get_a_record_set(client, owner, staff):
    spec = next(s for s in demo.DATASETS if s.layout == "paired_glob")
    dataset = publish_reviewed(owner, staff, archive=demo.build_archive(spec)).dataset
    document = client.get(croissant_url(dataset)).json()
    validated(document)
    record_sets = {rs["@id"]: rs for rs in document["recordSet"]}
    assert set(record_sets) == {"clips", "transcripts"}
    transcripts = next(n for n in document["distribution"] if n["@id"] == "files_transcripts")
    assert transcripts["includes"] == ["*.txt", "**/*.txt"]
    assert "README*" in transcripts["excludes"]


# -- Loading its records ---------------------------------------------------------------------


@pytest.fixture
def croissant_cache(tmp_path, monkeypatch):
    """mlcroissant's download and extraction folders, kept inside the test."""
    from mlcroissant._src.core import constants
    from mlcroissant._src.operation_graph.operations import extract

    monkeypatch.setattr(constants, "DOWNLOAD_PATH", tmp_path / "download")
    monkeypatch.setattr(extract, "EXTRACT_PATH", tmp_path / "extract")
    return tmp_path


def rows_of(archive: bytes, member: str) -> list[dict[str, str]]:
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        text = tar.extractfile(member).read().decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_mlcroissant_loads_the_records_through_the_download_endpoint(
    live_server, settings, member, owner, staff, speech_archive, croissant_cache, monkeypatch
):
    """What a data user does: point mlcroissant at the Croissant URL with an API key; the
    archive comes through Steward's download decision, is checked against its SHA-256,
    unpacked, and the table read."""
    dataset = publish_reviewed(owner, staff, archive=speech_archive).dataset
    _, secret = create_api_key(member)
    monkeypatch.setenv("CROISSANT_BASIC_AUTH_USERNAME", "apikey")
    monkeypatch.setenv("CROISSANT_BASIC_AUTH_PASSWORD", secret)
    url = live_server.url + croissant_url(dataset)
    document = requests.get(url, timeout=30).json()

    records = list(validated(document).records(record_set="metadata"))

    expected = rows_of(speech_archive, f"{SPEECH.slug}/metadata.csv")
    assert len(records) == len(expected) == 6
    assert [
        {k: r[f"metadata/{k}"].decode() for k in ("file_name", "transcript", "speaker")}
        for r in records
    ] == expected
    # The bytes left storage through the one access decision, which recorded them.
    event = DownloadEvent.objects.get(dataset=dataset)
    assert event.user == member and event.channel == "api"
    assert AuditEvent.objects.filter(
        action="access.download.started", data__download=event.public_id
    ).exists()


# persona -> status of GET .../files/archive (a redirect to the signed link when allowed)
FILES = {
    "anonymous": 401,
    "stranger": 403,
    "outsider": 403,
    "member": 302,
    "owner": 302,
    "staff": 403,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_file_endpoint_asks_the_access_decision(
    client, auth_for, request, owner, staff, persona
):
    # Terms that need a request: only the organization downloads without one.
    dataset = publish_reviewed(
        owner,
        staff,
        archive=demo.build_archive(SPEECH),
        visibility="restricted",
        usagePolicy={"requestRequired": True},
    ).dataset
    url = f"/api/datasets/{dataset.public_id}/versions/1/files/archive"
    response = get_as(client, auth_for, request, persona, url)
    assert response.status_code == FILES[persona]
    if response.status_code == 302:
        assert response["Location"].startswith("http://testserver/downloads/")
        assert DownloadEvent.objects.filter(dataset=dataset).count() == 1
    else:
        assert not DownloadEvent.objects.exists()
        assert response.json()["code"] in ("unauthorized", "access_not_requested")


def test_the_file_endpoint_takes_the_key_as_a_basic_password(client, published, member):
    import base64

    _, secret = create_api_key(member)
    url = f"/api/datasets/{published.public_id}/versions/1/files/sample"
    good = base64.b64encode(f"anyone:{secret}".encode()).decode()
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {good}").status_code == 302
    bad = base64.b64encode(b"anyone:wrong").decode()
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {bad}").status_code == 401


def test_the_file_endpoint_serves_only_the_current_version(client, published, owner, auth_for):
    from steward.catalog.services import publish_version

    publish_version(published, sheet=published.current_version.datasheet)
    response = client.get(
        f"/api/datasets/{published.public_id}/versions/1/files/archive", **auth_for(owner)
    )
    assert response.status_code == 410
    assert response.json()["code"] == "not_current"
    response = client.get(
        f"/api/datasets/{published.public_id}/versions/1/files/readme", **auth_for(owner)
    )
    assert response.status_code == 404 and response.json()["code"] == "no_file"


# -- Unusual characters everywhere -------------------------------------------------------------

ODD = (
    "Quotes \" ' ` and \\ backslash\nnew line\r\n\ttab, עברית ועוד, العربية, 🦜👩🏽‍🔬, "
    '<script>alert("x")</script> &amp; {braces} @id #hash ?q=1 %20 '
)
ODD_COLUMNS = [
    "id",
    'na"me',
    " spaced out ",
    "עמודה",
    "🦜",
    "<script>",
    "a/b#c?d:e",
    "..",
    "Ünïcödé",
    "x" * 300,
]


def odd_archive() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ODD_COLUMNS)
    for i in range(3):
        writer.writerow([str(i), ODD, "שלום", "🦜" * 3, "<b>", "a,b", "..", "é", "y" * 400, "z"])
    return demo.tar_gz(
        {
            "odd [set] *1*/tábla ünï (copy).csv": out.getvalue().encode(),
            "odd [set] *1*/README.txt": ODD.encode(),
        }
    )


def test_unusual_characters_everywhere_still_give_valid_croissant(
    client, owner, staff, tmp_path, croissant_cache
):
    archive = odd_archive()
    long_text = (ODD * 100)[:7000]
    dataset = publish_reviewed(
        owner,
        staff,
        archive=archive,
        name=ODD[:255],
        shortDescription=ODD[:160],
        longDescription=long_text,
        intendedUsage=long_text,
        forbiddenUsage=ODD,
        restrictions=ODD,
        ethicalReviewProcess=ODD,
        annotationProcess=long_text,
        knownBiases=ODD,
        rightsStatement=long_text,
        rightsHolder=ODD[:500],
        createdByFullName=ODD[:255],
        showContactInfo=True,
    ).dataset
    document = client.get(croissant_url(dataset)).json()
    validated(document)
    assert document["rai:dataBiases"] == [ODD.strip()]
    assert document["name"] == ODD[:255].strip()
    assert "<script>" in document["description"]

    ids = [n["@id"] for n in document["distribution"]]
    for record_set in document["recordSet"]:
        ids.append(record_set["@id"])
        for field in record_set["field"]:
            ids.append(field["@id"])
            # Names are safe words; the column itself is read by its own name.
            assert field["name"] == safe_name(field["name"], "?")
    assert len(ids) == len({i.casefold() for i in ids})
    for node_id in ids:
        assert all(part == safe_name(part, "?") for part in node_id.split("/"))

    [table] = document["recordSet"]
    assert [f["source"]["extract"]["column"] for f in table["field"]] == ODD_COLUMNS
    assert [f["name"] for f in table["field"]] == [
        "id",
        "na_me",
        "spaced_out",
        "column_4",
        "column_5",
        "script",
        "a_b_c_d_e",
        "column_8",
        "Unicode",
        "x" * 100,
    ]
    # The archive as a user downloaded it, handed to mlcroissant: every value comes back.
    path = tmp_path / "odd.tar.gz"
    path.write_bytes(archive)
    loaded = mlc.Dataset(jsonld=document, mapping={"archive": str(path)})
    records = list(loaded.records(record_set=table["@id"]))
    assert len(records) == 3
    assert records[0][f"{table['@id']}/na_me"].decode() == ODD
    assert records[2][f"{table['@id']}/column_4"].decode() == "🦜🦜🦜"
    assert records[2][f"{table['@id']}/column_5"].decode() == "<b>"
