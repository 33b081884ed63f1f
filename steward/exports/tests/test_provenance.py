"""Provenance bundles: who may download one, what it holds, and `steward provenance verify`
catching any changed byte of the bundle or of the dataset files it lists."""

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from contextlib import closing
from pathlib import Path

import mlcroissant as mlc
import pytest
from django.core.management import CommandError, call_command

from steward.access.services import withdraw_version
from steward.audit.models import AuditEvent
from steward.catalog import demo
from steward.catalog.models import DatasetVersion
from steward.catalog.services import remove_dataset
from steward.exports.provenance import ISSUED, MAX_MEMBERS
from steward.operations.tests.serving import free_port
from steward.storage.objectstore import get_store

from .conftest import PERSONAS, SPEECH, VISIBILITY, WITHDRAWN, get_as, publish_reviewed
from .test_croissant import ODD, odd_archive

pytestmark = pytest.mark.django_db

MEMBERS = [
    "datasheet.json",
    "croissant.json",
    "odrl-policy.json",
    "usage-policy.json",
    "local-contexts-labels.json",
    "review.json",
    "attestation.json",
    "checksums.sha256",
    "audit.json",
    "manifest.json",
]


def bundle_url(dataset, number=None) -> str:
    if number is None:
        return f"/api/datasets/{dataset.public_id}/provenance"
    return f"/api/datasets/{dataset.public_id}/versions/{number}/provenance"


def download(client, dataset, tmp_path: Path, **headers) -> Path:
    response = client.get(bundle_url(dataset, 1), **headers)
    assert response.status_code == 200, response.content
    path = tmp_path / f"{dataset.public_id}-bundle.zip"
    path.write_bytes(response.content)
    return path


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def verify(path: Path, *args: str) -> dict:
    """`steward provenance verify --json`; the parsed answer (also when it exits with 1)."""
    out = io.StringIO()
    failure = ""
    try:
        call_command("provenance", "verify", str(path), "--json", *args, stdout=out)
    except CommandError as exc:
        failure = str(exc)
    answer = json.loads(out.getvalue())
    # The exit status agrees with the answer.
    assert answer["ok"] is not bool(failure)
    assert not failure or "does not verify" in failure
    return answer


def flip_member_byte(path: Path, member: str) -> None:
    """Change one byte inside the stored data of `member` (not its headers)."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/" + member))
    data = bytearray(path.read_bytes())
    # The local header: 30 bytes, then the name and the extra field, then the data.
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0x01
    path.write_bytes(bytes(data))


def rewrite_member(path: Path, member: str, content: bytes, *, fix_manifest: bool) -> None:
    """Replace a member, rewriting the manifest's checksum of it when `fix_manifest`, as
    someone covering their tracks would."""
    members = members_of(path)
    with zipfile.ZipFile(path) as archive:
        folder = archive.namelist()[0].split("/", 1)[0]
    members[member] = content
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["members"]:
            if entry["path"] == member:
                entry["sha256"] = hashlib.sha256(content).hexdigest()
                entry["size"] = len(content)
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{folder}/{name}", data)


# -- Who may download it ---------------------------------------------------------------------


@pytest.mark.parametrize("visibility", list(VISIBILITY))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_downloads_the_bundle_of_each_visibility(
    client, auth_for, request, owner, staff, visibility, persona
):
    dataset = publish_reviewed(owner, staff, name="Lingala bundle", visibility=visibility).dataset
    for url in (bundle_url(dataset), bundle_url(dataset, 1)):
        response = get_as(client, auth_for, request, persona, url)
        assert response.status_code == VISIBILITY[visibility][persona]
        if response.status_code == 200:
            assert response["Content-Type"] == "application/zip"
            assert response["Content-Disposition"] == (
                f'attachment; filename="{dataset.public_id}-v1-provenance.zip"'
            )
        else:
            assert response.json()["code"] == "not_found"
            assert b"Lingala" not in response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_withdrawn_version_keeps_its_bundle_for_the_organization(
    client, auth_for, request, published, owner, persona
):
    withdraw_version(published.current_version, actor=owner, reason="Consent withdrawn.")
    response = get_as(client, auth_for, request, persona, bundle_url(published, 1))
    assert response.status_code == WITHDRAWN[persona]
    if response.status_code == 410:
        assert response.json()["code"] == "withdrawn"
        assert response.json()["error"] == "Consent withdrawn."


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_unpublished_version_has_no_bundle(client, auth_for, request, published, persona):
    DatasetVersion.objects.create(dataset=published, number=2, datasheet={})
    response = get_as(client, auth_for, request, persona, bundle_url(published, 2))
    assert response.status_code == 404
    assert response.json()["code"] == "no_version"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/datasets/nosuchdataset/provenance", 404, "not_found"),
        ("/api/datasets/nosuchdataset/versions/1/provenance", 404, "not_found"),
        ("/api/datasets/{id}/versions/2/provenance", 404, "no_version"),
        (
            "/api/datasets/{id}/versions/123456789012345678901234567890/provenance",
            404,
            "no_version",
        ),
        ("/api/datasets/{id}/versions/latest/provenance", 400, "invalid"),
    ],
)
def test_bad_ids_get_a_json_error(client, published, path, status, code):
    response = client.get(path.replace("{id}", published.public_id))
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_removed_dataset_has_no_bundle(client, published, staff):
    remove_dataset(published, actor=staff, reason="Taken down.")
    assert client.get(bundle_url(published)).status_code == 410


# -- What it holds ---------------------------------------------------------------------------


def test_the_bundle_holds_the_records_of_the_version(client, published, staff, tmp_path):
    staff.username = "jane-the-reviewer"
    staff.save(update_fields=["username"])
    path = download(client, published, tmp_path)
    members = members_of(path)
    assert list(members) == MEMBERS
    version = published.current_version
    manifest = json.loads(members["manifest.json"])
    assert manifest["dataset"] == published.public_id and manifest["version"] == 1
    assert [m["path"] for m in manifest["members"]] == MEMBERS[:-1]
    for entry in manifest["members"]:
        assert hashlib.sha256(members[entry["path"]]).hexdigest() == entry["sha256"]

    # Checksums of every stored file, as `sha256sum -c` reads them.
    files = version.files.select_related("blob").order_by("role")
    assert members["checksums.sha256"].decode() == "".join(
        f"{f.blob.sha256}  {f.filename}\n" for f in files
    )
    # The audit event that recorded the approval.
    approval = AuditEvent.objects.get(action="catalog.submission.approved")
    audit = json.loads(members["audit.json"])
    assert (audit["kind"], audit["seq"], audit["hash"]) == (
        "publication_event",
        approval.seq,
        approval.hash,
    )
    # The review: when, the checklist, a role, and no name or email of the reviewer.
    review = json.loads(members["review.json"])
    assert review["decision"] == "approve" and review["reviewer"] == {"role": "platform reviewer"}
    assert {item["item"] for item in review["checklist"] if item["ticked"]} >= {
        "rights_cleared",
        "consent_documented",
        "files_validated",
    }
    everything = b"".join(members.values())
    assert b"jane-the-reviewer" not in everything
    assert staff.email.encode() not in everything
    # The attestation, the datasheet (without the contact it hides), the terms and labels.
    attestation = json.loads(members["attestation.json"])
    assert attestation["consentBasis"]["code"] == "informed_consent"
    # The statement in the organization's words stays with the reviewers: only its checksum.
    statement = "Every speaker signed the radio's consent form."
    assert attestation["rightsStatementSha256"] == hashlib.sha256(statement.encode()).hexdigest()
    assert statement not in json.dumps(attestation)
    assert attestation["rightsHolder"] == "Radio Kinshasa Community"
    datasheet = json.loads(members["datasheet.json"])
    assert datasheet["forbidden_usage"] == "Surveillance."
    assert datasheet["annotation"].startswith("Two speakers transcribed")
    assert datasheet["biases"].startswith("Mostly men over 40")
    assert "point_of_contact_email" not in datasheet
    assert b"marie@example.org" not in everything
    odrl = json.loads(members["odrl-policy.json"])
    assert odrl["@context"] == "http://www.w3.org/ns/odrl.jsonld"
    assert odrl["uid"] == f"http://127.0.0.1:8000/api/datasets/{published.public_id}/policy#v1"
    assert odrl["permission"][0]["target"] == (
        f"http://127.0.0.1:8000/datasets/{published.public_id}"
    )
    assert json.loads(members["usage-policy.json"]) == version.policy_version.document
    [label] = json.loads(members["local-contexts-labels.json"])["labels"]
    assert (label["id"], label["community"]) == ("tk-attribution", "Radio Kinshasa listeners")
    # The Croissant + RAI record validates on its own.
    croissant = json.loads(members["croissant.json"])
    mlc.Dataset(jsonld=croissant)
    assert croissant["rai:dataUseCases"] == ["Speech recognition for Lingala."]


def test_the_same_version_gives_the_same_bytes_recorded_once(client, published, member, auth_for):
    first = client.get(bundle_url(published))
    second = client.get(bundle_url(published, 1), HTTP_ACCEPT_LANGUAGE="fr", **auth_for(member))
    assert first.content == second.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first["ETag"] == f'"{digest}"'
    [issued] = AuditEvent.objects.filter(action=ISSUED)
    assert issued.data == {"version": 1, "sha256": digest}
    assert issued.target_id == published.public_id


def test_a_dataset_published_without_review_says_so(client, organization, tmp_path):
    from steward.catalog.tests.factories import make_dataset

    dataset = make_dataset(organization, archive=demo.build_archive(SPEECH))
    members = members_of(download(client, dataset, tmp_path))
    assert json.loads(members["review.json"]) == {"reviewed": False}
    assert json.loads(members["attestation.json"]) == {"recorded": False}
    assert json.loads(members["audit.json"])["kind"] == "chain_head"
    assert verify(download(client, dataset, tmp_path))["ok"]


def test_unusual_characters_still_give_a_bundle_that_verifies(client, owner, staff, tmp_path):
    dataset = publish_reviewed(
        owner,
        staff,
        archive=odd_archive(),
        name=ODD[:255],
        longDescription=ODD * 20,
        rightsStatement=ODD,
        rightsHolder=ODD,
    ).dataset
    path = download(client, dataset, tmp_path)
    members = members_of(path)
    assert json.loads(members["attestation.json"])["rightsStatementSha256"] == (
        hashlib.sha256(ODD.strip().encode()).hexdigest()
    )
    mlc.Dataset(jsonld=json.loads(members["croissant.json"]))
    assert verify(path)["ok"]


# -- Verification ----------------------------------------------------------------------------


def test_a_downloaded_bundle_verifies_against_everything_steward_holds(client, published, tmp_path):
    answer = verify(download(client, published, tmp_path))
    assert answer["dataset"] == published.public_id and answer["version"] == 1
    assert answer["checked"] == [
        "every member against the manifest",
        "the bundle and its manifest against Steward's records",
        "the stored files, read again from storage",
    ]
    assert answer["problems"] == [] and answer["notes"] == []


def test_the_text_output_says_what_was_checked(client, published, tmp_path):
    path = download(client, published, tmp_path)
    out = io.StringIO()
    call_command("provenance", "verify", str(path), stdout=out)
    text = out.getvalue()
    assert "Checked the bundle and its manifest against Steward's records." in text
    assert f"Provenance bundle verified: dataset {published.public_id}, version 1" in text


@pytest.mark.parametrize("member", MEMBERS)
def test_a_changed_byte_in_any_member_is_detected(client, published, tmp_path, member):
    path = download(client, published, tmp_path)
    flip_member_byte(path, member)
    # The member is named, whether or not Steward's records are at hand.
    [problem] = verify(path, "--offline")["problems"]
    assert problem.startswith(member)
    assert problem in verify(path)["problems"]


@pytest.mark.parametrize("member", MEMBERS[:-1])
def test_a_member_rewritten_with_a_matching_manifest_is_caught_by_steward(
    client, published, tmp_path, member
):
    path = download(client, published, tmp_path)
    original = members_of(path)[member]
    rewrite_member(path, member, original.replace(b"a", b"e", 1) + b" ", fix_manifest=True)
    # Offline, the bundle agrees with itself, and verify says what it could not check.
    offline = verify(path, "--offline")
    assert offline["ok"] and "checked offline" in offline["notes"][0]
    answer = verify(path)
    assert any("Steward never issued a bundle with this SHA-256" in p for p in answer["problems"])


def test_a_member_rewritten_without_the_manifest_is_named(client, published, tmp_path):
    path = download(client, published, tmp_path)
    rewrite_member(path, "datasheet.json", b'{"forbidden_usage": "Nothing."}', fix_manifest=False)
    answer = verify(path, "--offline")
    assert answer["problems"][0].startswith("datasheet.json: its SHA-256 is ")
    assert "the manifest says" in answer["problems"][0]


def test_changed_checksums_are_named_against_the_version_record(client, published, tmp_path):
    path = download(client, published, tmp_path)
    checksums = members_of(path)["checksums.sha256"].replace(b"2", b"3", 1)
    rewrite_member(path, "checksums.sha256", checksums, fix_manifest=True)
    problems = verify(path)["problems"]
    assert any(
        p.startswith("checksums.sha256: speech.tar.gz is listed as ")
        and "Steward's record of version 1 says" in p
        for p in problems
    ), problems


def test_a_changed_byte_outside_the_members_is_caught_by_steward(client, published, tmp_path):
    path = download(client, published, tmp_path)
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01  # the first member's modification time, in its local header
    path.write_bytes(bytes(data))
    answer = verify(path)
    assert any("Steward never issued" in p for p in answer["problems"])


def test_an_added_member_is_detected(client, published, tmp_path):
    path = download(client, published, tmp_path)
    with zipfile.ZipFile(path) as archive:
        folder = archive.namelist()[0].split("/", 1)[0]
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(f"{folder}/extra.json", b"{}")
    problems = verify(path, "--offline")["problems"]
    assert problems == ["extra.json: in the bundle but not in the manifest"]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_what_is_not_a_bundle_is_refused_clearly(tmp_path, db, content):
    path = tmp_path / "bundle.zip"
    path.write_bytes(content)
    problems = verify(path)["problems"]
    assert problems[0].startswith("the file is not a readable ZIP archive")


def test_a_missing_file_is_refused_clearly(tmp_path, db):
    problems = verify(tmp_path / "nothing.zip")["problems"]
    assert "cannot be read" in problems[0]


def test_a_bundle_of_a_dataset_this_steward_does_not_hold_is_refused(client, published, tmp_path):
    path = download(client, published, tmp_path)
    manifest = json.loads(members_of(path)["manifest.json"])
    manifest["dataset"] = "someoneelse"
    rewrite_member(path, "manifest.json", json.dumps(manifest).encode(), fix_manifest=False)
    problems = verify(path)["problems"]
    assert problems == ["this Steward has no published version 1 of dataset 'someoneelse'"]


def test_a_withdrawn_version_still_verifies_and_says_so(client, published, owner, tmp_path):
    path = download(client, published, tmp_path)
    version = withdraw_version(published.current_version, actor=owner, reason="Consent withdrawn.")
    answer = verify(path)
    assert answer["notes"] == [
        f"version 1 was withdrawn on {version.withdrawn_at:%Y-%m-%d}: Consent withdrawn."
    ]


# -- Archives that are not bundles ---------------------------------------------------------


def peak_memory(call) -> int:
    """The most memory Python held at once while `call()` ran, in bytes."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def zip_of(path: Path, names: list[str], data: bytes = b"{}") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, data)
    return path


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the archive's directory declare `size` unpacked bytes for `member`, as a zip bomb
    does (a few KB that inflate to gigabytes)."""
    data = bytearray(path.read_bytes())
    # The end record gives where the directory starts; each entry there, its sizes.
    (at,) = struct.unpack_from("<L", data, data.rindex(b"PK\x05\x06") + 16)
    while True:
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, at + 28)
        name = data[at + 46 : at + 46 + name_length].decode()
        if name.endswith("/" + member):
            struct.pack_into("<L", data, at + 24, size)
            break
        at += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))


def understate_member_count(path: Path, count: int) -> None:
    """Rewrite the archive's end record to claim `count` members, whatever it holds."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, at + 8, count, count)
    path.write_bytes(bytes(data))


TOO_MANY = f"the archive holds more than {MAX_MEMBERS:,} members: too many for a provenance bundle"
NOT_IN_ONE_FOLDER = "a bundle holds files directly in one folder, with no absolute or '..' paths"


def many_members(path: Path) -> Path:
    return zip_of(path, [f"b/m{i}.json" for i in range(MAX_MEMBERS + 1)])


def many_members_understated(path: Path) -> Path:
    understate_member_count(many_members(path), 10)
    return path


def zip_bomb(path: Path) -> Path:
    zip_of(path, ["b/manifest.json", "b/bomb.bin"])
    declare_size(path, "bomb.bin", 2**32 - 1)
    return path


def duplicates(path: Path) -> Path:
    with pytest.warns(UserWarning, match="Duplicate name"):
        return zip_of(path, ["b/manifest.json", "b/datasheet.json", "b/datasheet.json"])


CRAFTED = {
    "too many members": (many_members, TOO_MANY),
    "an end record understating the members": (many_members_understated, TOO_MANY),
    "a zip bomb": (
        zip_bomb,
        "the archive unpacks to 4,294,967,297 bytes, more than the 1,073,741,824 a provenance "
        "bundle may hold",
    ),
    "the same name twice": (duplicates, "the archive holds b/datasheet.json more than once"),
    "a nested path": (
        lambda p: zip_of(p, ["b/manifest.json", "b/sub/datasheet.json"]),
        f"the archive holds 'b/sub/datasheet.json': {NOT_IN_ONE_FOLDER}",
    ),
    "an absolute path": (
        lambda p: zip_of(p, ["/b/manifest.json"]),
        f"the archive holds '/b/manifest.json': {NOT_IN_ONE_FOLDER}",
    ),
    "a parent path": (
        lambda p: zip_of(p, ["b/manifest.json", "../manifest.json"]),
        f"the archive holds '../manifest.json': {NOT_IN_ONE_FOLDER}",
    ),
    "a member outside the folder": (
        lambda p: zip_of(p, ["b/manifest.json", "manifest.json"]),
        f"the archive holds 'manifest.json': {NOT_IN_ONE_FOLDER}",
    ),
    "two folders": (
        lambda p: zip_of(p, ["a/manifest.json", "b/manifest.json"]),
        "the archive does not hold a single bundle folder",
    ),
    "nothing": (lambda p: zip_of(p, []), "the archive does not hold a single bundle folder"),
}


@pytest.mark.parametrize("crafted", list(CRAFTED))
def test_an_archive_that_cannot_be_a_bundle_is_refused_before_it_is_unpacked(tmp_path, db, crafted):
    make, problem = CRAFTED[crafted]
    path = make(tmp_path / "crafted.zip")
    assert verify(path)["problems"] == [problem]


def test_an_archive_with_a_huge_list_of_members_is_refused_without_reading_it(tmp_path, db):
    # Few members, but names so long that their list alone takes 24 MB: zipfile would hold
    # all of it in memory to open the archive.
    path = zip_of(tmp_path / "crafted.zip", [f"b/{i:05}{'x' * 60_000}" for i in range(400)], b"")
    answers = []
    peak = peak_memory(lambda: answers.append(verify(path)))
    assert answers[0]["problems"] == [
        "the archive's list of members takes more than 1,048,576 bytes: too large for a "
        "provenance bundle"
    ]
    assert peak < 8 * 1024 * 1024


def test_large_members_are_hashed_as_streams(client, published, tmp_path):
    path = download(client, published, tmp_path)
    members = members_of(path)
    manifest = json.loads(members["manifest.json"])
    zeros = bytes(40 * 1024 * 1024)
    large = [f"zeros-{i}.bin" for i in range(3)]
    for name in large:
        manifest["members"].append(
            {"path": name, "sha256": hashlib.sha256(zeros).hexdigest(), "size": len(zeros)}
        )
    with zipfile.ZipFile(path) as archive:
        folder = archive.namelist()[0].split("/", 1)[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**members, "manifest.json": json.dumps(manifest).encode()}.items():
            archive.writestr(f"{folder}/{name}", data)
        for name in large:
            archive.writestr(f"{folder}/{name}", zeros)
    del zeros
    answers = []
    peak = peak_memory(lambda: answers.append(verify(path, "--offline")))
    assert answers[0]["ok"], answers[0]["problems"]
    # 120 MB of members, never more than a few chunks of them in memory at once.
    assert peak < 16 * 1024 * 1024

    # A changed byte in one of them is still found.
    flip_member_byte(path, "zeros-1.bin")
    [problem] = verify(path, "--offline")["problems"]
    assert problem.startswith("zeros-1.bin: its bytes were changed")


def test_a_member_listed_twice_is_read_once_and_named(client, published, tmp_path):
    path = download(client, published, tmp_path)
    manifest = json.loads(members_of(path)["manifest.json"])
    manifest["members"] += manifest["members"][:1] * 1000
    rewrite_member(path, "manifest.json", json.dumps(manifest).encode(), fix_manifest=False)
    problems = verify(path, "--offline")["problems"]
    assert problems == ["datasheet.json: listed in the manifest more than once"] * 1000


# -- When Steward's database cannot be reached -----------------------------------------------

UNREACHABLE_DATABASES = {
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path}/no-such-folder/steward.sqlite3",
    "sqlite without tables": lambda tmp_path: f"sqlite:///{tmp_path}/empty.sqlite3",
    "postgresql": lambda tmp_path: f"postgres://steward@127.0.0.1:{free_port()}/steward",
}


def steward_verify(path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    """`steward provenance verify` run as an operator runs it, with this database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(STEWARD_HOME=str(path.parent / "home"), DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "steward", "provenance", "verify", str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("database", list(UNREACHABLE_DATABASES))
def test_verify_fails_when_it_cannot_reach_stewards_database(client, published, tmp_path, database):
    path = download(client, published, tmp_path)
    # Changed, its manifest rewritten to match: only Steward's records can tell.
    datasheet = members_of(path)["datasheet.json"].replace(b"Surveillance.", b"Anything.")
    rewrite_member(path, "datasheet.json", datasheet, fix_manifest=True)
    url = UNREACHABLE_DATABASES[database](tmp_path)

    result = steward_verify(path, url, "--json")
    assert result.returncode == 1, result.stderr
    answer = json.loads(result.stdout)
    assert answer["ok"] is False and answer["problems"] == []
    [unchecked] = answer["unchecked"]
    assert unchecked.startswith(
        "the bundle and its manifest against Steward's records, and the stored files: "
        "Steward's database cannot be reached ("
    )
    assert unchecked.endswith("run with --offline to check the bundle alone")
    assert "Run with --offline to check the bundle alone." in result.stderr

    text = steward_verify(path, url)
    assert text.returncode == 1
    assert "Not checked: the bundle and its manifest against Steward's records" in text.stderr
    assert "verified:" not in text.stdout

    # Asked to check the bundle alone, it does, and says what that leaves out.
    offline = steward_verify(path, url, "--offline", "--json")
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout)["notes"][0].startswith("checked offline")


# -- The dataset files it lists --------------------------------------------------------------


def tamper_stored(blob, backend: str) -> None:
    """Change one byte of a stored file behind Steward's back, on disk or in the bucket."""
    store = get_store()
    with closing(store.open(blob.key)) as stream:
        data = bytearray(stream.read())
    data[len(data) // 2] ^= 0x01
    if backend == "s3":
        store.client.put_object(Bucket=store.bucket, Key=blob.key, Body=bytes(data))
    else:
        store.path(blob.key).write_bytes(bytes(data))


def test_a_changed_stored_file_is_detected(storage_backend, owner, staff, client, tmp_path):
    dataset = publish_reviewed(
        owner,
        staff,
        archive=demo.build_archive(SPEECH),
        sample=demo.build_archive(SPEECH, sample=True),
    ).dataset
    path = download(client, dataset, tmp_path)
    assert verify(path)["ok"]
    sample = dataset.current_version.files.get(role="sample")
    tamper_stored(sample.blob, storage_backend)
    problems = verify(path)["problems"]
    assert len(problems) == 1
    assert problems[0].startswith("stored file speech-sample.tar.gz: its SHA-256 is ")
    assert problems[0].endswith(f"the bundle lists {sample.blob.sha256}")
    # Offline, the stored files are not read.
    assert verify(path, "--offline")["ok"]


def test_downloaded_files_are_checked_in_a_folder(client, published, tmp_path, speech_archive):
    path = download(client, published, tmp_path)
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "speech.tar.gz").write_bytes(speech_archive)
    (folder / "speech-sample.tar.gz").write_bytes(demo.build_archive(SPEECH, sample=True))
    answer = verify(path, "--offline", "--dataset-files", str(folder))
    assert answer["checked"][-1] == f"the files in {folder}"

    changed = bytearray(speech_archive)
    changed[-100] ^= 0x01
    (folder / "speech.tar.gz").write_bytes(bytes(changed))
    problems = verify(path, "--offline", "--dataset-files", str(folder))["problems"]
    assert len(problems) == 1 and problems[0].startswith(f"{folder / 'speech.tar.gz'}: its SHA")

    (folder / "speech.tar.gz").unlink()
    problems = verify(path, "--offline", "--dataset-files", str(folder))["problems"]
    assert problems == [f"speech.tar.gz: not found in {folder}"]


def test_dataset_files_must_name_a_folder(client, published, tmp_path):
    path = download(client, published, tmp_path)
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("provenance", "verify", str(path), "--dataset-files", str(tmp_path / "x"))
