from django.http import HttpRequest
from ninja import Router

from steward.catalog.models import DatasetFile
from steward.catalog.queries import get_api_dataset_for
from steward.catalog.schemas import ErrorOut

from . import services
from .models import DownloadEvent
from .schemas import DownloadSessionOut, SampleDownloadOut, download_session, sample_download

router = Router(tags=["downloads"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut}


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
