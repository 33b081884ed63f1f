"""The exports of one dataset in the HTTP API, under /api/datasets/{id}/.

- `GET /api/datasets/{id}/croissant`: the current version as Croissant 1.1 + RAI (JSON-LD);
- `GET /api/datasets/{id}/versions/{n}/croissant`: the same for version n;
- `GET /api/datasets/{id}/provenance`, `GET /api/datasets/{id}/versions/{n}/provenance`: the
  provenance bundle (a ZIP) of the current version, of version n;
- `GET /api/datasets/{id}/versions/{n}/files/{archive|sample}`: the Croissant's contentUrl,
  a redirect to a signed link for whoever the access decision allows.

Who sees what follows the dataset's page: anyone sees a listed dataset; a private one only its
organization's members, everyone else gets 404. A withdrawn version answers 410 with the
reason, except to members, who keep its records. A removed dataset answers 410.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from steward.access import services as access_services
from steward.access.models import DownloadEvent
from steward.accounts.auth import (
    ApiKeyAuth,
    ApiKeyBasicAuth,
    BrowserSessionAuth,
    anyone_without_a_key,
)
from steward.catalog.models import DatasetFile, DatasetVersion
from steward.catalog.queries import get_api_dataset_for
from steward.catalog.schemas import ErrorOut
from steward.lib.errors import Gone, NotFound
from steward.lib.geoip import client_ip
from steward.organizations.permissions import VIEW, can

from .croissant import croissant_for
from .provenance import is_version_number, issue_bundle

router = Router(tags=["exports"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 410: ErrorOut}
ROLES = {"archive": DatasetFile.Role.ARCHIVE, "sample": DatasetFile.Role.SAMPLE}


READ_AUTH = [ApiKeyAuth(), BrowserSessionAuth(), anyone_without_a_key]


def _answer(media_type: str, schema: dict) -> dict:
    """The schema's word for a 200 answer of `media_type` that the key, the session or no
    credentials at all may fetch."""
    return {
        "security": [{}],
        "responses": {200: {"description": "OK", "content": {media_type: {"schema": schema}}}},
    }


JSON_LD = _answer("application/ld+json", {"type": "object"})
ZIP = _answer("application/zip", {"type": "string", "format": "binary"})
# A key only: a GET with the session would let another site start a download in its name.
FILE_AUTH = [ApiKeyAuth(), ApiKeyBasicAuth()]


def _caller(request: HttpRequest):
    """The key's user, the session's, or None for anyone else (request.auth is then True)."""
    auth = request.auth
    return None if auth is True else getattr(auth, "user", auth)


def _version_for(user, dataset_id: str, number: int | None = None) -> DatasetVersion:
    """A published version (the current one when `number` is None) if `user` may see its
    records: 404 unknown or private to others, 410 removed, or withdrawn (to others)."""
    dataset, visible = get_api_dataset_for(user, dataset_id)
    if not visible:
        raise NotFound(_("Dataset not found"))
    if number is None:
        version = dataset.current_version
    else:
        version = (
            dataset.versions.filter(number=number).first() if is_version_number(number) else None
        )
    if version is None or not version.is_published:
        raise NotFound(_("This dataset has no such version."), code="no_version")
    if version.is_withdrawn and not can(user, dataset.organization, VIEW):
        raise Gone(version.withdrawal_reason or _("This version was withdrawn."), code="withdrawn")
    version.dataset = dataset
    return version


def _croissant(request: HttpRequest, version: DatasetVersion) -> JsonResponse:
    base_url = request.build_absolute_uri("/").rstrip("/")
    return JsonResponse(
        croissant_for(version, base_url=base_url),
        content_type="application/ld+json",
        json_dumps_params={"ensure_ascii": False},
    )


@router.get(
    "/{dataset_id}/croissant",
    response={200: None, **ERRORS},
    auth=READ_AUTH,
    openapi_extra=JSON_LD,
    summary="The current version as MLCommons Croissant 1.1 with RAI fields (JSON-LD)",
)
def dataset_croissant(request: HttpRequest, dataset_id: str):
    """Metadata, licence, files (with SHA-256 and a download URL that needs an API key, as
    Bearer or as the HTTP Basic password), record sets of the tables, clips and transcripts
    inside the archive, and the Responsible AI fields from the datasheet."""
    return _croissant(request, _version_for(_caller(request), dataset_id))


@router.get(
    "/{dataset_id}/versions/{number}/croissant",
    response={200: None, **ERRORS},
    auth=READ_AUTH,
    openapi_extra=JSON_LD,
    summary="One version as MLCommons Croissant 1.1 with RAI fields (JSON-LD)",
)
def version_croissant(request: HttpRequest, dataset_id: str, number: int):
    return _croissant(request, _version_for(_caller(request), dataset_id, number))


def _bundle_response(version: DatasetVersion) -> HttpResponse:
    bundle = issue_bundle(version)
    response = HttpResponse(bundle.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{bundle.filename}"'
    response["ETag"] = f'"{bundle.sha256}"'
    return response


@router.get(
    "/{dataset_id}/provenance",
    response={200: None, **ERRORS},
    auth=READ_AUTH,
    openapi_extra=ZIP,
    summary="The provenance bundle of the current version (ZIP)",
)
def dataset_provenance(request: HttpRequest, dataset_id: str):
    """The same bundle as /versions/{number}/provenance for the current version."""
    return _bundle_response(_version_for(_caller(request), dataset_id))


@router.get(
    "/{dataset_id}/versions/{number}/provenance",
    response={200: None, **ERRORS},
    auth=READ_AUTH,
    openapi_extra=ZIP,
    summary="The provenance bundle of one version (ZIP)",
)
def version_provenance(request: HttpRequest, dataset_id: str, number: int):
    """Datasheet, Croissant + RAI, ODRL and usage policy, Local Contexts labels, review
    decision, rights attestation, SHA-256 of every file, the audit-log hash at publication,
    and a manifest of them all. `steward provenance verify FILE` checks it."""
    return _bundle_response(_version_for(_caller(request), dataset_id, number))


@router.get(
    "/{dataset_id}/versions/{number}/files/{role}",
    response={302: None, **ERRORS, 402: ErrorOut, 403: ErrorOut},
    auth=FILE_AUTH,
    summary="Download a version's archive or sample (redirects to a signed link)",
)
def version_file(request: HttpRequest, dataset_id: str, number: int, role: str):
    """The contentUrl of the Croissant's files: whoever may download gets a redirect to a
    short-lived link, as `POST /download` would hand out. Only the current version's files
    can be downloaded."""
    if role not in ROLES:
        raise NotFound(_("A version's files are 'archive' and 'sample'."), code="no_file")
    user = _caller(request)
    version = _version_for(user, dataset_id, number)
    dataset = version.dataset
    if version.pk != dataset.current_version_id:
        raise Gone(
            _("Only the current version (%(number)s) of this dataset can be downloaded.")
            % {"number": dataset.current_version.number},
            code="not_current",
        )
    session = access_services.start_download(
        user,
        dataset,
        role=ROLES[role],
        channel=DownloadEvent.Channel.API,
        client=request.headers.get("User-Agent", ""),
        base_url=request.build_absolute_uri("/"),
        actor=request.auth,
        ip=client_ip(request),
    )
    return HttpResponseRedirect(session.url)
