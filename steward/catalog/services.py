import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from steward.lib.errors import DomainError
from steward.lib.ids import new_public_id
from steward.lib.text import fold
from steward.licensing.licences import PREDEFINED, licence_name
from steward.organizations.models import Organization
from steward.storage.models import Blob

from .datasheet import require_publishable
from .languages import language_code, language_info
from .models import Dataset, DatasetFile, DatasetVersion, Language

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,118}[a-z0-9])?$")
RESERVED_SLUGS = {"filters"}


class CatalogError(DomainError):
    """Codes: invalid_slug, slug_taken, unknown_language, not_an_archive, not_approved."""


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS or ".." in slug:
        raise CatalogError(
            f"slug: {slug!r} is not a valid slug"
            " (1 to 120 lower-case letters, digits, '.', '_' and '-')",
            code="invalid_slug",
            field="slug",
        )
    return slug


def slug_for(name: str) -> str:
    return validate_slug(slugify(name)[:120].strip("-_.") or "dataset")


def build_search_document(
    sheet: dict[str, Any], language: Language, organization: Organization
) -> str:
    """The folded text the full-text index searches. The name is repeated so that
    a match in the name ranks above a match in a description."""
    parts = [
        sheet["name"],
        sheet["name"],
        sheet.get("short_description", ""),
        sheet.get("long_description", ""),
        sheet["locale"],
        language.code,
        language.iso639_3,
        language.name,
        language.autonym,
        sheet.get("task", ""),
        sheet.get("format", ""),
        sheet.get("license_abbreviation", ""),
        organization.name,
    ]
    return fold(" ".join(p for p in parts if p))


def _languages_by_code(codes: set[str]) -> dict[str, Language]:
    """The Language rows for `codes`; a known language missing from the table (an emptied
    test database, say) is added from the ISO 639 data."""
    found = {lang.code: lang for lang in Language.objects.filter(code__in=codes)}
    for code in codes - found.keys():
        info = language_info(code)
        if info is not None:
            found[code], _ = Language.objects.get_or_create(
                code=info.code,
                defaults={"iso639_3": info.iso639_3, "name": info.name, "autonym": info.autonym},
            )
    return found


@dataclass
class VersionFiles:
    archive: Blob | None = None
    sample: Blob | None = None
    archive_name: str = ""
    sample_name: str = ""


@dataclass
class _Prepared:
    sheet: dict[str, Any]
    language: Language
    files: VersionFiles = field(default_factory=VersionFiles)


def _apply(dataset: Dataset, prepared: _Prepared, *, now) -> None:
    """Mirror a version's datasheet and files onto the dataset's catalogue columns."""
    sheet = prepared.sheet
    dataset.name = sheet["name"]
    dataset.short_description = sheet["short_description"]
    dataset.long_description = sheet["long_description"]
    dataset.locale = sheet["locale"]
    dataset.language = prepared.language
    dataset.task = sheet["task"]
    dataset.format = sheet["format"]
    abbreviation = sheet["license_abbreviation"]
    dataset.license_abbreviation = abbreviation
    dataset.license_name = licence_name(abbreviation, sheet["license"])
    dataset.license_url = (
        PREDEFINED[abbreviation].url if abbreviation in PREDEFINED else sheet["license_url"]
    )
    dataset.visibility = sheet["visibility"]
    dataset.is_paid = sheet["is_paid"]
    dataset.base_price_cents = sheet["base_price_cents"]
    dataset.currency = sheet["currency"]
    archive = prepared.files.archive
    dataset.filename = prepared.files.archive_name if archive else ""
    dataset.size_bytes = archive.size_bytes if archive else None
    dataset.checksum = archive.sha256 if archive else ""
    dataset.has_sample = prepared.files.sample is not None
    dataset.search_document = build_search_document(sheet, prepared.language, dataset.organization)
    dataset.published_at = now


def _prepare(
    sheet: dict[str, Any], files: VersionFiles | None, languages: dict[str, Language]
) -> _Prepared:
    require_publishable(sheet)
    code = language_code(sheet["locale"])
    language = languages.get(code)
    if language is None:
        raise CatalogError(
            f"locale: no language {code!r} is known", code="unknown_language", field="locale"
        )
    files = files or VersionFiles()
    for name in (files.archive_name, files.sample_name):
        if name and ("/" in name or name.startswith(".") or not name.endswith((".tar.gz", ".tgz"))):
            raise CatalogError(
                f"{name!r} must be a bare .tar.gz or .tgz file name",
                code="not_an_archive",
                field="filename",
            )
    return _Prepared(sheet=sheet, language=language, files=files)


def _file_rows(version: DatasetVersion, files: VersionFiles) -> list[DatasetFile]:
    rows = []
    if files.archive:
        rows.append(
            DatasetFile(
                version=version,
                role=DatasetFile.Role.ARCHIVE,
                filename=files.archive_name,
                blob=files.archive,
            )
        )
    if files.sample:
        rows.append(
            DatasetFile(
                version=version,
                role=DatasetFile.Role.SAMPLE,
                filename=files.sample_name,
                blob=files.sample,
            )
        )
    return rows


def publish_dataset(
    organization: Organization,
    *,
    sheet: dict[str, Any],
    slug: str | None = None,
    files: VersionFiles | None = None,
) -> Dataset:
    """Create a dataset whose version 1, built from a cleaned datasheet, is published."""
    if not organization.is_approved:
        raise CatalogError("Only an approved organization may publish.", code="not_approved")
    slug = validate_slug(slug) if slug else slug_for(sheet["name"])
    prepared = _prepare(sheet, files, _languages_by_code({language_code(sheet["locale"])}))
    now = timezone.now()
    with transaction.atomic():
        if Dataset.objects.filter(slug=slug).exists():
            raise CatalogError(f"slug: {slug!r} is taken", code="slug_taken", field="slug")
        dataset = Dataset(public_id=new_public_id(), slug=slug, organization=organization)
        _apply(dataset, prepared, now=now)
        dataset.save()
        version = DatasetVersion.objects.create(
            dataset=dataset, number=1, datasheet=sheet, published_at=now
        )
        DatasetFile.objects.bulk_create(_file_rows(version, prepared.files))
        dataset.current_version = version
        dataset.save(update_fields=["current_version"])
    return dataset


def publish_version(
    dataset: Dataset, *, sheet: dict[str, Any], files: VersionFiles | None = None
) -> DatasetVersion:
    """Publish a new version of `dataset`; earlier versions stay as they were."""
    prepared = _prepare(sheet, files, _languages_by_code({language_code(sheet["locale"])}))
    now = timezone.now()
    with transaction.atomic():
        dataset = (
            Dataset.objects.select_for_update().select_related("organization").get(pk=dataset.pk)
        )
        last = dataset.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = DatasetVersion.objects.create(
            dataset=dataset, number=last + 1, datasheet=sheet, published_at=now
        )
        DatasetFile.objects.bulk_create(_file_rows(version, prepared.files))
        _apply(dataset, prepared, now=now)
        dataset.current_version = version
        dataset.save()
    return version


# Fields of the MDC dataset shape that describe a served copy, not the datasheet:
# accepted in an import line without a warning, and not imported.
_READ_ONLY_FIELDS = {
    "id", "slug", "organization", "pricing", "sizeBytes", "checksum", "createdAt", "datasetUrl",
    "filename", "submissionId",
}  # fmt: skip


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.errors)} invalid"
        )


@dataclass
class _ImportLine:
    number: int
    slug: str
    organization_slug: str
    organization_name: str
    sheet: dict[str, Any]


def _parse_import_line(number: int, text: str, report: ImportReport) -> _ImportLine:
    import json

    from .datasheet import BY_API_NAME, clean_datasheet

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise CatalogError("a line must hold one JSON object")
    for key in data:
        if (
            key not in BY_API_NAME
            and key not in _READ_ONLY_FIELDS
            and key not in report.unknown_fields
        ):
            report.unknown_fields.append(key)
    pricing = data.get("pricing")
    if isinstance(pricing, dict):
        data.setdefault("isPaid", pricing.get("isPaid"))
        data.setdefault("basePriceCents", pricing.get("basePriceCents"))
        data.setdefault("currency", pricing.get("currency"))
    org = data.get("organization")
    if not isinstance(org, dict) or not isinstance(org.get("slug") or org.get("name"), str):
        raise CatalogError(
            "organization: an object with a slug and a name is required", field="organization"
        )
    org_name = str(org.get("name") or org.get("slug")).strip()
    org_slug = str(org.get("slug") or slugify(org_name)).strip().lower()
    if not isinstance(data.get("name"), str):
        raise CatalogError("name: this field is required", code="required", field="name")
    slug_value = data.get("slug")
    if slug_value is not None and not isinstance(slug_value, str):
        raise CatalogError("slug: must be a string", field="slug")
    sheet = clean_datasheet(
        {k: v for k, v in data.items() if v is not None or k == "basePriceCents"}
    )
    require_publishable(sheet)
    slug = validate_slug(slug_value) if slug_value else slug_for(sheet["name"])
    return _ImportLine(
        number=number,
        slug=slug,
        organization_slug=org_slug,
        organization_name=org_name,
        sheet=sheet,
    )


def import_catalog(lines, *, batch_size: int = 1000) -> ImportReport:
    """Publish one metadata dataset per JSON line (MDC dataset shape), idempotent by slug.

    Valid lines are imported even when others are not; an invalid line is reported with
    its number and reason. A re-import of a changed line publishes a new version that
    keeps the files of the one before; an unchanged line changes nothing.
    """
    from steward.organizations.services import create_organization
    from steward.organizations.services import validate_slug as validate_org_slug

    report = ImportReport()
    languages = {lang.code: lang for lang in Language.objects.all()}
    if not languages:
        from .languages import iter_languages

        Language.objects.bulk_create(
            [
                Language(code=i.code, iso639_3=i.iso639_3, name=i.name, autonym=i.autonym)
                for i in iter_languages()
            ]
        )
        languages = {lang.code: lang for lang in Language.objects.all()}
    organizations: dict[str, Organization] = {}
    batch: list[tuple[_ImportLine, _Prepared]] = []

    def flush() -> None:
        if batch:
            _import_batch(batch, organizations, report)
            batch.clear()

    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            line = _parse_import_line(number, text, report)
            prepared = _prepare(line.sheet, None, languages)
            if line.organization_slug not in organizations:
                validate_org_slug(line.organization_slug)
                org = Organization.objects.filter(slug=line.organization_slug).first()
                if org is None:
                    org = create_organization(
                        line.organization_slug, name=line.organization_name, approved=True
                    )
                organizations[line.organization_slug] = org
        except DomainError as exc:
            report.errors.append((number, exc.message))
            continue
        if any(queued.slug == line.slug for queued, _ in batch):
            flush()
        batch.append((line, prepared))
        if len(batch) >= batch_size:
            flush()
    flush()
    return report


def _import_batch(batch, organizations: dict[str, Organization], report: ImportReport) -> None:
    now = timezone.now()
    with transaction.atomic():
        existing = {
            d.slug: d
            for d in Dataset.objects.select_for_update(of=("self",))
            .select_related("current_version", "organization")
            .filter(slug__in=[line.slug for line, _ in batch])
        }
        new_datasets: list[Dataset] = []
        new_sheets: list[dict[str, Any]] = []
        changed: list[tuple[Dataset, _Prepared]] = []
        for line, prepared in batch:
            org = organizations[line.organization_slug]
            dataset = existing.get(line.slug)
            if dataset is None:
                dataset = Dataset(public_id=new_public_id(), slug=line.slug, organization=org)
                _apply(dataset, prepared, now=now)
                new_datasets.append(dataset)
                new_sheets.append(prepared.sheet)
            elif dataset.organization_id != org.pk:
                report.errors.append(
                    (
                        line.number,
                        f"slug: {line.slug!r} belongs to another organization"
                        f" ({dataset.organization.slug})",
                    )
                )
            elif dataset.current_version and dataset.current_version.datasheet == prepared.sheet:
                report.unchanged += 1
            else:
                changed.append((dataset, prepared))

        Dataset.objects.bulk_create(new_datasets)
        versions = DatasetVersion.objects.bulk_create(
            [
                DatasetVersion(dataset=d, number=1, datasheet=s, published_at=now)
                for d, s in zip(new_datasets, new_sheets, strict=True)
            ]
        )
        for dataset, version in zip(new_datasets, versions, strict=True):
            dataset.current_version = version
        Dataset.objects.bulk_update(new_datasets, ["current_version"])
        report.created += len(new_datasets)

        for dataset, prepared in changed:
            previous = dataset.current_version
            carried = list(previous.files.select_related("blob")) if previous else []
            files = VersionFiles()
            for f in carried:
                if f.role == DatasetFile.Role.ARCHIVE:
                    files.archive, files.archive_name = f.blob, f.filename
                else:
                    files.sample, files.sample_name = f.blob, f.filename
            prepared.files = files
            number = (previous.number if previous else 0) + 1
            version = DatasetVersion.objects.create(
                dataset=dataset, number=number, datasheet=prepared.sheet, published_at=now
            )
            DatasetFile.objects.bulk_create(_file_rows(version, files))
            _apply(dataset, prepared, now=now)
            dataset.current_version = version
            dataset.save()
            report.updated += 1
