from django.http import HttpRequest
from ninja import Router, Status

from steward.lib.errors import DomainError, NotFound

from . import queries, services
from .permissions import get_submission_for
from .schemas import (
    DatasetFilters,
    DatasetList,
    DatasetSummary,
    ErrorOut,
    dataset_summary,
    submission_payload,
)

router = Router(tags=["datasets"])


@router.get(
    "", response={200: DatasetList, 400: ErrorOut}, auth=None, summary="List and search datasets"
)
def list_datasets(request: HttpRequest):
    """MDC `GET /datasets`: `q`, `limit`, `page`, repeated `task`/`locale`/`license`/`format`,
    `sort`, `sortDirection`, `uploadDate`, `sample`, `pricing`, `organization`."""
    query = queries.parse_dataset_query(request.GET)
    result = queries.search_datasets(query)
    return {
        "items": [dataset_summary(d) for d in result.items],
        "total": result.total,
        "page": query.page,
        "limit": query.limit,
    }


@router.get("/filters", response=DatasetFilters, auth=None, summary="Filter values in use")
def list_dataset_filters(request: HttpRequest):
    return queries.list_filter_values()


@router.get(
    "/{dataset_id}",
    response={200: DatasetSummary, 404: ErrorOut, 410: ErrorOut},
    auth=None,
    summary="One dataset by id or slug",
)
def get_dataset(request: HttpRequest, dataset_id: str):
    return dataset_summary(queries.get_dataset_for(request.user, dataset_id))


submissions_router = Router(tags=["submissions"])


def _body(request: HttpRequest) -> dict:
    import json

    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DomainError("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise DomainError("The request body must be a JSON object.", code="invalid_json")
    return data


def _envelope(submission) -> dict:
    return {"submission": submission_payload(submission)}


@submissions_router.post("", response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut})
def create_submission(request: HttpRequest):
    """Start a draft: `{"name": ...}` plus, optionally, any datasheet field; `organizationSlug`
    when you belong to several organizations; `datasetId` to propose a new version of one."""
    from steward.organizations.models import Organization

    data = _body(request)
    organization = None
    if slug := data.get("organizationSlug"):
        organization = Organization.objects.filter(slug=str(slug)).first()
        if organization is None:
            raise NotFound("Organization not found")
    dataset = None
    if dataset_id := data.get("datasetId"):
        dataset = queries.get_dataset_for(request.user, str(dataset_id))
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
)
def update_submission(request: HttpRequest, submission_id: str):
    submission = get_submission_for(request.user, submission_id, edit=True)
    data = _body(request)
    if not data:
        raise DomainError("Send at least one field to change.", code="empty")
    return _envelope(services.update_submission(submission, actor=request.auth, data=data))


@submissions_router.post(
    "/{submission_id}",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
)
def submit_submission(request: HttpRequest, submission_id: str):
    """`{"agreeToSubmit": true}` sends the submission for review."""
    submission = get_submission_for(request.user, submission_id, edit=True)
    data = _body(request)
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
