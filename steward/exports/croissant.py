"""A published dataset version as MLCommons Croissant 1.1 (JSON-LD), with the Responsible AI
extension (RAI 1.0), so that ML tools (mlcroissant, TensorFlow Datasets, PyTorch loaders)
can find, describe and load it.

- Metadata and the RAI fields come from the version's frozen datasheet and, where the version
  came through review, from its submission's rights attestation. Contacts appear only where
  the datasheet says to show them, as on the dataset page. Texts are English (the document
  says "@language": "en"), whatever the language of the request.
- `distribution` holds one cr:FileObject per stored file (archive, sample) with its SHA-256.
  Its contentUrl is Steward's download endpoint for that file of that version: a GET that
  answers with a redirect to a signed link once the access decision allows it (an API key as
  `Authorization: Bearer`, or as the password of HTTP Basic, which mlcroissant sends from
  CROISSANT_BASIC_AUTH_USERNAME/PASSWORD). No Steward data is downloadable anonymously, so
  there is no direct URL even where the terms are open.
- Inside the archive, the file inspection (catalog/inspection.py) found the tables, their
  columns and types, and where audio clips and transcripts lie. Each readable table becomes a
  cr:FileObject contained in the archive and a cr:RecordSet with a cr:Field per column
  (source: the table, extract: the column); audio clips and transcripts beside them become
  cr:FileSets with a record set each (the file's path and its content).
- Every @id and every record set's and field's name is made of [A-Za-z0-9_.-] (Croissant
  0.8's rule for names; later versions forbid spaces in @ids), unique in the document; a
  column's own name stays in the field's extract and description.
"""

import re
import unicodedata
from typing import Any

from django.urls import reverse
from django.utils import translation

from steward.catalog.languages import language_code, language_info
from steward.catalog.models import DatasetFile, DatasetVersion, Inspection, Submission, Task
from steward.licensing.describe import describe
from steward.licensing.licences import PREDEFINED, licence_name

from .citation import bibtex

CROISSANT = "http://mlcommons.org/croissant/1.1"
RAI = "http://mlcommons.org/croissant/RAI/1.0"
# The standard Croissant 1.1 context, with the RAI prefix.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# What the inspection calls a column's type, as a Croissant data type.
DATA_TYPES = {
    "boolean": "sc:Boolean",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "date/time": "sc:Date",
}
# Table formats a Croissant reader can read, by the inspection's format name.
TABLE_FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "tab": "text/tab-separated-values",
    "jsonl": "application/jsonlines",
    "ndjson": "application/jsonlines",
    "parquet": "application/x-parquet",
}
AUDIO_FORMATS = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
}
# Files about the dataset rather than of it, left out of the transcripts.
ABOUT_FILES = ["README*", "*/README*", "LICENSE*", "*/LICENSE*", "LICENCE*", "*/LICENCE*"]
CONTACTS = ("point_of_contact", "created_by", "funded_by", "legal_contact")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_ID = 100


def safe_name(text: str, fallback: str) -> str:
    """`text` as a Croissant name: ASCII letters, digits, `_`, `.` and `-`; accents are
    dropped, anything else becomes `_`; `fallback` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    # No leading dot: "." and ".." would be read as relative IRI steps.
    name = _UNSAFE.sub("_", ascii_text).strip("._-")[:_MAX_ID].rstrip("._-")
    return name or fallback


class _Ids:
    """Hands out @ids that are unique in one document."""

    def __init__(self):
        self.taken: set[str] = set()

    def new(self, text: str, fallback: str, *, prefix: str = "") -> str:
        base = prefix + safe_name(text, fallback)
        candidate, n = base, 1
        while candidate.casefold() in self.taken:
            n += 1
            candidate = f"{base}_{n}"
        self.taken.add(candidate.casefold())
        return candidate


def public_datasheet(sheet: dict[str, Any]) -> dict[str, Any]:
    """The datasheet as the public may see it: contacts only when it says to show them."""
    if sheet.get("show_contact_info"):
        return dict(sheet)
    hidden = {f"{who}_{part}" for who in CONTACTS for part in ("full_name", "email")}
    return {key: value for key, value in sheet.items() if key not in hidden}


def _licence(sheet: dict[str, Any]) -> list[Any]:
    abbreviation = sheet.get("license_abbreviation", "")
    url = PREDEFINED[abbreviation].url if abbreviation in PREDEFINED else sheet.get("license_url")
    name = licence_name(abbreviation, sheet.get("license", ""))
    if url and abbreviation in PREDEFINED:
        return [url]
    if not (url or name):
        return []
    work: dict[str, Any] = {"@type": "sc:CreativeWork"}
    if name:
        work["name"] = name
    if url:
        work["url"] = url
    return [work]


def _cite_as(version: DatasetVersion, sheet: dict[str, Any], url: str) -> str:
    return bibtex(version.dataset, version, title=sheet.get("name", ""), url=url)


def _creators(version: DatasetVersion, sheet: dict[str, Any], base_url: str) -> list[dict]:
    organization = version.dataset.organization
    creators: list[dict[str, Any]] = [
        {
            "@type": "sc:Organization",
            "name": organization.name,
            "url": base_url + reverse("catalog:organization-detail", args=[organization.slug]),
        }
    ]
    if sheet.get("show_contact_info") and sheet.get("created_by_full_name"):
        person = {"@type": "sc:Person", "name": sheet["created_by_full_name"]}
        if sheet.get("created_by_email"):
            person["email"] = sheet["created_by_email"]
        creators.append(person)
    return creators


def _rai(version: DatasetVersion, sheet: dict[str, Any], findings: list[str]) -> dict[str, Any]:
    """The RAI fields the datasheet and the rights attestation can fill."""
    submission = Submission.objects.filter(published_version=version).first()
    collection = []
    personal = []
    if submission is not None:
        if submission.rights_holder:
            collection.append(f"Rights holder: {submission.rights_holder}")
        if submission.consent_basis:
            basis = Submission.ConsentBasis(submission.consent_basis).label
            collection.append(f"Consent basis: {basis}")
            personal.append(f"Consent basis: {basis}")
        # The organization's own account of rights and consent may name people: it stays
        # with the reviewers (the provenance bundle holds its checksum).
    if sheet.get("ethical_review_process"):
        collection.append(f"Ethical review: {sheet['ethical_review_process']}")
    if sheet.get("restrictions"):
        personal.append(f"Restrictions: {sheet['restrictions']}")
    limitations = []
    if sheet.get("forbidden_usage"):
        limitations.append(f"Forbidden use: {sheet['forbidden_usage']}")
    if sheet.get("restrictions"):
        limitations.append(f"Restrictions: {sheet['restrictions']}")
    if sheet.get("additional_conditions"):
        limitations.append(f"Additional conditions: {sheet['additional_conditions']}")
    limitations += [f"File inspection: {finding}" for finding in findings]
    rai: dict[str, Any] = {
        "rai:dataCollection": "\n\n".join(collection),
        "rai:personalSensitiveInformation": personal,
        "rai:dataAnnotationProtocol": [sheet["annotation"]] if sheet.get("annotation") else [],
        "rai:dataBiases": [sheet["biases"]] if sheet.get("biases") else [],
        "rai:dataUseCases": [sheet["intended_usage"]] if sheet.get("intended_usage") else [],
        "rai:dataLimitations": limitations,
        "rai:dataReleaseMaintenancePlan": (
            "Each published version is frozen: its files, checksums, datasheet and terms never "
            "change, and changes are published as a new version. A version may be withdrawn "
            "(for example when people in the data withdraw their consent); those who "
            "downloaded it are then asked to delete their copy."
        ),
    }
    return {key: value for key, value in rai.items() if value}


def _inspection_report(file: DatasetFile | None) -> dict[str, Any]:
    if file is None:
        return {}
    inspection = Inspection.objects.filter(blob=file.blob, finished_at__isnull=False).first()
    if inspection is None or inspection.status == Inspection.Status.REJECTED:
        return {}
    return inspection.report or {}


def file_url(base_url: str, version: DatasetVersion, role: str) -> str:
    """Where a version's stored file is downloaded (see exports/api.py)."""
    return (
        f"{base_url}/api/datasets/{version.dataset.public_id}/versions/{version.number}"
        f"/files/{role}"
    )


def _file_object(
    ids: _Ids, file: DatasetFile, version: DatasetVersion, base_url: str, report: dict[str, Any]
) -> dict:
    blob = file.blob
    is_zip = (report.get("archive") or {}).get("format", "").startswith("zip")
    return {
        "@type": "cr:FileObject",
        "@id": (node_id := ids.new(file.role, file.role)),
        "name": node_id,
        "description": f"{file.get_role_display()}: {file.filename}",
        "contentUrl": file_url(base_url, version, file.role),
        "contentSize": f"{blob.size_bytes} B",
        "encodingFormat": "application/zip" if is_zip else "application/x-tar",
        "sha256": blob.sha256,
    }


def _table_nodes(ids: _Ids, archive_id: str, table: dict[str, Any]) -> tuple[dict, dict]:
    """The FileObject of one table inside the archive and its RecordSet."""
    path = table["path"]
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    file_id = ids.new(path, "table", prefix="file_")
    file_object = {
        "@type": "cr:FileObject",
        "@id": file_id,
        "name": file_id,
        "description": f"Table {path} in the archive",
        "containedIn": {"@id": archive_id},
        "contentUrl": path,
        "encodingFormat": TABLE_FORMATS[table["format"]],
    }
    set_id = ids.new(stem, "table")
    field_ids = _Ids()
    fields = []
    for number, column in enumerate(table.get("columns", []), start=1):
        name = field_ids.new(column["name"], f"column_{number}")
        description = f"Column {column['name']!r} of {path}"
        if column["name"] == table.get("audio_column"):
            where = table.get("audio_base") or ""
            description += f": the path of an audio clip in the archive, under {where!r}"
        elif column["name"] == table.get("text_column"):
            description += ": the transcript"
        fields.append(
            {
                "@type": "cr:Field",
                "@id": f"{set_id}/{name}",
                "name": name,
                "description": description,
                "dataType": DATA_TYPES.get(column.get("type", ""), "sc:Text"),
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": column["name"]}},
            }
        )
    record_set = {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": set_id,
        "description": f"The rows of {path}",
        "field": fields,
    }
    return file_object, record_set


def _files_nodes(
    ids: _Ids,
    archive_id: str,
    *,
    name: str,
    kind: str,
    includes: list[str],
    fmt: str | list[str],
    data_type: str,
    description: str,
    excludes: list[str] | None = None,
) -> tuple[dict, dict]:
    """A FileSet inside the archive and a RecordSet of its files (path and content)."""
    set_id = ids.new(name, name, prefix="files_")
    file_set: dict[str, Any] = {
        "@type": "cr:FileSet",
        "@id": set_id,
        "name": set_id,
        "description": description,
        "containedIn": {"@id": archive_id},
        "encodingFormat": fmt,
        "includes": includes,
    }
    if excludes:
        file_set["excludes"] = excludes
    record_id = ids.new(name, name)
    source = {"fileSet": {"@id": set_id}}
    record_set = {
        "@type": "cr:RecordSet",
        "@id": record_id,
        "name": record_id,
        "description": description,
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{record_id}/path",
                "name": "path",
                "description": f"The {kind}'s path in the archive",
                "dataType": "sc:Text",
                "source": {**source, "extract": {"fileProperty": "fullpath"}},
            },
            {
                "@type": "cr:Field",
                "@id": f"{record_id}/{kind}",
                "name": kind,
                "description": f"The {kind}'s content",
                "dataType": data_type,
                "source": {**source, "extract": {"fileProperty": "content"}},
            },
        ],
    }
    return file_set, record_set


def _contents(ids: _Ids, archive_id: str, report: dict[str, Any]) -> tuple[list, list]:
    """What the inspection found inside the archive: distribution nodes and record sets."""
    distribution, record_sets = [], []
    for table in report.get("tables", []):
        if table.get("error") or table.get("format") not in TABLE_FORMATS:
            continue
        if not table.get("columns"):
            continue
        file_object, record_set = _table_nodes(ids, archive_id, table)
        distribution.append(file_object)
        record_sets.append(record_set)
    layout = report.get("layout") or {}
    extensions = [e for e in layout.get("audio_extensions", []) if e in AUDIO_FORMATS]
    if extensions:
        # A glob's `*` does not cross folders; `**/` adds every folder below the top.
        includes = [p for e in extensions for p in (f"*{e}", f"**/*{e}")]
        formats = sorted({AUDIO_FORMATS[e] for e in extensions})
        file_set, record_set = _files_nodes(
            ids,
            archive_id,
            name="clips",
            kind="audio",
            includes=includes,
            fmt=formats[0] if len(formats) == 1 else formats,
            data_type="sc:AudioObject",
            description="The audio clips in the archive",
        )
        distribution.append(file_set)
        record_sets.append(record_set)
    if layout.get("paired_text"):
        file_set, record_set = _files_nodes(
            ids,
            archive_id,
            name="transcripts",
            kind="text",
            includes=["*.txt", "**/*.txt"],
            excludes=ABOUT_FILES,
            fmt="text/plain",
            data_type="sc:Text",
            description=(
                "The transcripts beside the audio clips: each text file has the path of its "
                f"clip, with {layout.get('paired_extension') or 'an audio'} extension"
            ),
        )
        distribution.append(file_set)
        record_sets.append(record_set)
    return distribution, record_sets


def croissant_for(version: DatasetVersion, *, base_url: str) -> dict[str, Any]:
    """The version as a Croissant 1.1 + RAI document; `base_url` (no trailing slash) makes
    its links absolute."""
    # The document declares English: labels and sentences are not those of the request.
    with translation.override("en"):
        return _document(version, base_url)


def _keywords(sheet: dict[str, Any]) -> list[str]:
    language = language_info(language_code(sheet.get("locale", "")))
    task = Task(sheet["task"]).label if sheet.get("task") in Task.values else ""
    return [str(k) for k in (task, language.name if language else "", sheet.get("format")) if k]


def _document(version: DatasetVersion, base_url: str) -> dict[str, Any]:
    dataset = version.dataset
    sheet = public_datasheet(version.datasheet)
    url = base_url + reverse("catalog:dataset-detail", args=[dataset.public_id])
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT, RAI],
        "name": sheet.get("name") or dataset.public_id,
        "description": sheet.get("long_description") or sheet.get("short_description") or "",
        "url": url,
        "version": f"{version.number}.0.0",
        "citeAs": _cite_as(version, sheet, url),
        "creator": _creators(version, sheet, base_url),
        "inLanguage": sheet.get("locale", ""),
        "keywords": _keywords(sheet),
        "isAccessibleForFree": not sheet.get("is_paid", False),
        "license": _licence(sheet),
    }
    if version.published_at:
        document["datePublished"] = version.published_at.isoformat()
    if version.policy_version is not None:
        document["conditionsOfAccess"] = " ".join(describe(version.policy_version.terms))
        document["usageInfo"] = (
            f"{base_url}/api/datasets/{dataset.public_id}/policy#v{version.policy_version.number}"
        )

    ids = _Ids()
    files = list(version.files.select_related("blob").order_by("role"))
    archive = next((f for f in files if f.role == DatasetFile.Role.ARCHIVE), None)
    report = _inspection_report(archive)
    distribution, record_sets = [], []
    archive_id = ""
    for file in files:
        node = _file_object(ids, file, version, base_url, _inspection_report(file))
        distribution.append(node)
        if file is archive:
            archive_id = node["@id"]
    if archive_id:
        inner, record_sets = _contents(ids, archive_id, report)
        distribution += inner
    document["distribution"] = distribution
    document["recordSet"] = record_sets
    findings = [f["message"] for f in report.get("findings", []) if f.get("message")]
    document.update(_rai(version, sheet, findings))
    return {key: value for key, value in document.items() if value not in ("", [], None)}
