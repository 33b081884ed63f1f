from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from steward.catalog.models import DatasetFile
from steward.catalog.queries import get_api_dataset_for, get_dataset_for
from steward.catalog.schemas import ErrorOut
from steward.lib.errors import DomainError, Forbidden, NotFound
from steward.lib.geoip import client_ip
from steward.lib.http import json_body, json_body_doc
from steward.lib.times import api_time
from steward.licensing.engine import OrganizationType, Purpose
from steward.licensing.odrl import to_odrl

from . import queries, services
from .models import AccessRequest, DownloadEvent, Grant
from .permissions import decides_for, get_grant_for, get_request_for
from .schemas import (
    DownloadSessionOut,
    SampleDownloadOut,
    download_session,
    grant_payload,
    request_payload,
    sample_download,
)

router = Router(tags=["downloads"])

ERRORS = {401: ErrorOut, 402: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut}


def _text(limit: int = services.REQUEST_TEXT_LIMIT, *, required: bool = False) -> dict:
    # Checked after surrounding spaces are stripped; a required text must not be blank.
    return {"type": "string", "maxLength": limit} | ({"pattern": r"\S"} if required else {})


ACCEPT_TERMS = {"type": "boolean", "enum": [True], "description": "must be true"}
REASON_REQUIRED = json_body_doc({"reason": _text(required=True)}, required=("reason",))


def _start(request: HttpRequest, dataset_id: str, role: str) -> services.DownloadSession:
    # A private dataset is found by its public id even for outsiders, who then get a 403
    # from the decision: the id is no secret, the details already answer for it.
    dataset, _ = get_api_dataset_for(request.user, dataset_id)
    return services.start_download(
        request.user,
        dataset,
        role=role,
        channel=DownloadEvent.Channel.API,
        client=request.headers.get("User-Agent", ""),
        base_url=request.build_absolute_uri("/"),
        actor=request.auth,
        ip=client_ip(request),
    )


@router.post(
    "/{dataset_id}/download",
    response={200: DownloadSessionOut, **ERRORS},
    summary="Start downloading a dataset's archive",
)
def download_dataset(request: HttpRequest, dataset_id: str):
    """A short-lived link to the current version's archive, fetched without credentials;
    it answers `Range` requests, so an interrupted download resumes."""
    return download_session(_start(request, dataset_id, DatasetFile.Role.ARCHIVE))


@router.post(
    "/{dataset_id}/sample-download",
    response={200: SampleDownloadOut, **ERRORS},
    summary="Start downloading a dataset's sample",
)
def download_sample(request: HttpRequest, dataset_id: str):
    return sample_download(_start(request, dataset_id, DatasetFile.Role.SAMPLE))


# Terms and access requests.


@router.get(
    "/{dataset_id}/policy",
    response={200: None, 404: ErrorOut, 410: ErrorOut},
    auth=None,
    summary="The dataset's usage policy as W3C ODRL 2.2 (JSON-LD)",
    openapi_extra={
        "responses": {200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}}}
    },
)
def dataset_policy(request: HttpRequest, dataset_id: str):
    """The terms in force for new requests, as an ODRL `Offer` (`application/ld+json`)."""
    dataset = get_dataset_for(request.user, dataset_id)
    version = services.current_policy(dataset)
    if version is None:
        raise NotFound(_("This dataset has no usage policy."))
    base = request.build_absolute_uri("/").rstrip("/")
    body = to_odrl(
        version.terms,
        uid=f"{base}/api/datasets/{dataset.public_id}/policy#v{version.number}",
        target=f"{base}/datasets/{dataset.public_id}",
        assigner=f"{base}/organizations/{dataset.organization.slug}",
    )
    return JsonResponse(body, content_type="application/ld+json")


@router.post(
    "/{dataset_id}/access-requests",
    response={
        201: dict,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        410: ErrorOut,
    },
    summary="Request access to a dataset",
    openapi_extra=json_body_doc(
        {
            "purpose": {"type": "string", "enum": [p.value for p in Purpose]},
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2, e.g. KE"},
            "organizationName": _text(300),
            "organizationType": {"type": "string", "enum": [t.value for t in OrganizationType]},
            "organizationWebsite": _text(500),
            "intendedUse": _text(),
            "answers": {
                "type": "object",
                "additionalProperties": {"type": ["string", "null"], "maxLength": 2000},
            },
            "acceptTerms": ACCEPT_TERMS,
        },
        required=("purpose", "country", "organizationType", "acceptTerms"),
    ),
)
def create_access_request(request: HttpRequest, dataset_id: str):
    """Body: `purpose` (research, education, non_commercial, commercial), `country` (ISO
    3166-1 alpha-2), `organizationName`, `organizationType` (individual, academic, nonprofit,
    community, government, company), `organizationWebsite`, `intendedUse`, `answers` (question
    id to answer), `acceptTerms: true`. Automatic decisions are taken at once: the answer's
    `status` is `approved` (with `grantId`), `denied` (with `reason`) or `pending`."""
    dataset = get_dataset_for(request.user, dataset_id)
    access_request = services.request_access(
        dataset,
        user=request.user,
        data=json_body(request),
        ip=client_ip(request),
        actor=request.auth,
    )
    return Status(201, request_payload(access_request))


requests_router = Router(tags=["access requests"])
REQUEST_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@requests_router.get("", response={200: dict, **REQUEST_ERRORS}, summary="List access requests")
def list_access_requests(request: HttpRequest):
    """Your own requests; or, with `?dataset=ID`, the requests for a dataset your organization
    publishes (owners, admins and guardians). `?status=pending|approved|denied` (repeatable)
    filters; `limit` (1-100, default 50) and `page` paginate. `counts` holds the number of
    requests by status, before the status filter."""
    params = request.GET
    dataset_id = params.get("dataset")
    if dataset_id:
        dataset = get_dataset_for(request.user, dataset_id)
        if not decides_for(request.user, dataset):
            raise Forbidden(
                _("Only the organization's owners, admins and guardians see its requests."),
                code="not_allowed",
            )
        requests = queries.requests_for_dataset(dataset)
    else:
        requests = queries.requests_of(request.user)
    counts = queries.status_counts(requests)
    statuses = params.getlist("status")
    for status in statuses:
        if status not in AccessRequest.Status.values:
            raise DomainError(
                _("%(field)s: %(status)r is not one of pending, approved, denied")
                % {"field": "status", "status": status},
                field="status",
            )
    if statuses:
        requests = requests.filter(status__in=statuses)
    limit = _int_param(params, "limit", 50, 1, 100)
    page = _int_param(params, "page", 1, 1, 1_000_000)
    items = list(requests.prefetch_related("votes")[(page - 1) * limit : page * limit])
    return {
        "items": [request_payload(r, for_owner=bool(dataset_id)) for r in items],
        "counts": counts,
        "total": sum(counts[s] for s in statuses) if statuses else sum(counts.values()),
        "page": page,
        "limit": limit,
    }


def _int_param(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise DomainError(
            _("%(name)s: must be a whole number from %(low)s to %(high)s")
            % {"name": name, "low": low, "high": high},
            field=name,
        )
    return int(raw)


def _request_answer(request: HttpRequest, access_request) -> dict:
    return request_payload(access_request, for_owner=access_request.user_id != request.user.pk)


@requests_router.get(
    "/{request_id}", response={200: dict, **REQUEST_ERRORS}, summary="An access request"
)
def get_access_request(request: HttpRequest, request_id: str):
    return _request_answer(request, get_request_for(request.user, request_id))


@requests_router.post(
    "/{request_id}/approve",
    response={200: dict, **REQUEST_ERRORS},
    summary="Approve a request",
    openapi_extra=json_body_doc({"reason": _text()}),
)
def approve_access_request(request: HttpRequest, request_id: str):
    """Approve a pending request; where the terms ask for several guardians, this is one
    guardian's approval and the request stays `pending` until enough have approved. Body
    (optional): `reason`."""
    access_request = get_request_for(request.user, request_id)
    data = json_body(request)
    access_request = services.approve_request(
        access_request, actor=request.auth, reason=data.get("reason", "")
    )
    return _request_answer(request, access_request)


@requests_router.post(
    "/{request_id}/deny",
    response={200: dict, **REQUEST_ERRORS},
    summary="Deny a request",
    openapi_extra=REASON_REQUIRED,
)
def deny_access_request(request: HttpRequest, request_id: str):
    """Deny a pending request. Body: `reason` (required), sent to the requester."""
    access_request = get_request_for(request.user, request_id)
    access_request = services.deny_request(
        access_request, actor=request.auth, reason=json_body(request).get("reason")
    )
    return _request_answer(request, access_request)


grants_router = Router(tags=["access requests"])


@grants_router.get("", response={200: dict, **REQUEST_ERRORS}, summary="Your grants")
def list_grants(request: HttpRequest):
    grants = (
        Grant.objects.filter(user=request.user)
        .select_related("dataset", "request", "policy_version")
        .order_by("-created_at")[:500]
    )
    return {"items": [grant_payload(g) for g in grants]}


@grants_router.get("/{grant_id}", response={200: dict, **REQUEST_ERRORS}, summary="A grant")
def get_grant(request: HttpRequest, grant_id: str):
    return grant_payload(get_grant_for(request.user, grant_id))


@grants_router.post(
    "/{grant_id}/revoke",
    response={200: dict, **REQUEST_ERRORS},
    summary="Revoke a grant",
    openapi_extra=REASON_REQUIRED,
)
def revoke_grant(request: HttpRequest, grant_id: str):
    """End a grant at once. Body: `reason` (required), sent to its holder."""
    grant = get_grant_for(request.user, grant_id)
    grant = services.revoke_grant(
        grant, actor=request.auth, reason=json_body(request).get("reason")
    )
    return grant_payload(grant)


@grants_router.post(
    "/{grant_id}/renew",
    response={200: dict, **REQUEST_ERRORS},
    summary="Renew your grant",
    openapi_extra=json_body_doc(
        {"acceptTerms": ACCEPT_TERMS, "usageReport": _text()}, required=("acceptTerms",)
    ),
)
def renew_grant(request: HttpRequest, grant_id: str):
    """Extend a grant that ends within 30 days (or has ended) under the current terms. Body:
    `acceptTerms: true`, and `usageReport` (what you built with the data) where the terms
    ask for it."""
    grant = get_grant_for(request.user, grant_id)
    data = json_body(request)
    grant = services.renew_grant(
        grant,
        actor=request.auth,
        accept_terms=data.get("acceptTerms"),
        usage_report=data.get("usageReport", ""),
        ip=client_ip(request),
    )
    return grant_payload(grant)


@router.post(
    "/{dataset_id}/versions/{number}/withdraw",
    response={200: dict, **REQUEST_ERRORS, 410: ErrorOut},
    summary="Withdraw a published version (consent withdrawn)",
    openapi_extra=json_body_doc(
        {
            "reason": _text(required=True),
            "deadlineDays": {"type": "integer", "minimum": 1, "maximum": 365},
        },
        required=("reason",),
    ),
)
def withdraw_version(request: HttpRequest, dataset_id: str, number: int):
    """For the organization's owners and admins. Body: `reason` (required; shown to those who
    try to download it and emailed to everyone who did), `deadlineDays` (1-365, default 30) by
    which those who downloaded it are asked to confirm they deleted their copy."""
    dataset = get_dataset_for(request.user, dataset_id)
    version = dataset.versions.filter(number=number).first()
    if version is None:
        raise NotFound(_("This dataset has no such version."))
    data = json_body(request)
    days = data.get("deadlineDays", services.DELETION_DEADLINE_DAYS)
    if isinstance(days, bool) or not isinstance(days, int):
        raise DomainError(
            _("%(field)s: must be a whole number of days") % {"field": "deadlineDays"},
            field="deadlineDays",
        )
    version = services.withdraw_version(
        version, actor=request.auth, reason=data.get("reason"), deadline_days=days
    )
    notices = version.deletion_requests.all()
    return {
        "dataset": dataset.public_id,
        "version": version.number,
        "withdrawnAt": api_time(version.withdrawn_at),
        "reason": version.withdrawal_reason,
        "holdersAsked": len(notices),
    }
