from decimal import Decimal

import langcodes
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from steward.lib.errors import Gone, NotFound
from steward.lib.text import fold
from steward.organizations.models import Organization

from . import queries
from .languages import language_code
from .models import Dataset, Task, Visibility
from .schemas import pricing_of

HOME_NEWEST = 6
FILTER_LISTS = ("locale", "task", "license", "format", "organization")
ORGANIZATION_PAGE_SIZE = 20
SORT_OPTIONS = [
    ("relevance", gettext_lazy("Best match")),
    ("newest", gettext_lazy("Newest")),
    ("name", gettext_lazy("Name")),
    ("size", gettext_lazy("Size")),
]
DIRECTION_OPTIONS = [
    ("", gettext_lazy("Default order")),
    ("desc", gettext_lazy("Descending")),
    ("asc", gettext_lazy("Ascending")),
]
PRICING_OPTIONS = [
    ("", gettext_lazy("Free and paid")),
    ("free", gettext_lazy("Free only")),
    ("compensated", gettext_lazy("Paid only")),
]
DATASHEET_TEXTS = [
    ("intended_usage", gettext_lazy("Intended use")),
    ("restrictions", gettext_lazy("Restrictions")),
    ("forbidden_usage", gettext_lazy("Forbidden use")),
    ("additional_conditions", gettext_lazy("Additional conditions")),
    ("ethical_review_process", gettext_lazy("Ethical review")),
    ("other", gettext_lazy("Other information")),
]
DATASHEET_CONTACTS = [
    ("point_of_contact", gettext_lazy("Point of contact")),
    ("created_by", gettext_lazy("Created by")),
    ("funded_by", gettext_lazy("Funded by")),
    ("legal_contact", gettext_lazy("Legal contact")),
]

USE_ANY = gettext_lazy("You may use, share and adapt it for any purpose, also commercially.")
USE_NON_COMMERCIAL = gettext_lazy("You may use, share and adapt it, but not for commercial use.")
USE_UNCHANGED = gettext_lazy("You may use and share it, also commercially, but only unchanged.")
NO_CONDITIONS = gettext_lazy("There are no conditions: you do not even have to credit anyone.")
CREDIT = gettext_lazy("You must credit the creators.")
SHARE_ALIKE = gettext_lazy("Share adaptations under the same licence.")
KEEP_NOTICE = gettext_lazy("Keep the copyright and licence notice with every copy.")
READ_LICENCE = gettext_lazy("Read the licence for its exact terms before using the data.")
CUSTOM_LICENCE = gettext_lazy(
    "This is a licence of the organization's own: read it before using the data."
)
NO_LICENCE = gettext_lazy("No licence is given: ask the organization before using the data.")
# Policy wording for the predefined licences (steward/licensing/licences.py); any other
# abbreviation is a custom licence.
PLAIN_TERMS = {
    "CC0-1.0": [USE_ANY, NO_CONDITIONS],
    "Unlicense": [USE_ANY, NO_CONDITIONS],
    "CC-BY-4.0": [USE_ANY, CREDIT],
    "CC-BY-SA-4.0": [USE_ANY, CREDIT, SHARE_ALIKE],
    "CC-BY-ND-4.0": [USE_UNCHANGED, CREDIT],
    "CC-BY-NC-4.0": [USE_NON_COMMERCIAL, CREDIT],
    "CC-BY-NC-SA-4.0": [USE_NON_COMMERCIAL, CREDIT, SHARE_ALIKE],
    "CC-SA-1.0": [USE_ANY, SHARE_ALIKE],
    "ODC-By-1.0": [USE_ANY, CREDIT],
    "ODbL-1.0": [USE_ANY, CREDIT, SHARE_ALIKE],
    "OGL-UK-3.0": [USE_ANY, CREDIT],
    "OGL-Canada-2.0": [USE_ANY, CREDIT],
    "NLOD-2.0": [USE_ANY, CREDIT],
    "OGDL-Taiwan-1.0": [USE_ANY, CREDIT],
    "MIT": [USE_ANY, KEEP_NOTICE],
    "BSD-3-Clause": [USE_ANY, KEEP_NOTICE],
    "Apache-2.0": [USE_ANY, KEEP_NOTICE],
    "GPL-3.0": [USE_ANY, SHARE_ALIKE],
    "AGPL-3.0": [USE_ANY, SHARE_ALIKE],
    "LGPLLR": [USE_ANY, SHARE_ALIKE],
    "GFDL-1.3": [USE_ANY, SHARE_ALIKE],
    "EUPL-1.2": [USE_ANY, SHARE_ALIKE],
    "MPL-2.0": [USE_ANY, SHARE_ALIKE],
    "OPUBL-1.0": [READ_LICENCE],
    "NOODL-1.0": [READ_LICENCE],
}


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore after a cache miss asks for the whole page, not a fragment.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render_page_or_fragment(
    request: HttpRequest, template: str, fragment: str, context: dict, status: int = 200
) -> HttpResponse:
    name = f"{template}#{fragment}" if _is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _money(cents: int, currency: str) -> str:
    amount = number_format(Decimal(cents) / 100, decimal_pos=2, force_grouping=True)
    return _("%(currency)s %(amount)s") % {"currency": currency.upper(), "amount": amount}


def _price_label(dataset: Dataset) -> str:
    if not dataset.is_paid or dataset.base_price_cents is None:
        return _("Free")
    return _money(dataset.base_price_cents, dataset.currency or "usd")


def _cards(datasets: list[Dataset]) -> list[tuple[Dataset, str]]:
    return [(dataset, _price_label(dataset)) for dataset in datasets]


def _plain_terms(abbreviation: str) -> list:
    if not abbreviation:
        return [NO_LICENCE]
    return PLAIN_TERMS.get(abbreviation, [CUSTOM_LICENCE])


def _price(dataset: Dataset) -> dict | None:
    pricing = pricing_of(dataset)
    if not pricing["isPaid"]:
        return None
    currency = pricing["currency"]
    rate = Decimal(pricing["platformFeeRate"]) * 100
    return {
        "base": _money(pricing["basePriceCents"], currency),
        "fee": _money(pricing["platformFeeCents"], currency),
        "fee_percent": f"{rate.normalize():f}",
        "total": _money(pricing["totalPriceCents"], currency),
    }


def _citation(dataset: Dataset, url: str) -> str:
    version = dataset.current_version
    published_at = (version.published_at if version else None) or dataset.published_at
    return _(
        "%(organization)s (%(year)s). %(name)s (version %(version)s) [Data set]. Steward. %(url)s"
    ) % {
        "organization": dataset.organization.name,
        "year": published_at.year if published_at else _("n.d."),
        "name": dataset.name,
        "version": version.number if version else 1,
        "url": url,
    }


def _country_name(code: str) -> str:
    if not code:
        return ""
    return langcodes.Language.make(territory=code.upper()).territory_name(get_language() or "en")


def _locale_options(languages, locales: list[str]) -> list[tuple[str, str]]:
    """A bare language matches all its locales; regional locales are offered as well."""
    names = {language.code: language.name for language in languages}
    options = [(language.code, language.name) for language in languages]
    for locale in locales:
        if "-" in locale:
            name = names.get(language_code(locale), locale)
            options.append((locale, f"{name} ({locale})"))
    return sorted(options, key=lambda option: option[1].casefold())


def _organizations_with_datasets() -> list[Organization]:
    listed = Dataset.objects.listed().values("organization_id")
    return list(Organization.objects.filter(pk__in=listed).order_by("name"))


def home(request: HttpRequest) -> HttpResponse:
    newest = queries.search_datasets(queries.DatasetQuery(sort="newest", limit=HOME_NEWEST))
    context = {"counts": queries.catalogue_counts(), "cards": _cards(newest.items)}
    return render(request, "catalog/home.html", context)


def dataset_list(request: HttpRequest) -> HttpResponse:
    error = ""
    result = None
    try:
        result = queries.search_datasets(queries.parse_dataset_query(request.GET))
    except queries.QueryError as exc:
        error = exc.message
    context = {
        "result": result,
        "cards": _cards(result.items) if result else [],
        "error": error,
        "selected": {name: request.GET.getlist(name) for name in FILTER_LISTS},
        "sample_checked": request.GET.get("sample", "") not in ("", "false", "0"),
    }
    if not _is_htmx(request):
        languages = list(queries.list_languages_with_datasets())
        values = queries.list_filter_values()
        task_labels = dict(Task.choices)
        context["filters"] = {
            "locales": _locale_options(languages, values["locales"]),
            "tasks": [(task, task_labels.get(task, task)) for task in values["tasks"]],
            "licenses": values["licenses"],
            "formats": values["formats"],
            "organizations": _organizations_with_datasets(),
        }
        context["sort_options"] = SORT_OPTIONS
        context["direction_options"] = DIRECTION_OPTIONS
        context["pricing_options"] = PRICING_OPTIONS
        # On an error the panel stays closed so the message shows without scrolling.
        context["filters_active"] = not error and any(
            request.GET.get(name) for name in (*FILTER_LISTS, "pricing", "sample")
        )
    status = 400 if error else 200
    return _render_page_or_fragment(
        request, "catalog/dataset_list.html", "results", context, status=status
    )


def language_list(request: HttpRequest) -> HttpResponse:
    search = " ".join(request.GET.get("name", "").split())[:100]
    languages = list(queries.list_languages_with_datasets())
    if search:
        needle = fold(search)
        languages = [
            language
            for language in languages
            if needle in fold(language.name)
            or needle in fold(language.autonym)
            or needle in (language.code, language.iso639_3)
        ]
    context = {"languages": languages, "search": search}
    return _render_page_or_fragment(request, "catalog/language_list.html", "languages", context)


def dataset_detail(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = queries.get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)

    version = dataset.current_version
    sheet = version.datasheet if version else {}
    url = settings.STEWARD_BASE_URL + reverse("catalog:dataset-detail", args=[dataset.public_id])
    contacts = []
    if sheet.get("show_contact_info"):
        for key, label in DATASHEET_CONTACTS:
            name = sheet.get(f"{key}_full_name", "")
            email = sheet.get(f"{key}_email", "")
            if name or email:
                contacts.append({"label": label, "name": name, "email": email})
    context = {
        "dataset": dataset,
        "task_label": dataset.get_task_display() if dataset.task else "",
        "is_restricted": dataset.visibility == Visibility.RESTRICTED,
        "is_private": dataset.visibility == Visibility.PRIVATE,
        "plain_terms": _plain_terms(dataset.license_abbreviation),
        "price": _price(dataset),
        "datasheet": [(label, sheet[key]) for key, label in DATASHEET_TEXTS if sheet.get(key)],
        "contacts": contacts,
        "versions": dataset.versions.filter(published_at__isnull=False).order_by("-number"),
        "files": version.files.select_related("blob") if version else [],
        "citation": _citation(dataset, url),
        "api_url": settings.STEWARD_BASE_URL + "/api",
    }
    return render(request, "catalog/dataset_detail.html", context)


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug, status=Organization.Status.APPROVED)
    error = ""
    result = None
    try:
        query = queries.parse_dataset_query(request.GET)
        query.organizations = [organization.slug]
        if "limit" not in request.GET:
            query.limit = ORGANIZATION_PAGE_SIZE
        result = queries.search_datasets(query)
    except queries.QueryError as exc:
        error = exc.message
    context = {
        "organization": organization,
        "country_name": _country_name(organization.country),
        "result": result,
        "cards": _cards(result.items) if result else [],
        "error": error,
    }
    return render(
        request, "catalog/organization_detail.html", context, status=400 if error else 200
    )
