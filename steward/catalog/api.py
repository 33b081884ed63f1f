import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from steward.accounts.auth import UPLOAD_AUTH
from steward.lib.errors import DomainError, NotFound
from steward.lib.http import json_body, json_body_doc
from steward.lib.times import api_time
from steward.storage import services as storage_services

from . import queries, services
from .permissions import get_submission_for, get_upload_for
from .schemas import (
    DatasetDetails,
    DatasetFilters,
    DatasetList,
    ErrorOut,
    dataset_summary,
    submission_fields,
    submission_payload,
    terms_of,
)

router = Router(tags=["datasets"])
LISTING_CACHE_SECONDS = 60


@router.get(
    "", response={200: DatasetList, 400: ErrorOut}, auth=None, summary="List and search datasets"
)
def list_datasets(request: HttpRequest):
    """MDC `GET /datasets`: `q`, `limit`, `page`, repeated `task`/`locale`/`license`/`format`,
    `sort`, `sortDirection`, `uploadDate`, `sample`, `pricing`, `organization`.

    Answers are cached for a minute under the query and the catalogue's generation, so a
    popular search is computed once per change of the catalogue, never served stale."""
    query = queries.parse_dataset_query(request.GET)
    key = (
        "catalog.listing:"
        + hashlib.sha256(
            repr((sorted(request.GET.lists()), queries.catalogue_generation())).encode()
        ).hexdigest()
    )
    body = cache.get(key)
    if body is None:
        result = queries.search_datasets(query)
        body = json.dumps(
            {
                "items": [dataset_summary(d) for d in result.items],
                "total": result.total,
                "page": query.page,
                "limit": query.limit,
            }
        ).encode()
        cache.set(key, body, LISTING_CACHE_SECONDS)
    # The body is built from the same summaries the schema describes; returning it as is
    # spares validating it again on every hit.
    return HttpResponse(body, content_type="application/json")


@router.get("/filters", response=DatasetFilters, auth=None, summary="Filter values in use")
def list_dataset_filters(request: HttpRequest):
    return queries.list_filter_values()


@router.get(
    "/{dataset_id}",
    response={200: DatasetDetails, 404: ErrorOut, 410: ErrorOut},
    auth=None,
    summary="One dataset by id or slug, with its terms of use",
)
def get_dataset(request: HttpRequest, dataset_id: str):
    """MDC `GET /datasets/{id}`, plus `usagePolicy` (the terms in force) and `termsVersion`."""
    dataset, visible = queries.get_api_dataset_for(request.user, dataset_id)
    if not visible:
        # A private dataset to a non-member: the download's essentials, every other field
        # null. Returned as is, since the schema requires fields this answer withholds.
        outline = dict.fromkeys(DatasetDetails.model_fields)
        outline.update(
            id=dataset.public_id,
            filename=queries.archive_filename(dataset),
            sizeBytes=dataset.size_bytes,
            checksum=dataset.checksum or None,
        )
        return JsonResponse(outline)
    return (
        dataset_summary(dataset)
        | {"filename": queries.archive_filename(dataset)}
        | terms_of(dataset)
    )


submissions_router = Router(tags=["submissions"])


def _envelope(submission) -> dict:
    return {"submission": submission_payload(submission)}


NOT_BLANK = {"type": "string", "pattern": r"\S"}


def _optional_id(data: dict, field: str) -> str | None:
    """An optional id or slug of the body; anything but text (or null) is refused."""
    value = data.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DomainError(_("%(field)s: must be a string") % {"field": field}, field=field)
    return value


@submissions_router.post(
    "",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    openapi_extra=json_body_doc(
        {
            # The slug is chosen later, by PATCH.
            **{k: v for k, v in submission_fields().items() if k != "slug"},
            "name": NOT_BLANK | {"maxLength": 255},
            "organizationSlug": {"type": ["string", "null"]},
            "datasetId": {"type": ["string", "null"]},
        },
        required=("name",),
    ),
)
def create_submission(request: HttpRequest):
    """Start a draft: `{"name": ...}` plus, optionally, any datasheet field; `organizationSlug`
    when you belong to several organizations; `datasetId` to propose a new version of one."""
    from steward.organizations.models import Organization

    data = json_body(request)
    organization = None
    if slug := _optional_id(data, "organizationSlug"):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise NotFound(_("Organization not found"))
    dataset = None
    if dataset_id := _optional_id(data, "datasetId"):
        dataset = queries.get_dataset_for(request.user, dataset_id)
    submission = services.create_submission(
        request.user, data=data, organization=organization, dataset=dataset
    )
    return _envelope(submission)


@submissions_router.get(
    "/{submission_id}",
    response={200: dict, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
)
def get_submission(request: HttpRequest, submission_id: str):
    return _envelope(get_submission_for(request.user, submission_id))


@submissions_router.patch(
    "/{submission_id}",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
    openapi_extra=json_body_doc(submission_fields(), minProperties=1),
)
def update_submission(request: HttpRequest, submission_id: str):
    submission = get_submission_for(request.user, submission_id, edit=True)
    data = json_body(request)
    if not data:
        raise DomainError(_("Send at least one field to change."), code="empty")
    return _envelope(services.update_submission(submission, actor=request.auth, data=data))


@submissions_router.post(
    "/{submission_id}",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
    openapi_extra=json_body_doc(
        {"agreeToSubmit": {"type": "boolean", "enum": [True]}}, required=("agreeToSubmit",)
    ),
)
def submit_submission(request: HttpRequest, submission_id: str):
    """`{"agreeToSubmit": true}` sends the submission for review."""
    submission = get_submission_for(request.user, submission_id, edit=True)
    data = json_body(request)
    submission = services.submit_submission(
        submission, actor=request.auth, agree_to_submit=data.get("agreeToSubmit")
    )
    return _envelope(submission)


@submissions_router.delete(
    "/{submission_id}",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
)
def delete_submission(request: HttpRequest, submission_id: str):
    submission = get_submission_for(request.user, submission_id, edit=True)
    services.delete_submission(submission, actor=request.auth)
    return Status(204, None)


# Uploads (MDC multipart protocol): the dataset archive under /uploads, the sample under
# /submissions/{id}/sample. The parts themselves go to the URL each part request returns.
# These endpoints alone also take the browser's session (with CSRF), for the web form.

uploads_router = Router(tags=["uploads"], auth=UPLOAD_AUTH)

UPLOAD_ERRORS = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut
}  # fmt: skip
UPLOAD_FILE = {
    "filename": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "description": "a bare file name ending in .tar.gz or .tgz",
    },
    "fileSize": {"type": "integer", "minimum": 1},
    "mimeType": {"type": "string", "description": "application/gzip, application/x-gzip or "
                 "application/x-tar"},
}  # fmt: skip
START_SAMPLE = json_body_doc(UPLOAD_FILE, required=("filename", "fileSize", "mimeType"))
COMPLETE_UPLOAD = json_body_doc(
    {
        "uploadId": {"type": ["string", "null"]},
        "parts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "partNumber": {"type": ["integer", "string"]},
                    "etag": {"type": "string", "pattern": r"[^\s\"]"},
                },
                "required": ["partNumber", "etag"],
            },
        },
        "checksum": {"type": "string", "description": "the SHA-256 of the whole file (hex)"},
    },
    required=("parts", "checksum"),
)


def _start_upload(request: HttpRequest, submission_id: str, purpose: str) -> dict:
    submission = get_submission_for(request.user, submission_id, edit=True)
    data = json_body(request)
    upload = services.start_submission_upload(
        submission,
        actor=request.auth,
        purpose=purpose,
        filename=data.get("filename"),
        size_bytes=data.get("fileSize"),
        mime_type=data.get("mimeType"),
    )
    return {"fileUploadId": upload.public_id, "uploadId": upload.store_upload_id}


def _part_url(request: HttpRequest, upload, part_number: str) -> dict:
    expires_at = timezone.now() + timedelta(seconds=settings.STEWARD_UPLOAD_PART_URL_SECONDS)
    # Built from the address the client used, so it works behind any host name.
    url = storage_services.part_url(upload, part_number, base_url=request.build_absolute_uri("/"))
    return {
        "url": url,
        "expiresAt": api_time(expires_at),
        "partNumber": int(part_number),
    }


def _parts(upload) -> dict:
    parts = storage_services.list_parts(upload)
    return {
        "fileUploadId": upload.public_id,
        "status": upload.status,
        "parts": [{"partNumber": p.number, "etag": p.etag, "size": p.size} for p in parts],
    }


def _complete(request: HttpRequest, submission, upload) -> dict:
    data = json_body(request)
    submission, upload = services.complete_submission_upload(
        submission,
        upload,
        actor=request.auth,
        store_upload_id=data.get("uploadId"),
        parts=data.get("parts"),
        checksum=data.get("checksum"),
    )
    return {
        "success": True,
        "fileUploadId": upload.public_id,
        "status": upload.status,
        "submissionId": submission.public_id,
    }


def _abort(request: HttpRequest, submission, upload) -> Status:
    storage_services.abort_upload(
        upload, actor=request.auth, organization_id=submission.organization_id
    )
    return Status(204, None)


@uploads_router.post(
    "",
    response={200: dict, **UPLOAD_ERRORS},
    summary="Start an upload",
    openapi_extra=json_body_doc(
        {"submissionId": NOT_BLANK, **UPLOAD_FILE},
        required=("submissionId", "filename", "fileSize", "mimeType"),
    ),
)
def start_upload(request: HttpRequest):
    """`{submissionId, filename, fileSize, mimeType}` → `{fileUploadId, uploadId}`. The
    submission is a draft, or an approved one whose dataset gets a new version."""
    submission_id = json_body(request).get("submissionId")
    if not isinstance(submission_id, str) or not submission_id.strip():
        raise DomainError(
            _("%(field)s: this field is required") % {"field": "submissionId"},
            code="required",
            field="submissionId",
        )
    return _start_upload(request, submission_id, "archive")


@uploads_router.get("/{file_upload_id}/parts", response={200: dict, **UPLOAD_ERRORS})
def list_upload_parts(request: HttpRequest, file_upload_id: str):
    """The parts storage already holds, so a client that lost its state can resume."""
    _, upload = get_upload_for(request.user, file_upload_id, purpose="archive")
    return _parts(upload)


@uploads_router.get("/{file_upload_id}/parts/{part_number}", response={200: dict, **UPLOAD_ERRORS})
def get_upload_part_url(request: HttpRequest, file_upload_id: str, part_number: str):
    """`{url, expiresAt, partNumber}`: PUT the part's bytes to `url`, without credentials."""
    _, upload = get_upload_for(request.user, file_upload_id, purpose="archive")
    return _part_url(request, upload, part_number)


@uploads_router.post(
    "/{file_upload_id}", response={200: dict, **UPLOAD_ERRORS}, openapi_extra=COMPLETE_UPLOAD
)
def complete_upload(request: HttpRequest, file_upload_id: str):
    """`{uploadId, parts: [{partNumber, etag}], checksum}`: join, verify and attach."""
    submission, upload = get_upload_for(request.user, file_upload_id, purpose="archive")
    return _complete(request, submission, upload)


@uploads_router.delete("/{file_upload_id}", response={204: None, **UPLOAD_ERRORS})
def abort_upload(request: HttpRequest, file_upload_id: str):
    submission, upload = get_upload_for(request.user, file_upload_id, purpose="archive")
    return _abort(request, submission, upload)


@submissions_router.post(
    "/{submission_id}/sample",
    response={200: dict, **UPLOAD_ERRORS},
    auth=UPLOAD_AUTH,
    openapi_extra=START_SAMPLE,
)
def start_sample_upload(request: HttpRequest, submission_id: str):
    return _start_upload(request, submission_id, "sample")


@submissions_router.get(
    "/{submission_id}/sample/{file_upload_id}/parts",
    response={200: dict, **UPLOAD_ERRORS},
    auth=UPLOAD_AUTH,
)
def list_sample_upload_parts(request: HttpRequest, submission_id: str, file_upload_id: str):
    _, upload = get_upload_for(
        request.user, file_upload_id, purpose="sample", submission_id=submission_id
    )
    return _parts(upload)


@submissions_router.get(
    "/{submission_id}/sample/{file_upload_id}/parts/{part_number}",
    response={200: dict, **UPLOAD_ERRORS},
    auth=UPLOAD_AUTH,
)
def get_sample_part_url(
    request: HttpRequest, submission_id: str, file_upload_id: str, part_number: str
):
    _, upload = get_upload_for(
        request.user, file_upload_id, purpose="sample", submission_id=submission_id
    )
    return _part_url(request, upload, part_number)


@submissions_router.post(
    "/{submission_id}/sample/{file_upload_id}",
    response={200: dict, **UPLOAD_ERRORS},
    auth=UPLOAD_AUTH,
    openapi_extra=COMPLETE_UPLOAD,
)
def complete_sample_upload(request: HttpRequest, submission_id: str, file_upload_id: str):
    submission, upload = get_upload_for(
        request.user, file_upload_id, purpose="sample", submission_id=submission_id
    )
    return _complete(request, submission, upload)


@submissions_router.delete(
    "/{submission_id}/sample/{file_upload_id}",
    response={204: None, **UPLOAD_ERRORS},
    auth=UPLOAD_AUTH,
)
def abort_sample_upload(request: HttpRequest, submission_id: str, file_upload_id: str):
    submission, upload = get_upload_for(
        request.user, file_upload_id, purpose="sample", submission_id=submission_id
    )
    return _abort(request, submission, upload)
