import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from steward.accounts.models import User
from steward.audit.services import record
from steward.lib.errors import DomainError, Forbidden, Gone
from steward.lib.ids import new_public_id
from steward.lib.mail import send_after_commit
from steward.lib.text import fold
from steward.licensing.document import custom_licence_to_document, licence_from_document
from steward.licensing.licences import PREDEFINED, licence_name
from steward.licensing.models import PolicyVersion
from steward.licensing.services import create_policies, set_terms
from steward.organizations.models import Membership, Organization
from steward.organizations.permissions import MANAGE_TERMS, SUBMIT, can
from steward.organizations.services import create_organization
from steward.organizations.services import validate_slug as validate_org_slug
from steward.storage import services as storage_services
from steward.storage.models import Blob, Upload

from .datasheet import require_publishable
from .languages import language_code, language_info
from .models import (
    Comment,
    Dataset,
    DatasetFile,
    DatasetVersion,
    Inspection,
    Language,
    Submission,
    Visibility,
)
from .terms import apply_changes, policy_for

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,118}[a-z0-9])?$")
RESERVED_SLUGS = {"filters"}


class CatalogError(DomainError):
    """Codes: invalid_slug, slug_taken, unknown_language, not_an_archive, not_approved."""


def validate_slug(slug: Any) -> str:
    slug = slug.strip().lower() if isinstance(slug, str) else ""
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS or ".." in slug:
        raise CatalogError(
            _(
                "%(field)s: %(slug)r is not a valid slug (1 to 120 lower-case letters, digits, "
                "'.', '_' and '-')"
            )
            % {"field": "slug", "slug": slug},
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


def facet_token(key: str, value: str) -> str:
    """An opaque word standing for one filter value: `key` + a short hash of the value.
    Only letters and digits, so the full-text tokenizer keeps it whole."""
    digest = hashlib.blake2s(value.lower().encode(), digest_size=6).hexdigest()
    return f"{key}{digest}"


def facet_tokens(dataset: Dataset) -> str:
    """The filter values of a dataset, as the words the search index holds for them."""
    tokens = [
        facet_token("task", dataset.task),
        facet_token("lang", dataset.language.code),
        facet_token("loc", dataset.locale),
        facet_token("lic", dataset.license_abbreviation),
        facet_token("fmt", dataset.format),
        facet_token("org", dataset.organization.slug),
        facet_token("paid", "yes" if dataset.is_paid else "no"),
    ]
    if dataset.has_sample:
        tokens.append(facet_token("sample", "yes"))
    if dataset.is_listed:
        tokens.append(facet_token("listed", "yes"))
    return " ".join(tokens)


def reindex_datasets(*, after: int, write: bool, size: int) -> tuple[list[Dataset], int]:
    """Rebuild the search words and filter values of up to `size` datasets with ids above
    `after` (written only if `write`); returns them and how many were out of date."""
    with transaction.atomic():
        # Locked, so that a version published meanwhile is not overwritten by older words.
        batch = list(
            Dataset.objects.select_for_update(of=("self",))
            .select_related("current_version", "language", "organization")
            .filter(pk__gt=after)
            .order_by("pk")[:size]
        )
        changed = []
        for dataset in batch:
            document = dataset.search_document
            if dataset.current_version is not None:
                document = build_search_document(
                    dataset.current_version.datasheet, dataset.language, dataset.organization
                )
            facets = facet_tokens(dataset)
            if (document, facets) != (dataset.search_document, dataset.search_facets):
                dataset.search_document, dataset.search_facets = document, facets
                # A new updated_at tells cached catalogue listings that they are stale.
                dataset.updated_at = timezone.now()
                changed.append(dataset)
        if write and changed:
            Dataset.objects.bulk_update(changed, ["search_document", "search_facets", "updated_at"])
    return batch, len(changed)


def _languages_by_code(codes: set[str]) -> dict[str, Language]:
    """The Language rows for `codes`; a known language missing from the table (an emptied
    test database, say) is added from the ISO 639 data."""
    found = {lang.code: lang for lang in Language.objects.filter(code__in=codes)}
    for code in codes - found.keys():
        info = language_info(code)
        if info is not None:
            found[code], _created = Language.objects.get_or_create(
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
    dataset.search_facets = facet_tokens(dataset)
    dataset.published_at = now


def _prepare(
    sheet: dict[str, Any], files: VersionFiles | None, languages: dict[str, Language]
) -> _Prepared:
    require_publishable(sheet)
    code = language_code(sheet["locale"])
    language = languages.get(code)
    if language is None:
        raise CatalogError(
            _("%(field)s: no language %(code)r is known") % {"field": "locale", "code": code},
            code="unknown_language",
            field="locale",
        )
    files = files or VersionFiles()
    for name in (files.archive_name, files.sample_name):
        if name and ("/" in name or name.startswith(".") or not name.endswith((".tar.gz", ".tgz"))):
            raise CatalogError(
                _("%(name)r must be a bare .tar.gz or .tgz file name") % {"name": name},
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
    usage_policy: dict[str, Any] | None = None,
    actor=None,
) -> Dataset:
    """Create a dataset whose version 1, built from a cleaned datasheet, is published under
    `usage_policy` (a policy document; by default the one its MDC fields describe)."""
    if not organization.is_approved:
        raise CatalogError(_("Only an approved organization may publish."), code="not_approved")
    slug = validate_slug(slug) if slug else slug_for(sheet["name"])
    policy, sheet = policy_for(usage_policy or {}, sheet)
    prepared = _prepare(sheet, files, _languages_by_code({language_code(sheet["locale"])}))
    now = timezone.now()
    with transaction.atomic():
        if Dataset.objects.filter(slug=slug).exists():
            raise CatalogError(
                _("%(field)s: %(slug)r is taken") % {"field": "slug", "slug": slug},
                code="slug_taken",
                field="slug",
            )
        terms = set_terms(None, organization=organization, terms=policy, actor=actor)
        dataset = Dataset(
            public_id=new_public_id(),
            slug=slug,
            organization=organization,
            usage_policy=terms.policy,
        )
        _apply(dataset, prepared, now=now)
        dataset.save()
        version = DatasetVersion.objects.create(
            dataset=dataset, number=1, datasheet=sheet, published_at=now, policy_version=terms
        )
        DatasetFile.objects.bulk_create(_file_rows(version, prepared.files))
        dataset.current_version = version
        dataset.save(update_fields=["current_version"])
    return dataset


def publish_version(
    dataset: Dataset,
    *,
    sheet: dict[str, Any],
    files: VersionFiles | None = None,
    usage_policy: dict[str, Any] | None = None,
    actor=None,
) -> DatasetVersion:
    """Publish a new version of `dataset` under `usage_policy` (as publish_dataset); earlier
    versions stay as they were, and grants keep the terms they accepted."""
    policy, sheet = policy_for(usage_policy or {}, sheet)
    prepared = _prepare(sheet, files, _languages_by_code({language_code(sheet["locale"])}))
    now = timezone.now()
    with transaction.atomic():
        dataset = (
            Dataset.objects.select_for_update(of=("self",))
            .select_related("organization", "usage_policy")
            .get(pk=dataset.pk)
        )
        terms = set_terms(
            dataset.usage_policy, organization=dataset.organization, terms=policy, actor=actor
        )
        dataset.usage_policy = terms.policy
        last = dataset.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = DatasetVersion.objects.create(
            dataset=dataset,
            number=last + 1,
            datasheet=sheet,
            published_at=now,
            policy_version=terms,
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
        raise CatalogError(
            _("not valid JSON (%(msg)s at column %(colno)s)") % {"msg": exc.msg, "colno": exc.colno}
        ) from None
    if not isinstance(data, dict):
        raise CatalogError(_("a line must hold one JSON object"))
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
            _("%(field)s: an object with a slug and a name is required")
            % {"field": "organization"},
            field="organization",
        )
    org_name = str(org.get("name") or org.get("slug")).strip()
    org_slug = str(org.get("slug") or slugify(org_name)).strip().lower()
    if not isinstance(data.get("name"), str):
        raise CatalogError(
            _("%(field)s: this field is required") % {"field": "name"},
            code="required",
            field="name",
        )
    slug_value = data.get("slug")
    if slug_value is not None and not isinstance(slug_value, str):
        raise CatalogError(_("%(field)s: must be a string") % {"field": "slug"}, field="slug")
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

    queued_slugs: set[str] = set()

    def flush() -> None:
        if batch:
            _import_batch(batch, organizations, report)
            batch.clear()
            queued_slugs.clear()

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
        if line.slug in queued_slugs:
            flush()
        batch.append((line, prepared))
        queued_slugs.add(line.slug)
        if len(batch) >= batch_size:
            flush()
    flush()
    # Fresh statistics let the query planner choose the right indexes for what changed.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
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

        policies = create_policies(
            [
                (d.organization, policy_for({}, s)[0])
                for d, s in zip(new_datasets, new_sheets, strict=True)
            ]
        )
        for dataset, policy in zip(new_datasets, policies, strict=True):
            dataset.usage_policy_id = policy.policy_id
        Dataset.objects.bulk_create(new_datasets)
        versions = DatasetVersion.objects.bulk_create(
            [
                DatasetVersion(dataset=d, number=1, datasheet=s, published_at=now, policy_version=p)
                for d, s, p in zip(new_datasets, new_sheets, policies, strict=True)
            ]
        )
        # One UPDATE for the whole batch: each new dataset points at its version 1.
        Dataset.objects.filter(pk__in=[d.pk for d in new_datasets]).update(
            current_version=Subquery(
                DatasetVersion.objects.filter(dataset=OuterRef("pk"), number=1).values("pk")[:1]
            )
        )
        for dataset, version in zip(new_datasets, versions, strict=True):
            dataset.current_version = version
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
            terms = set_terms(
                dataset.usage_policy,
                organization=dataset.organization,
                terms=policy_for({}, prepared.sheet)[0],
            )
            dataset.usage_policy = terms.policy
            version = DatasetVersion.objects.create(
                dataset=dataset,
                number=number,
                datasheet=prepared.sheet,
                published_at=now,
                policy_version=terms,
            )
            DatasetFile.objects.bulk_create(_file_rows(version, files))
            _apply(dataset, prepared, now=now)
            dataset.current_version = version
            dataset.save()
            report.updated += 1


# Submissions: a proposed version, edited as a draft, sent for review, decided by staff.

SUBMISSION_TRANSITIONS: dict[str, set[str]] = {
    Submission.Status.DRAFT: {Submission.Status.SUBMITTED, Submission.Status.RETRACTED},
    Submission.Status.SUBMITTED: {
        Submission.Status.IN_REVIEW,
        Submission.Status.EDITS_REQUESTED,
        Submission.Status.APPROVED,
        Submission.Status.REJECTED,
        Submission.Status.RETRACTED,
    },
    Submission.Status.IN_REVIEW: {
        Submission.Status.EDITS_REQUESTED,
        Submission.Status.APPROVED,
        Submission.Status.REJECTED,
        Submission.Status.RETRACTED,
    },
    Submission.Status.EDITS_REQUESTED: {Submission.Status.SUBMITTED, Submission.Status.RETRACTED},
    Submission.Status.APPROVED: set(),
    Submission.Status.REJECTED: set(),
    Submission.Status.RETRACTED: set(),
}
ATTESTATION_FIELDS = {
    "rightsHolder": "rights_holder",
    "consentBasis": "consent_basis",
    "rightsStatement": "rights_statement",
}


class SubmissionError(DomainError):
    """Codes: not_approved, not_a_member, not_editable, incomplete, not_agreed, conflict,
    illegal_transition, published, invalid_attestation."""


def _organization_for_new_submission(user, organization: Organization | None) -> Organization:

    if organization is not None:
        if not can(user, organization, SUBMIT):
            raise Forbidden(_("You are not a member of this organization."), code="not_a_member")
        candidates = [organization]
    else:
        memberships = Membership.objects.filter(user=user).select_related("organization")
        candidates = [m.organization for m in memberships]
    approved = [org for org in candidates if org.is_approved]
    if not approved:
        raise Forbidden(
            _(
                "Your organization is not approved to upload datasets yet. Apply for an"
                " organization, or wait until the platform has reviewed it."
            ),
            code="not_approved",
        )
    if len(approved) > 1:
        raise SubmissionError(
            _("You belong to several organizations; say which one (organizationSlug)."),
            code="organization_required",
            field="organizationSlug",
        )
    return approved[0]


def _lock_submission(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("organization", "dataset")
        .get(pk=submission.pk)
    )


def _apply_attestation(submission: Submission, data: dict[str, Any]) -> None:
    for api_name, attr in ATTESTATION_FIELDS.items():
        if api_name not in data:
            continue
        value = data[api_name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise SubmissionError(
                _("%(field)s: must be a string") % {"field": api_name},
                code="invalid_attestation",
                field=api_name,
            )
        value = value.strip()
        if attr == "consent_basis" and value and value not in Submission.ConsentBasis.values:
            raise SubmissionError(
                _("%(field)s: %(value)r is not one of %(choices)s")
                % {
                    "field": api_name,
                    "value": value,
                    "choices": ", ".join(Submission.ConsentBasis.values),
                },
                code="invalid_attestation",
                field=api_name,
            )
        if attr == "rights_holder" and len(value) > 500:
            raise SubmissionError(
                _("%(field)s: the limit is 500 characters") % {"field": api_name},
                code="too_long",
                field=api_name,
            )
        setattr(submission, attr, value)


def _notify_staff(submission: Submission, subject: str, template: str) -> None:

    staff = list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
    send_after_commit(staff, subject, template, {"submission": submission})


def _notify_organization(
    submission: Submission, subject: str, template: str, **context: Any
) -> None:

    emails = list(
        Membership.objects.filter(
            organization=submission.organization,
            role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
        ).values_list("user__email", flat=True)
    )
    emails.append(submission.created_by.email)
    send_after_commit(emails, subject, template, {"submission": submission, **context})


def _changed_fields(data: dict[str, Any]) -> set[str]:
    """The datasheet fields (snake_case) an edit sets."""
    from .datasheet import BY_API_NAME

    return {BY_API_NAME[k].name for k in data if k in BY_API_NAME}


def create_submission(
    user,
    *,
    data: dict[str, Any],
    organization: Organization | None = None,
    dataset: Dataset | None = None,
) -> Submission:
    """Start a draft for the user's approved organization; for `dataset`, a new version of it."""

    from .datasheet import clean_datasheet

    organization = _organization_for_new_submission(user, organization)
    if dataset is not None and dataset.organization_id != organization.pk:
        raise Forbidden(_("This dataset belongs to another organization."), code="not_yours")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise SubmissionError(
            _("%(field)s: this field is required") % {"field": "name"},
            code="required",
            field="name",
        )
    base = (
        dataset.current_version.datasheet
        if dataset is not None and dataset.current_version
        else None
    )
    sheet = clean_datasheet(data, base=base, draft=True)
    base_policy = (
        _editable_terms(dataset.usage_policy.current) if dataset and dataset.usage_policy else {}
    )
    usage_policy, sheet = apply_changes(
        base_policy,
        sheet,
        changed_fields=_changed_fields(data),
        usage_policy=data.get("usagePolicy"),
    )
    with transaction.atomic():
        submission = Submission(
            public_id=new_public_id(),
            organization=organization,
            created_by=user,
            dataset=dataset,
            datasheet=sheet,
            usage_policy=usage_policy,
            slug=dataset.slug if dataset is not None else "",
        )
        _apply_attestation(submission, data)
        submission.save()
        record(
            actor=user,
            action="catalog.submission.created",
            target=submission,
            organization_id=organization.pk,
            data={"name": sheet["name"], "dataset": dataset.public_id if dataset else None},
        )
    return submission


def update_submission(
    submission: Submission, *, actor, data: dict[str, Any], expected_revision: int | None = None
) -> Submission:
    """Change draft fields; refuses a submission that is no longer editable and an edit
    made from an out-of-date copy (`expected_revision`)."""

    from .datasheet import BY_API_NAME, clean_datasheet

    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.deleted_at is not None:
            raise Gone(_("This submission was deleted."), code="deleted")
        if not submission.is_editable:
            raise Forbidden(
                _("This submission is %(status)s and can no longer be edited.")
                % {"status": submission.get_status_display().lower()},
                code="not_editable",
            )
        if expected_revision is not None and expected_revision != submission.revision:
            raise SubmissionError(
                _(
                    "This submission was changed elsewhere since you opened it; reload to see"
                    " the latest version, then make your change again."
                ),
                code="conflict",
            )
        if "slug" in data and data["slug"] not in (None, ""):
            if submission.dataset_id is not None:
                raise SubmissionError(
                    _("%(field)s: a new version keeps its dataset's slug") % {"field": "slug"},
                    field="slug",
                )
            submission.slug = validate_slug(data["slug"])
        sheet = clean_datasheet(data, base=submission.datasheet, draft=True)
        submission.usage_policy, submission.datasheet = apply_changes(
            submission.usage_policy,
            sheet,
            changed_fields=_changed_fields(data),
            usage_policy=data.get("usagePolicy"),
        )
        _apply_attestation(submission, data)
        if "exclusivityOptOut" in data:
            submission.exclusivity_opt_out_at = (
                timezone.now() if submission.datasheet["exclusivity_opt_out"] else None
            )
        submission.revision += 1
        submission.save()
        changed = sorted(
            k
            for k in data
            if k in BY_API_NAME or k in ATTESTATION_FIELDS or k in ("slug", "usagePolicy")
        )
        record(
            actor=actor,
            action="catalog.submission.updated",
            target=submission,
            organization_id=submission.organization_id,
            data={"fields": changed},
        )
    return submission


def _transition(submission: Submission, to: str) -> None:
    allowed = SUBMISSION_TRANSITIONS[submission.status]
    if to not in allowed:
        raise SubmissionError(
            _("A submission that is %(status)s cannot become %(target)s.")
            % {
                "status": submission.get_status_display().lower(),
                "target": Submission.Status(to).label.lower(),
            },
            code="illegal_transition",
        )
    submission.status = to


def submit_submission(submission: Submission, *, actor, agree_to_submit: bool) -> Submission:
    """Send a complete draft (or a revised one) for review, with the rights attestation."""

    from .datasheet import missing_for_submission

    if agree_to_submit is not True:
        raise SubmissionError(
            _(
                "%(field)s: you must confirm that you have the right to submit this dataset and "
                "that the datasheet is accurate"
            )
            % {"field": "agreeToSubmit"},
            code="not_agreed",
            field="agreeToSubmit",
        )
    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.deleted_at is not None:
            raise Gone(_("This submission was deleted."), code="deleted")
        if submission.status == Submission.Status.SUBMITTED:
            return submission  # a repeated submit changes nothing
        if submission.status == Submission.Status.APPROVED:
            raise Forbidden(_("This submission is already published."), code="published")
        missing = missing_for_submission(submission.datasheet)
        if missing:
            raise SubmissionError(
                _("The submission is incomplete; missing: %(fields)s")
                % {"fields": ", ".join(missing)},
                code="incomplete",
                field=missing[0],
            )
        require_publishable(submission.datasheet)
        if not submission.rights_holder:
            submission.rights_holder = submission.organization.name
        previous = submission.status
        _transition(submission, Submission.Status.SUBMITTED)
        now = timezone.now()
        submission.agreed_to_submit_at = now
        submission.submitted_at = now
        submission.save()
        record(
            actor=actor,
            action="catalog.submission.submitted",
            target=submission,
            organization_id=submission.organization_id,
            data={"resubmitted": previous == Submission.Status.EDITS_REQUESTED},
        )
        _notify_staff(
            submission,
            _("Submission to review: %(name)s") % {"name": submission.name},
            "catalog/email/submission_submitted.txt",
        )
    return submission


def withdraw_submission(submission: Submission, *, actor) -> Submission:
    """The organization takes a submission back; the record stays."""

    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.status == Submission.Status.RETRACTED:
            return submission
        if submission.status == Submission.Status.APPROVED:
            raise Forbidden(_("This submission is already published."), code="published")
        _transition(submission, Submission.Status.RETRACTED)
        submission.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action="catalog.submission.withdrawn",
            target=submission,
            organization_id=submission.organization_id,
        )
        _notify_staff(
            submission,
            _("Submission withdrawn: %(name)s") % {"name": submission.name},
            "catalog/email/submission_withdrawn.txt",
        )
    return submission


def delete_submission(submission: Submission, *, actor) -> None:
    """Delete a submission that was never published; afterwards it answers 410."""

    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.deleted_at is not None:
            raise Gone(_("This submission was deleted."), code="deleted")
        if submission.status == Submission.Status.APPROVED:
            raise Forbidden(_("A published submission cannot be deleted."), code="published")
        was_waiting = submission.status in (
            Submission.Status.SUBMITTED,
            Submission.Status.IN_REVIEW,
        )
        submission.deleted_at = timezone.now()
        submission.status = Submission.Status.RETRACTED
        submission.save(update_fields=["deleted_at", "status", "updated_at"])
        record(
            actor=actor,
            action="catalog.submission.deleted",
            target=submission,
            organization_id=submission.organization_id,
        )
        if was_waiting:
            _notify_staff(
                submission,
                _("Submission withdrawn: %(name)s") % {"name": submission.name},
                "catalog/email/submission_withdrawn.txt",
            )


def start_review(submission: Submission, *, actor) -> Submission:
    """A reviewer takes a submitted submission; taking one already in review changes nothing."""

    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.status == Submission.Status.IN_REVIEW:
            return submission
        _transition(submission, Submission.Status.IN_REVIEW)
        submission.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action="catalog.submission.review_started",
            target=submission,
            organization_id=submission.organization_id,
        )
    return submission


def decide_submission(submission: Submission, *, actor, to: str, reason: str = "") -> Submission:
    """Apply a reviewer's decision: approve (publishes a frozen version), request changes,
    or reject. Changes and rejections need a reason, which the organization is sent."""

    if to not in (
        Submission.Status.APPROVED,
        Submission.Status.EDITS_REQUESTED,
        Submission.Status.REJECTED,
    ):
        raise SubmissionError(
            _("%(value)r is not a decision") % {"value": to}, code="illegal_transition"
        )
    reason = reason.strip()
    if to != Submission.Status.APPROVED and not reason:
        raise SubmissionError(
            _("%(field)s: say what must change, or why it is rejected") % {"field": "reason"},
            code="required",
            field="reason",
        )
    with transaction.atomic():
        submission = _lock_submission(submission)
        if submission.status == to:
            return submission
        if to == Submission.Status.APPROVED:
            _require_verified_files(submission)
            _require_inspected_files(submission)
        _transition(submission, to)
        submission.decided_at = timezone.now()
        if to == Submission.Status.APPROVED:
            _publish_submission(submission)
        submission.save()
        action = {
            Submission.Status.APPROVED: "catalog.submission.approved",
            Submission.Status.EDITS_REQUESTED: "catalog.submission.changes_requested",
            Submission.Status.REJECTED: "catalog.submission.rejected",
        }[to]
        record(
            actor=actor,
            action=action,
            target=submission,
            organization_id=submission.organization_id,
            data={
                "reason": reason,
                "version": submission.published_version.number
                if submission.published_version
                else None,
            },
        )
        subject = {
            Submission.Status.APPROVED: _("Published: %(name)s"),
            Submission.Status.EDITS_REQUESTED: _("Changes requested: %(name)s"),
            Submission.Status.REJECTED: _("Not accepted: %(name)s"),
        }[to]
        _notify_organization(
            submission,
            subject % {"name": submission.name},
            "catalog/email/submission_decided.txt",
            reason=reason,
        )
    return submission


def _publish_submission(submission: Submission) -> None:
    """Freeze the submission into a published version (a new dataset the first time).
    Caller holds the submission lock."""
    files = VersionFiles(
        archive=submission.archive,
        archive_name=submission.archive_name,
        sample=submission.sample,
        sample_name=submission.sample_name,
    )
    sheet = dict(submission.datasheet)
    if submission.dataset is None:
        slug = submission.slug or slug_for(sheet["name"])
        if Dataset.objects.filter(slug=slug).exists():
            slug = f"{slug[:110]}-{new_public_id()[1:7]}"
        dataset = publish_dataset(
            submission.organization,
            sheet=sheet,
            slug=slug,
            files=files,
            usage_policy=submission.usage_policy,
        )
        submission.dataset = dataset
        submission.slug = dataset.slug
        submission.published_version = dataset.current_version
    else:
        submission.published_version = publish_version(
            submission.dataset, sheet=sheet, files=files, usage_policy=submission.usage_policy
        )


def remove_dataset(dataset: Dataset, *, actor, reason: str) -> Dataset:
    """Take a dataset down: it leaves the catalogue and answers 410 with the public reason.
    Its versions and files are kept, so the decision can be reversed."""

    reason = reason.strip()
    if not reason:
        raise CatalogError(
            _("%(field)s: give the public reason for the takedown") % {"field": "reason"},
            code="required",
            field="reason",
        )
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if dataset.status == Dataset.Status.REMOVED:
            return dataset
        dataset.status = Dataset.Status.REMOVED
        dataset.removal_reason = reason
        dataset.removed_at = timezone.now()
        dataset.search_facets = facet_tokens(dataset)
        dataset.save(
            update_fields=["status", "removal_reason", "removed_at", "search_facets", "updated_at"]
        )
        record(
            actor=actor,
            action="catalog.dataset.removed",
            target=dataset,
            organization_id=dataset.organization_id,
            data={"reason": reason},
        )
    return dataset


def restore_dataset(dataset: Dataset, *, actor) -> Dataset:
    """Put a taken-down dataset back in the catalogue."""

    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if dataset.status == Dataset.Status.PUBLISHED:
            return dataset
        dataset.status = Dataset.Status.PUBLISHED
        dataset.removal_reason = ""
        dataset.removed_at = None
        dataset.search_facets = facet_tokens(dataset)
        dataset.save(
            update_fields=["status", "removal_reason", "removed_at", "search_facets", "updated_at"]
        )
        record(
            actor=actor,
            action="catalog.dataset.restored",
            target=dataset,
            organization_id=dataset.organization_id,
        )
    return dataset


def add_comment(submission: Submission, *, author, body: str) -> Comment:
    """A message between reviewers and the submitting organization; the other side is emailed."""

    body = body.strip()
    if not body:
        raise SubmissionError(
            _("%(field)s: write a message") % {"field": "body"}, code="required", field="body"
        )
    if len(body) > 10_000:
        raise SubmissionError(
            _("%(field)s: the limit is 10,000 characters") % {"field": "body"},
            code="too_long",
            field="body",
        )
    with transaction.atomic():
        comment = Comment.objects.create(
            submission=submission, author=author, body=body, by_staff=author.is_staff
        )
        record(
            actor=author,
            action="moderation.comment.added",
            target=submission,
            organization_id=submission.organization_id,
            data={"by_staff": comment.by_staff},
        )
        if comment.by_staff:
            recipients = list(
                Membership.objects.filter(organization=submission.organization).values_list(
                    "user__email", flat=True
                )
            )
        else:
            recipients = list(
                User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
            )
        send_after_commit(
            recipients,
            _("New comment on %(name)s") % {"name": submission.name},
            "catalog/email/comment.txt",
            {"submission": submission, "comment": comment},
        )
    return comment


# Uploads: a submission's dataset archive and sample arrive as resumable multipart uploads
# (storage.services does the transfer); completion attaches them to the submission at once.


def _require_accepts_upload(submission: Submission, purpose: str) -> None:
    """Drafts take files; an approved submission takes a new archive for a new version."""
    if submission.deleted_at is not None:
        raise Gone(_("This submission was deleted."), code="deleted")
    if submission.is_editable:
        return
    if (
        purpose == "archive"
        and submission.status == Submission.Status.APPROVED
        and submission.dataset_id is not None
    ):
        return
    raise Forbidden(
        _("This submission is %(status)s and no longer takes files.")
        % {"status": submission.get_status_display().lower()},
        code="not_editable",
    )


def start_submission_upload(
    submission: Submission,
    *,
    actor,
    purpose: str,
    filename: Any,
    size_bytes: Any,
    mime_type: Any,
) -> Upload:
    """Open an upload of the submission's archive or sample (MDC `POST /uploads`)."""
    _require_accepts_upload(submission, purpose)
    return storage_services.start_upload(
        getattr(actor, "user", actor),
        reference=submission.public_id,
        purpose=purpose,
        filename=filename,
        size_bytes=size_bytes,
        mime_type=mime_type,
        actor=actor,
        organization_id=submission.organization_id,
    )


def complete_submission_upload(
    submission: Submission,
    upload: Upload,
    *,
    actor,
    parts: Any,
    checksum: Any,
    store_upload_id: Any = None,
) -> tuple[Submission, Upload]:
    """Join and check an upload, then attach it to the submission at once (for an approved
    submission, to the draft of its dataset's next version). Returns the submission the
    file went to and the upload. The same completion sent again finishes what the first
    may have left undone (verification, attachment) and otherwise changes nothing."""
    from . import tasks

    is_first = upload.status == Upload.Status.UPLOADING
    if is_first:
        # Refused before any storage work, so nothing is half-written.
        _require_accepts_upload(submission, upload.purpose)
    upload = storage_services.complete_upload(
        upload,
        parts=parts,
        checksum=checksum,
        store_upload_id=store_upload_id,
        actor=actor,
        organization_id=submission.organization_id,
        verify_with=tasks.verify_submission_upload,
    )
    if not is_first:
        return _resume_attachment(submission, upload, actor=actor), upload
    return attach_upload(submission, upload, actor=actor), upload


def _attached_to(upload: Upload):
    return Submission.objects.filter(Q(archive_upload=upload) | Q(sample_upload=upload))


def _resume_attachment(submission: Submission, upload: Upload, *, actor) -> Submission:
    """A completion sent again: attach the upload if the first completion died before it
    could, and hand a verified file to the submissions it is attached to."""
    if upload.status == Upload.Status.COMPLETED:
        _hand_over_blob(upload)
    target = _attached_to(upload).order_by("-created_at").first()
    if target is not None:
        return target
    _require_accepts_upload(submission, upload.purpose)
    return attach_upload(submission, upload, actor=actor, resume=True)


def _next_version_draft(approved: Submission, *, actor) -> Submission:
    """The open draft of the next version of an approved submission's dataset; made from the
    published datasheet and files when there is none. Caller holds the submission lock."""

    dataset = approved.dataset
    draft = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("organization", "dataset")
        .filter(
            dataset=dataset,
            deleted_at__isnull=True,
            status__in=[Submission.Status.DRAFT, Submission.Status.EDITS_REQUESTED],
        )
        .order_by("-created_at")
        .first()
    )
    if draft is not None:
        return draft
    version = dataset.current_version
    draft = Submission(
        public_id=new_public_id(),
        organization=approved.organization,
        created_by=getattr(actor, "user", actor),
        dataset=dataset,
        datasheet=dict(version.datasheet) if version else dict(approved.datasheet),
        usage_policy=_editable_terms(dataset.usage_policy.current)
        if dataset.usage_policy
        else dict(approved.usage_policy),
        slug=dataset.slug,
        rights_holder=approved.rights_holder,
        consent_basis=approved.consent_basis,
        rights_statement=approved.rights_statement,
    )
    # The new archive replaces the old one; the sample stays until another is uploaded.
    for f in version.files.select_related("blob") if version else []:
        if f.role == DatasetFile.Role.SAMPLE:
            draft.sample, draft.sample_name = f.blob, f.filename
    draft.save()
    record(
        actor=actor,
        action="catalog.submission.created",
        target=draft,
        organization_id=draft.organization_id,
        data={"name": draft.name, "dataset": dataset.public_id, "from": approved.public_id},
    )
    return draft


def attach_upload(
    submission: Submission, upload: Upload, *, actor, resume: bool = False
) -> Submission:
    """Make a completed upload the submission's archive or sample. Its Blob becomes the
    submission's file once verified (now, or later by `verify_submission_upload`). With
    `resume`, an upload attached already, or older than the one attached, changes nothing."""

    with transaction.atomic():
        submission = _lock_submission(submission)
        # Locked before anything is recorded, in the order verification takes its locks
        # (upload row, then the audit chain), so the two cannot deadlock. Re-read:
        # background verification may have finished since completion returned.
        upload = (
            Upload.objects.select_for_update(of=("self",)).select_related("blob").get(pk=upload.pk)
        )
        if submission.status == Submission.Status.APPROVED:
            submission = _next_version_draft(submission, actor=actor)
        current = (
            submission.archive_upload if upload.purpose == "archive" else submission.sample_upload
        )
        if resume and current is not None and current.created_at >= upload.created_at:
            return submission  # a repetition must not attach an old upload over a newer one
        if upload.purpose == "archive":
            submission.archive_upload = upload
            submission.archive = upload.blob
            submission.archive_name = upload.filename
            fields = ["archive_upload", "archive", "archive_name"]
        else:
            submission.sample_upload = upload
            submission.sample = upload.blob
            submission.sample_name = upload.filename
            fields = ["sample_upload", "sample", "sample_name"]
        submission.save(update_fields=[*fields, "updated_at"])
        record(
            actor=actor,
            action="catalog.submission.file_attached",
            target=submission,
            organization_id=submission.organization_id,
            data={
                "role": upload.purpose,
                "upload": upload.public_id,
                "filename": upload.filename,
                "size_bytes": upload.size_bytes,
                "status": upload.status,
            },
        )
        if upload.blob is not None:
            on_blob_verified(submission, upload.blob)
    return submission


def verify_submission_upload(upload: Upload) -> Upload:
    """Check a large upload's checksum in the background; once it matches, its Blob becomes
    the file of the submissions it is attached to. Safe to run again."""
    organization_id = (
        Submission.objects.filter(public_id=upload.reference)
        .values_list("organization_id", flat=True)
        .first()
    )
    upload = storage_services.verify_upload(upload, organization_id=organization_id)
    if upload.status == Upload.Status.COMPLETED:
        _hand_over_blob(upload)
    return upload


def _hand_over_blob(upload: Upload) -> None:
    """Make a verified upload's Blob the file of the submissions it is attached to; those
    that have it already are left alone."""
    with transaction.atomic():
        for submission in _attached_to(upload).select_for_update(of=("self",)):
            if submission.archive_upload_id == upload.pk:
                if submission.archive_id == upload.blob_id:
                    continue
                submission.archive = upload.blob
                submission.save(update_fields=["archive", "updated_at"])
            else:
                if submission.sample_id == upload.blob_id:
                    continue
                submission.sample = upload.blob
                submission.save(update_fields=["sample", "updated_at"])
            on_blob_verified(submission, upload.blob)


def on_blob_verified(submission: Submission, blob: Blob) -> None:
    """Called inside the transaction that makes a verified Blob a submission's archive or
    sample (`submission.archive_id == blob.pk` tells which): follow-up work starts here,
    queued with transaction.on_commit."""
    request_inspection(blob, locale=submission.datasheet.get("locale", ""))


def _require_verified_files(submission: Submission) -> None:
    """Publication waits until every attached upload's checksum has been verified."""
    for upload, verifying, failed in (
        (
            submission.archive_upload,
            _(
                "The dataset archive is still being verified; approve the submission once its"
                " checksum has been checked."
            ),
            _(
                "The dataset archive failed verification (%(failure)s); the organization must"
                " upload it again."
            ),
        ),
        (
            submission.sample_upload,
            _(
                "The sample is still being verified; approve the submission once its checksum"
                " has been checked."
            ),
            _(
                "The sample failed verification (%(failure)s); the organization must upload it"
                " again."
            ),
        ),
    ):
        if upload is None or upload.status == Upload.Status.COMPLETED:
            continue
        if upload.status == Upload.Status.VERIFYING:
            raise SubmissionError(verifying, code="file_not_verified")
        raise SubmissionError(failed % {"failure": upload.failure}, code="file_failed")


# Inspection: what a stored archive holds and whether it is safe to unpack, found in the
# background once the file is verified (catalog/inspection.py does the reading).


def inspection_limits():
    """The inspection limits the settings ask for."""
    from django.conf import settings

    from .inspection import Limits

    return Limits(
        max_entries=settings.STEWARD_INSPECTION_MAX_ENTRIES,
        max_unpacked_bytes=settings.STEWARD_INSPECTION_MAX_UNPACKED_BYTES,
        max_ratio=float(settings.STEWARD_INSPECTION_MAX_RATIO),
    )


def inspection_for(blob: Blob | None):
    """The blob's Inspection, or None when none was made or requested."""

    if blob is None:
        return None
    return Inspection.objects.filter(blob=blob).first()


def request_inspection(blob: Blob, *, locale: str = ""):
    """Mark `blob` as waiting for inspection and queue the task once the transaction
    commits. A blob inspected already changes nothing."""
    from . import tasks

    inspection, _created = Inspection.objects.get_or_create(
        blob=blob, defaults={"declared_locale": locale}
    )
    if inspection.status == Inspection.Status.PENDING:
        blob_id = blob.pk
        transaction.on_commit(lambda: tasks.inspect_blob.enqueue(blob_id=blob_id, locale=locale))
    return inspection


def inspect_blob(blob: Blob, *, locale: str = ""):
    """Inspect the stored file and record the outcome (status, reason, report), audited as
    `catalog.inspection.finished`. A finished inspection is returned unchanged."""
    from contextlib import closing

    from django.db.models import Q

    from steward.storage.objectstore import get_store

    from .inspection import inspect_archive

    finished = Inspection.objects.filter(blob=blob, finished_at__isnull=False).first()
    if finished is not None:
        return finished
    # Reading a large archive takes minutes: no transaction stays open meanwhile.
    with closing(get_store().open(blob.key)) as stream:
        result = inspect_archive(stream, declared_locale=locale, limits=inspection_limits())
    organization_id = (
        Submission.objects.filter(Q(archive=blob) | Q(sample=blob))
        .values_list("organization_id", flat=True)
        .first()
    )
    with transaction.atomic():
        inspection, _created = Inspection.objects.select_for_update().get_or_create(blob=blob)
        if inspection.finished_at is not None:
            return inspection  # another worker got there first
        inspection.status = result.status
        inspection.reason = result.reason
        inspection.report = result.report
        inspection.declared_locale = locale
        inspection.finished_at = timezone.now()
        inspection.save(
            update_fields=["status", "reason", "report", "declared_locale", "finished_at"]
        )
        record(
            actor=None,
            action="catalog.inspection.finished",
            target=inspection,
            organization_id=organization_id,
            data={
                "blob": blob.sha256,
                "status": result.status,
                "reason": result.reason,
                "findings": [f["code"] for f in result.report.get("findings", [])],
            },
        )
    return inspection


def _require_inspected_files(submission: Submission) -> None:
    """Publication waits until every attached file is inspected, and never publishes one
    the inspection rejected."""

    for blob_id, pending, rejected in (
        (
            submission.archive_id,
            _(
                "The dataset archive is still being inspected; approve the submission once its"
                " inspection report is ready."
            ),
            _(
                "The dataset archive was rejected by the file inspection: %(reason)s The"
                " organization must upload a corrected file."
            ),
        ),
        (
            submission.sample_id,
            _(
                "The sample is still being inspected; approve the submission once its"
                " inspection report is ready."
            ),
            _(
                "The sample was rejected by the file inspection: %(reason)s The organization"
                " must upload a corrected file."
            ),
        ),
    ):
        if blob_id is None:
            continue
        inspection = Inspection.objects.filter(blob_id=blob_id).first()
        if inspection is None or inspection.status == Inspection.Status.PENDING:
            raise SubmissionError(pending, code="file_not_inspected")
        if inspection.status == Inspection.Status.REJECTED:
            raise SubmissionError(rejected % {"reason": inspection.reason}, code="file_rejected")


# Terms of use: a published dataset's usage policy changes by new versions, for future
# requests only; each grant keeps the version it accepted.


def _editable_terms(version: PolicyVersion | None) -> dict[str, Any]:
    """A stored policy document as terms.apply_changes reads one: its licence snapshot
    becomes the licence facts it was made from (they matter only for a custom licence)."""
    if version is None:
        return {}
    doc = {key: value for key, value in version.document.items() if key != "licence"}
    if "licence" in version.document:
        licence = licence_from_document(version.document["licence"])
        if licence.identifier not in PREDEFINED:
            doc["licence"] = custom_licence_to_document(licence)
    return doc


def change_terms(dataset: Dataset, *, actor, usage_policy: dict[str, Any]) -> PolicyVersion:
    """Put new terms in force for the dataset's future access requests (a usagePolicy object;
    keys it leaves out keep their value). Unchanged terms return the current version. The
    dataset's MDC price and visibility (unless private) follow the new terms."""
    if not can(getattr(actor, "user", actor), dataset.organization, MANAGE_TERMS):
        raise Forbidden(
            _("Only owners and admins of its organization change a dataset's terms."),
            code="not_a_manager",
        )
    with transaction.atomic():
        dataset = (
            Dataset.objects.select_for_update(of=("self",))
            .select_related("organization", "usage_policy__current", "current_version")
            .get(pk=dataset.pk)
        )
        if dataset.status == Dataset.Status.REMOVED:
            raise Gone(_("This dataset has been taken down."), code="removed")
        current = dataset.usage_policy.current if dataset.usage_policy else None
        sheet = dataset.current_version.datasheet if dataset.current_version else {}
        doc, mirrored = apply_changes(
            _editable_terms(current), sheet, changed_fields=set(), usage_policy=usage_policy
        )
        version = set_terms(
            dataset.usage_policy,
            organization=dataset.organization,
            terms=policy_for(doc, sheet)[0],
            actor=actor,
        )
        if current is not None and version.pk == current.pk:
            return version
        dataset.usage_policy = version.policy
        dataset.is_paid = mirrored["is_paid"]
        dataset.base_price_cents = mirrored["base_price_cents"]
        dataset.currency = mirrored["currency"]
        if dataset.visibility != Visibility.PRIVATE:
            dataset.visibility = mirrored["visibility"]
        dataset.search_facets = facet_tokens(dataset)
        # updated_at moves the catalogue's generation, so cached listings are not served.
        dataset.save(
            update_fields=[
                "usage_policy",
                "is_paid",
                "base_price_cents",
                "currency",
                "visibility",
                "search_facets",
                "updated_at",
            ]
        )
        record(
            actor=actor,
            action="catalog.dataset.terms_changed",
            target=dataset,
            organization_id=dataset.organization_id,
            data={"version": version.number},
        )
    return version
