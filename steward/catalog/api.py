from django.http import HttpRequest
from ninja import Router

from . import queries
from .schemas import DatasetFilters, DatasetList, DatasetSummary, ErrorOut, dataset_summary

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
