from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from steward.catalog.queries import get_dataset_for
from steward.lib.errors import Gone, NotFound

from . import dcat, hfcard

CONTENT_TYPES = {"turtle": "text/turtle; charset=utf-8", "json-ld": "application/ld+json"}
SUFFIXES = {"turtle": "ttl", "json-ld": "jsonld"}
# How long a built page stays in the cache. Its key holds its ETag, so a change is never
# served stale; this only lets the bodies of superseded ETags expire.
CATALOG_CACHE_SECONDS = 60 * 60


def _bad_page(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": f"page: {message}", "code": "invalid_parameter", "field": "page"}, status=status
    )


@require_safe
def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    """The public catalogue as DCAT-AP 3.0, PAGE_SIZE datasets a page (`?page=N`).

    Harvesters may ask conditionally (If-None-Match): an unchanged page answers 304 before its
    graph is built, and a page built once is kept in the cache under its ETag.

    There is no Last-Modified (and If-Modified-Since is not honoured): no date of the listed
    datasets moves forward when one leaves the catalogue (taken down, made private) or an
    organization is renamed, so a harvester asking by date would keep what it should drop.
    The ETag covers all of these."""
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        return _bad_page(_("%(raw)r is not a whole number") % {"raw": raw}, 400)
    try:
        page = dcat.catalogue_page(number)
    except dcat.PageOutOfRange as exc:
        (count,) = exc.args
        return _bad_page(
            _("must be between 1 and %(count)s, not %(value)s") % {"count": count, "value": raw},
            404,
        )
    etag = dcat.page_etag(page, fmt)
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        _catalog_body(page, fmt, etag), content_type=CONTENT_TYPES[fmt]
    )
    response["ETag"] = etag
    return response


def _catalog_body(page: dcat.Page, fmt: str, etag: str) -> bytes:
    """The page serialised, from the cache when this ETag was built before: building costs
    about a second of CPU, and the page is anyone's to ask for."""
    tag = etag.strip('"')
    key = f"dcat:{fmt}:{page.number}:{tag}"
    body = cache.get(key)
    if body is None:
        body = dcat.serialize(dcat.build_catalog(page, suffix=SUFFIXES[fmt]), fmt)
        cache.set(key, body, CATALOG_CACHE_SECONDS)
    return body


@require_safe
def dataset_card(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """The dataset's Hugging Face card, as a README.md to download; private datasets only
    for their organization's members, as their page."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return HttpResponse(exc.message, status=410, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        hfcard.render_card(dataset), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="README.md"'
    return response
