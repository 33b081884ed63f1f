"""The MDC dataset shapes (camelCase), and how a Dataset becomes one."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from ninja import Schema

from steward.lib.times import api_time
from steward.payments.pricing import quote

from .models import Dataset, Task, Visibility


class OrganizationRef(Schema):
    name: str | None = None
    slug: str | None = None


class Pricing(Schema):
    isPaid: bool
    basePriceCents: int | None = None
    currency: str | None = None
    platformFeeRate: str | None = None
    platformFeeCents: int | None = None
    totalPriceCents: int | None = None


class DatasetSummary(Schema):
    id: str
    slug: str
    name: str
    shortDescription: str | None = None
    longDescription: str | None = None
    sizeBytes: int | None = None
    checksum: str | None = None
    createdAt: str
    organization: OrganizationRef | None = None
    pricing: Pricing
    locale: str
    license: str | None = None
    licenseAbbreviation: str | None = None
    task: str | None = None
    format: str | None = None
    datasetUrl: str
    filename: str | None = None
    isPaid: bool
    basePriceCents: int | None = None
    hasSample: bool
    languageName: str
    version: int | None = None


class DatasetDetails(DatasetSummary):
    """One dataset's details: its summary, and (Steward's addition) the terms in force."""

    usagePolicy: dict | None = None
    termsVersion: int | None = None


class DatasetList(Schema):
    items: list[DatasetSummary]
    total: int
    page: int
    limit: int


class DatasetFilters(Schema):
    tasks: list[str]
    locales: list[str]
    licenses: list[str]
    formats: list[str]


class ErrorOut(Schema):
    error: str
    code: str | None = None
    field: str | None = None


def pricing_of(dataset: Dataset) -> dict:
    if not dataset.is_paid or dataset.base_price_cents is None:
        return {
            "isPaid": False, "basePriceCents": None, "currency": None,
            "platformFeeRate": None, "platformFeeCents": None, "totalPriceCents": None,
        }  # fmt: skip
    rate = Decimal(settings.STEWARD_PLATFORM_FEE_RATE)
    q = quote(dataset.base_price_cents, dataset.currency or "usd", rate)
    return {
        "isPaid": True,
        "basePriceCents": q.base_price_cents,
        "currency": q.currency,
        "platformFeeRate": str(rate),
        "platformFeeCents": q.platform_fee_cents,
        "totalPriceCents": q.total_price_cents,
    }


def dataset_summary(dataset: Dataset) -> dict:
    """The MDC DatasetSummary of a dataset (list items and details share it)."""
    return {
        "id": dataset.public_id,
        "slug": dataset.slug,
        "name": dataset.name,
        "shortDescription": dataset.short_description or None,
        "longDescription": dataset.long_description or None,
        "sizeBytes": dataset.size_bytes,
        "checksum": dataset.checksum or None,
        "createdAt": api_time(dataset.created_at),
        "organization": {"name": dataset.organization.name, "slug": dataset.organization.slug},
        "pricing": pricing_of(dataset),
        "locale": dataset.locale,
        "license": dataset.license_name or None,
        "licenseAbbreviation": dataset.license_abbreviation or None,
        "task": dataset.task or None,
        "format": dataset.format or None,
        "datasetUrl": settings.STEWARD_BASE_URL
        + reverse("catalog:dataset-detail", args=[dataset.public_id]),
        "filename": dataset.filename or None,
        "isPaid": dataset.is_paid,
        "basePriceCents": dataset.base_price_cents,
        "hasSample": dataset.has_sample,
        "languageName": dataset.language.name,
        "version": dataset.current_version.number if dataset.current_version_id else None,
    }


def terms_of(dataset: Dataset) -> dict:
    """The details' terms: the policy document in force, without the licence snapshot (the
    summary names the licence), and its version number."""
    policy = dataset.usage_policy
    version = policy.current if policy is not None else None
    if version is None:
        return {"usagePolicy": None, "termsVersion": None}
    document = {key: value for key, value in version.document.items() if key != "licence"}
    return {"usagePolicy": document, "termsVersion": version.number}


def submission_payload(submission) -> dict:
    """The MDC submission object (inside `{"submission": ...}`)."""
    from .datasheet import FIELDS

    sheet = submission.datasheet
    archive_upload, sample_upload = submission.archive_upload, submission.sample_upload
    sample = _file(sample_upload, submission.sample, submission.sample_name)
    out: dict = {
        "id": submission.public_id,
        "organizationId": submission.organization.slug,
        "organization": {
            "name": submission.organization.name,
            "slug": submission.organization.slug,
        },
        "createdBy": submission.created_by.username,
        "status": submission.status,
        "slug": submission.slug or None,
    }
    for f in FIELDS:
        value = sheet.get(f.name)
        out[f.api_name] = None if value in ("", None) and f.kind != "bool" else value
    out["exclusivityOptOut"] = api_time(submission.exclusivity_opt_out_at)
    out["agreeToSubmit"] = api_time(submission.agreed_to_submit_at)
    out.update(
        {
            "rightsHolder": submission.rights_holder or None,
            "consentBasis": submission.consent_basis or None,
            "rightsStatement": submission.rights_statement or None,
            "usagePolicy": submission.usage_policy or None,
            "submittedAt": api_time(submission.submitted_at),
            "approvedDatasetId": submission.dataset.public_id
            if submission.dataset and submission.status == "approved"
            else None,
            "dataset": {"id": submission.dataset.public_id} if submission.dataset else None,
            "fileUploadId": archive_upload.public_id if archive_upload else None,
            "fileUpload": _file(archive_upload, submission.archive, submission.archive_name),
            "sampleFileReferenceId": sample_upload.public_id if sample_upload else None,
            "sampleFile": sample,
            "sampleFileReference": {
                "id": sample_upload.public_id if sample_upload else None,
                "currentVersion": {"fileUpload": sample},
            }
            if sample
            else None,
            "createdAt": api_time(submission.created_at),
            "updatedAt": api_time(submission.updated_at),
            "expiresAt": None,
        }
    )
    return out


def _file(upload, blob, filename: str) -> dict | None:
    """A submission's file: its latest upload (whose Blob is set once verified), or a Blob
    attached without one."""
    if upload is None and blob is None:
        return None
    return {
        "id": upload.public_id if upload else None,
        "filename": filename or upload.filename,
        "sizeBytes": blob.size_bytes if blob else upload.size_bytes,
        "checksum": blob.sha256 if blob else None,
        "status": upload.status if upload else "completed",
    }


def _datasheet_property(field) -> dict[str, Any]:
    """One datasheet field as JSON Schema; null clears it, like leaving it out of a draft."""
    if field.kind == "bool":
        return {"type": ["boolean", "null"]}
    if field.kind == "int":
        return {"type": ["integer", "null"]}
    prop: dict[str, Any] = {"type": ["string", "null"]}
    if field.max_length:
        prop["maxLength"] = field.max_length
    if field.kind == "task":
        prop["enum"] = [*Task.values, "", None]
    elif field.kind == "visibility":
        prop["enum"] = [*Visibility.values, "", None]
    return prop


def submission_fields() -> dict[str, Any]:
    """What a submission's body may hold: the datasheet, the attestation, the terms."""
    from .datasheet import FIELDS
    from .models import Submission

    return {
        **{f.api_name: _datasheet_property(f) for f in FIELDS},
        "slug": {"type": ["string", "null"]},
        "usagePolicy": {"type": ["object", "null"]},
        "rightsHolder": {"type": ["string", "null"], "maxLength": 500},
        "consentBasis": {
            "type": ["string", "null"],
            "enum": [*Submission.ConsentBasis.values, "", None],
        },
        "rightsStatement": {"type": ["string", "null"]},
    }
