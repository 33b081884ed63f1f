"""The provenance bundle of a published dataset version: one ZIP archive that anyone can
keep beside the data and check, and that Steward can vouch for.

Members, in a folder `<dataset id>-v<number>-provenance/`:

- `datasheet.json`: the version's frozen datasheet (contacts only where it says to show them);
- `croissant.json`: the Croissant 1.1 + RAI record (croissant.py);
- `odrl-policy.json` and `usage-policy.json`: the terms the version was published under, as
  W3C ODRL and as Steward's own complete policy document;
- `local-contexts-labels.json`: the Local Contexts Labels and Notices of those terms;
- `review.json`: the staff decision that published it: when, the checklist, and the
  reviewer's role. Reviewers' names are not published; the audit log keeps who it was;
- `attestation.json`: the organization's rights attestation and consent basis;
- `checksums.sha256`: the SHA-256 of every stored file of the version, in the format that
  `sha256sum -c` reads;
- `audit.json`: the audit-log hash at publication (the event that recorded the approval, or
  else the chain head at the moment of publication);
- `manifest.json`: the dataset, the version, and the SHA-256 and size of every other member.

The bundle is built only from what publication froze, with fixed timestamps and order, so
the same version always gives the same bytes. The first time given bytes are handed out,
Steward records their SHA-256 in its audit log (`exports.provenance.issued`): that record is
what a bundle is compared with on the server, so that a changed manifest is caught even when
its member checksums were rewritten to match.

`verify_bundle` checks a bundle: every member against the manifest; unless asked to check
offline, the bundle against the issued record, the manifest's facts against the version's
record, and the stored files, re-read from storage (when Steward's database cannot be reached,
that is said and the bundle does not verify); with a folder of downloaded files, those.
Members and files are hashed as streams; only the few small records the checks compare are
held in memory, and an archive too large to be a bundle is refused before it is unpacked.
"""

import hashlib
import io
import json
import lzma
import os
import struct
import zipfile
import zlib
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import translation

from steward.audit.models import AuditEvent
from steward.audit.services import GENESIS, record
from steward.catalog.models import Dataset, DatasetVersion, Submission
from steward.licensing.odrl import to_odrl
from steward.moderation.models import CHECKLIST, Review
from steward.storage import objectstore
from steward.storage.objectstore import StorageError, hash_stream

from .croissant import croissant_for, public_datasheet

FORMAT = "steward-provenance/1"
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
AUDIT = "audit.json"
ISSUED = "exports.provenance.issued"
PUBLISHED = "catalog.submission.approved"


def is_version_number(value: Any) -> bool:
    """Whether `value` can be a version number (and fits the database's integers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31


@dataclass(frozen=True)
class Bundle:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _json(value: Any) -> bytes:
    return (
        json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2, sort_keys=True)
        + "\n"
    ).encode()


def _time(value) -> str | None:
    return value.isoformat() if value else None


def bundle_filename(version: DatasetVersion) -> str:
    return f"{version.dataset.public_id}-v{version.number}-provenance.zip"


def _review(submission: Submission | None) -> dict[str, Any]:
    review = (
        Review.objects.filter(submission=submission, decision=Review.Decision.APPROVE)
        .order_by("-created_at", "-id")
        .first()
        if submission is not None
        else None
    )
    if review is None:
        # Imported and demo datasets are published without a staff review.
        return {"reviewed": False}
    labels = dict(CHECKLIST)
    return {
        "reviewed": True,
        "decision": review.decision,
        "decidedAt": _time(review.created_at),
        # The public sees a role, never a name or an email; the audit log keeps who.
        "reviewer": {"role": "operator" if review.reviewer is None else "platform reviewer"},
        "checklist": [
            {"item": key, "label": str(labels.get(key, key)), "ticked": bool(ticked)}
            for key, ticked in review.checklist.items()
        ],
    }


def _attestation(submission: Submission | None) -> dict[str, Any]:
    if submission is None:
        return {"recorded": False}
    from steward.catalog.forms import SubmitForm

    basis = submission.consent_basis
    return {
        "recorded": True,
        "rightsHolder": submission.rights_holder,
        "consentBasis": {
            "code": basis,
            "label": str(Submission.ConsentBasis(basis).label) if basis else "",
        },
        # The organization's account in its own words may name people or describe consent
        # arrangements: the reviewers read it; the bundle proves it unchanged by its checksum.
        "rightsStatementSha256": hashlib.sha256(submission.rights_statement.encode()).hexdigest()
        if submission.rights_statement
        else "",
        # The words the organization confirmed when it sent the submission for review.
        "statement": str(SubmitForm.base_fields["agreeToSubmit"].label),
        "attestedAt": _time(submission.agreed_to_submit_at),
        "submittedAt": _time(submission.submitted_at),
        "exclusivityOptOut": submission.exclusivity_opt_out_at is not None,
    }


def _labels(version: DatasetVersion) -> dict[str, Any]:
    labels = version.policy_version.terms.labels if version.policy_version else ()
    return {
        "labels": [
            {
                "id": label.id,
                "name": label.type.name,
                "kind": label.type.kind_name,
                "community": label.community,
                "text": label.text,
                "description": label.type.description,
                "meaning": label.type.meaning,
                "url": label.type.url,
            }
            for label in labels
        ]
    }


def publication_audit(version: DatasetVersion) -> dict[str, Any]:
    """The audit log at the version's publication: the event recording its approval, or
    else the newest event at that moment (the chain head)."""
    submission = Submission.objects.filter(published_version=version).first()
    if submission is not None:
        events = AuditEvent.objects.filter(
            action=PUBLISHED, target_type="catalog.submission", target_id=submission.public_id
        ).order_by("seq")
        for event in events:
            if event.data.get("version") == version.number:
                return {
                    "kind": "publication_event",
                    "seq": event.seq,
                    "hash": event.hash,
                    "action": event.action,
                    "recordedAt": _time(event.created_at),
                }
    head = AuditEvent.objects.filter(created_at__lte=version.published_at).order_by("-seq").first()
    if head is None:
        return {"kind": "chain_head", "seq": 0, "hash": GENESIS, "action": "", "recordedAt": None}
    return {
        "kind": "chain_head",
        "seq": head.seq,
        "hash": head.hash,
        "action": head.action,
        "recordedAt": _time(head.created_at),
    }


def _checksums(version: DatasetVersion) -> bytes:
    files = version.files.select_related("blob").order_by("role")
    return "".join(f"{f.blob.sha256}  {f.filename}\n" for f in files).encode()


def _members(version: DatasetVersion, base_url: str) -> list[tuple[str, bytes]]:
    dataset = version.dataset
    submission = Submission.objects.filter(published_version=version).first()
    members = [
        ("datasheet.json", _json(public_datasheet(version.datasheet))),
        (
            "croissant.json",
            (
                json.dumps(croissant_for(version, base_url=base_url), ensure_ascii=False, indent=2)
                + "\n"
            ).encode(),
        ),
    ]
    if version.policy_version is not None:
        terms = version.policy_version.terms
        odrl = to_odrl(
            terms,
            uid=f"{base_url}/api/datasets/{dataset.public_id}/policy#v{version.policy_version.number}",
            target=base_url + reverse("catalog:dataset-detail", args=[dataset.public_id]),
            assigner=base_url
            + reverse("catalog:organization-detail", args=[dataset.organization.slug]),
        )
        members += [
            ("odrl-policy.json", _json(odrl)),
            ("usage-policy.json", _json(version.policy_version.document)),
        ]
    members += [
        ("local-contexts-labels.json", _json(_labels(version))),
        ("review.json", _json(_review(submission))),
        ("attestation.json", _json(_attestation(submission))),
        (CHECKSUMS, _checksums(version)),
        (AUDIT, _json(publication_audit(version))),
    ]
    return members


def build_bundle(version: DatasetVersion) -> Bundle:
    """The version's provenance bundle; the same bytes every time for the same version."""
    dataset = version.dataset
    base_url = settings.STEWARD_BASE_URL
    # English and the configured address, whoever asks: the bytes must not depend on them.
    with translation.override("en"):
        members = _members(version, base_url)
    manifest = {
        "format": FORMAT,
        "dataset": dataset.public_id,
        "version": version.number,
        "publishedAt": _time(version.published_at),
        "url": base_url + reverse("catalog:dataset-detail", args=[dataset.public_id]),
        "members": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in members
        ],
    }
    members.append((MANIFEST, _json(manifest)))
    folder = bundle_filename(version).removesuffix(".zip")
    stamp = version.published_at.utctimetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return Bundle(filename=bundle_filename(version), data=buffer.getvalue())


def _issued(dataset: Dataset, version: DatasetVersion, sha256: str) -> bool:
    events = AuditEvent.objects.filter(
        action=ISSUED, target_type="catalog.dataset", target_id=dataset.public_id
    ).values_list("data", flat=True)
    return any(d.get("version") == version.number and d.get("sha256") == sha256 for d in events)


def issue_bundle(version: DatasetVersion) -> Bundle:
    """The version's bundle, its SHA-256 recorded in the audit log the first time these
    bytes are handed out (a change of the organization's name or of Steward itself can
    change them: each new form is recorded once)."""
    bundle = build_bundle(version)
    dataset = version.dataset
    if not _issued(dataset, version, bundle.sha256):
        with transaction.atomic():
            record(
                actor=None,
                action=ISSUED,
                target=dataset,
                organization_id=dataset.organization_id,
                data={"version": version.number, "sha256": bundle.sha256},
            )
    return bundle


# -- Verification ------------------------------------------------------------------------

# What verification accepts as a bundle. A real one holds ten small records; an archive far
# beyond that is refused before anything is unpacked, so a crafted one costs neither memory
# nor time.
MAX_MEMBERS = 1000
MAX_UNPACKED_BYTES = 1024**3
# The records kept in memory, to be compared with Steward's; every other member is hashed as
# a stream.
RECORDS = (MANIFEST, CHECKSUMS, AUDIT)
MAX_RECORD_BYTES = 4 * 1024 * 1024
# zipfile reads an archive's whole directory of members into memory when it opens it.
MAX_DIRECTORY_BYTES = 1024 * 1024
# The ZIP end record (22 bytes, then a comment of up to 64 KiB), and the ZIP64 locator that
# stands just before it in an archive whose directory outgrew it.
END_RECORD = struct.Struct("<4s4H2LH")
END_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_LOCATOR_SIZE = 20
TOO_MANY_MEMBERS = (
    f"the archive holds more than {MAX_MEMBERS:,} members: too many for a provenance bundle"
)


@dataclass
class Verification:
    """What `verify_bundle` found. `ok` when everything was checked and no problem was
    found; `checked` says against what (the manifest, Steward's records, the stored files, a
    folder of files), `unchecked` what could not be checked and why."""

    sha256: str = ""
    dataset: str = ""
    version: int | None = None
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unchecked


def parse_checksums(text: str) -> list[tuple[str, str]]:
    """(sha256, file name) from lines in `sha256sum`'s format."""
    lines = []
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep:
            digest, sep, name = line.partition(" *")
        if sep and name:
            lines.append((digest.strip().lower(), name))
    return lines


class _Unreadable(Exception):
    pass


@contextmanager
def _unpacking():
    """Reading a member: a changed byte of its data fails its CRC or its decompression; a
    changed header can ask for another compression method or for a password."""
    try:
        yield
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise _Unreadable(str(exc)) from None


def _directory_refusal(path: Path) -> str | None:
    """Why the archive's directory of members is too large to be opened, going by its end
    record, or None. The record is found where zipfile looks for it: the last 22 bytes, or
    else the last end signature within a comment's length of the end."""
    window = END_RECORD.size + (1 << 16)
    with path.open("rb") as stream:
        length = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, length - window - ZIP64_LOCATOR_SIZE))
        tail = stream.read()
    outside = len(tail) - min(length, window)  # the bytes read for a ZIP64 locator only
    at = len(tail) - END_RECORD.size
    if not (at >= outside and tail.startswith(END_SIGNATURE, at) and tail.endswith(b"\0\0")):
        at = tail.rfind(END_SIGNATURE, outside)
        if at < 0 or len(tail) - at < END_RECORD.size:
            return None  # no end record: zipfile refuses the archive
    members, directory_size = END_RECORD.unpack_from(tail, at)[4:6]
    zip64 = at >= ZIP64_LOCATOR_SIZE and tail.startswith(ZIP64_LOCATOR, at - ZIP64_LOCATOR_SIZE)
    if members > MAX_MEMBERS:
        return TOO_MANY_MEMBERS
    if zip64 or directory_size > MAX_DIRECTORY_BYTES:
        return (
            f"the archive's list of members takes more than {MAX_DIRECTORY_BYTES:,} bytes: "
            "too large for a provenance bundle"
        )
    return None


def _layout_refusal(infos: list[zipfile.ZipInfo]) -> str | None:
    """Why these members cannot be a bundle's, or None: a bundle is one folder of at most
    MAX_MEMBERS files, MAX_UNPACKED_BYTES in all, each there once."""
    if len(infos) > MAX_MEMBERS:
        return TOO_MANY_MEMBERS
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        return (
            f"the archive unpacks to {total:,} bytes, more than the {MAX_UNPACKED_BYTES:,} "
            "a provenance bundle may hold"
        )
    names = [info.filename for info in infos]
    for name in names:
        folder, _, member = name.partition("/")
        if not folder or not member or "/" in member or "\\" in name or ".." in (folder, member):
            return (
                f"the archive holds {name!r}: a bundle holds files directly in one folder, "
                "with no absolute or '..' paths"
            )
    if len({name.partition("/")[0] for name in names}) != 1:
        return "the archive does not hold a single bundle folder"
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return f"the archive holds {name} more than once"
        seen.add(name)
    return None


def _read_bundle(path: Path, result: Verification) -> dict[str, bytes] | None:
    """The bundle's RECORDS by name inside its folder, once every member has been compared
    with the manifest; None when the archive or its manifest cannot be read at all."""
    refusal = _directory_refusal(path)
    if refusal is not None:
        result.problems.append(refusal)
        return None
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(f"the file is not a readable ZIP archive ({exc})")
        return None
    with archive:
        infos = archive.infolist()
        refusal = _layout_refusal(infos)
        if refusal is not None:
            result.problems.append(refusal)
            return None
        members = {info.filename.partition("/")[2]: info for info in infos}

        def read_record(info: zipfile.ZipInfo) -> bytes:
            if info.file_size > MAX_RECORD_BYTES:
                raise _Unreadable("it is too large to be a record of a bundle")
            with _unpacking():
                return archive.read(info)

        def member_sha256(info: zipfile.ZipInfo) -> str:
            with _unpacking(), archive.open(info) as stream:
                return hash_stream(stream)[1]

        if MANIFEST not in members:
            result.problems.append(f"{MANIFEST} is missing")
            return None
        try:
            manifest = json.loads(read_record(members[MANIFEST]))
        except (_Unreadable, ValueError) as exc:
            result.problems.append(f"{MANIFEST} was changed: it cannot be read ({exc})")
            return None
        if not isinstance(manifest, dict):
            manifest = {}
        listed = manifest.get("members")
        if manifest.get("format") != FORMAT or not isinstance(listed, list):
            result.problems.append(f"{MANIFEST} is not a {FORMAT} manifest")
            return None
        result.dataset = str(manifest.get("dataset", ""))
        result.version = manifest.get("version")
        result.checked.append("every member against the manifest")
        records: dict[str, bytes] = {}
        listed_names: set[str] = set()
        for entry in listed:
            entry = entry if isinstance(entry, dict) else {}
            name = str(entry.get("path", ""))
            if name in listed_names:
                # Each member is read once, however often a manifest names it.
                result.problems.append(f"{name}: listed in the manifest more than once")
                continue
            listed_names.add(name)
            if name not in members:
                result.problems.append(f"{name}: listed in the manifest, missing from the bundle")
                continue
            try:
                if name in RECORDS:
                    records[name] = read_record(members[name])
                    actual = hashlib.sha256(records[name]).hexdigest()
                else:
                    actual = member_sha256(members[name])
            except _Unreadable as exc:
                result.problems.append(f"{name}: its bytes were changed ({exc})")
                continue
            if actual != entry.get("sha256"):
                result.problems.append(
                    f"{name}: its SHA-256 is {actual}, the manifest says {entry.get('sha256')}"
                )
        for name in members.keys() - listed_names - {MANIFEST}:
            result.problems.append(f"{name}: in the bundle but not in the manifest")
        return records


def _check_records(bundle_sha256: str, records: dict[str, bytes], result: Verification) -> None:
    """The bundle against what this Steward holds: its issued record, the version's files
    and the audit log."""
    dataset = Dataset.objects.filter(public_id=result.dataset).first()
    version = (
        DatasetVersion.objects.filter(dataset=dataset, number=result.version).first()
        if dataset is not None and is_version_number(result.version)
        else None
    )
    if version is None or not version.is_published:
        result.problems.append(
            f"this Steward has no published version {result.version} of dataset {result.dataset!r}"
        )
        return
    result.checked.append("the bundle and its manifest against Steward's records")
    if not _issued(dataset, version, bundle_sha256):
        result.problems.append(
            f"Steward never issued a bundle with this SHA-256 ({bundle_sha256}) for version "
            f"{version.number}: its bytes were changed"
        )
    files = list(version.files.select_related("blob").order_by("role"))
    text = records.get(CHECKSUMS, b"").decode("utf-8", "replace")
    listed = {name: digest for digest, name in parse_checksums(text)}
    recorded = {f.filename: f.blob.sha256 for f in files}
    for name, digest in recorded.items():
        if listed.get(name) != digest:
            result.problems.append(
                f"{CHECKSUMS}: {name} is listed as {listed.get(name) or 'nothing'}, Steward's "
                f"record of version {version.number} says {digest}"
            )
    for name in listed.keys() - recorded.keys():
        result.problems.append(f"{CHECKSUMS}: {name} is not a file of version {version.number}")
    try:
        audit = json.loads(records.get(AUDIT, b"{}"))
    except ValueError:
        audit = {}
    if not isinstance(audit, dict):
        audit = {}
    expected = publication_audit(version)
    if audit.get("hash") != expected["hash"]:
        result.problems.append(
            f"{AUDIT}: the audit hash {audit.get('hash')} is not the one Steward recorded at "
            f"publication ({expected['hash']})"
        )
    if version.is_withdrawn:
        result.notes.append(
            f"version {version.number} was withdrawn on {version.withdrawn_at:%Y-%m-%d}: "
            f"{version.withdrawal_reason}"
        )
    result.checked.append("the stored files, read again from storage")
    for file in files:
        try:
            with closing(objectstore.open_for_reading(file.blob.key)) as stream:
                actual = hash_stream(stream)[1]
        except (OSError, StorageError) as exc:
            result.problems.append(f"stored file {file.filename}: cannot be read ({exc})")
            continue
        if actual != file.blob.sha256:
            result.problems.append(
                f"stored file {file.filename}: its SHA-256 is {actual}, the bundle lists "
                f"{file.blob.sha256}"
            )


def _check_folder(folder: Path, records: dict[str, bytes], result: Verification) -> None:
    result.checked.append(f"the files in {folder}")
    text = records.get(CHECKSUMS, b"").decode("utf-8", "replace")
    for digest, name in parse_checksums(text):
        path = folder / name
        if "/" in name or not path.is_file():
            result.problems.append(f"{name}: not found in {folder}")
            continue
        with path.open("rb") as stream:
            actual = hash_stream(stream)[1]
        if actual != digest:
            result.problems.append(f"{path}: its SHA-256 is {actual}, the bundle lists {digest}")


def _check_against_steward(records: dict[str, bytes], result: Verification) -> None:
    """_check_records, or, when Steward's database cannot be reached (down, locked, not
    migrated), what that left unchecked: never a silent fall back to offline checks."""
    found = Verification(sha256=result.sha256, dataset=result.dataset, version=result.version)
    try:
        _check_records(result.sha256, records, found)
    except DatabaseError as exc:
        result.unchecked.append(
            "the bundle and its manifest against Steward's records, and the stored files: "
            f"Steward's database cannot be reached ({exc}); run with --offline to check the "
            "bundle alone"
        )
        return
    result.checked += found.checked
    result.problems += found.problems
    result.notes += found.notes


def verify_bundle(
    path: Path, *, dataset_files: Path | None = None, use_database: bool = True
) -> Verification:
    """Check the bundle at `path`; see the module's docstring for what is compared."""
    result = Verification()
    try:
        with path.open("rb") as stream:
            result.sha256 = hash_stream(stream)[1]
    except OSError as exc:
        result.problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return result
    records = _read_bundle(path, result)
    if records is None:
        return result
    if use_database:
        _check_against_steward(records, result)
    else:
        result.notes.append(
            "checked offline: the manifest was not compared with Steward's records, so a "
            "manifest rewritten to match changed members would go unnoticed here"
        )
    if dataset_files is not None:
        _check_folder(dataset_files, records, result)
    return result
