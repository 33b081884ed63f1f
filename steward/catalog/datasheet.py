"""The datasheet: every descriptive field of a dataset, as the MDC API names them, plus
Steward's own annotation and known biases.

One table of fields serves validation, storage (snake_case keys in
DatasetVersion.datasheet) and the API (camelCase names).
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from steward.lib.errors import DomainError
from steward.licensing.licences import PREDEFINED

from .languages import InvalidLocale, normalize_locale
from .models import Task, Visibility

MIN_PRICE_CENTS = 100
MAX_PRICE_CENTS = 5_000_000
CURRENCIES = {"usd"}


@dataclass(frozen=True)
class Field:
    name: str  # snake_case, as stored
    api_name: str  # camelCase, as the MDC API sends it
    kind: str  # "text", "email", "url", "bool", "int", "choice"
    max_length: int | None = None


FIELDS: list[Field] = [
    Field("name", "name", "text", 255),
    Field("short_description", "shortDescription", "text", 160),
    Field("long_description", "longDescription", "text", 7500),
    Field("locale", "locale", "locale", 35),
    Field("task", "task", "task"),
    Field("format", "format", "text", 50),
    Field("license_abbreviation", "licenseAbbreviation", "text", 25),
    Field("license", "license", "text", 1000),
    Field("license_url", "licenseUrl", "url", 1000),
    Field("other", "other", "text", 25000),
    Field("restrictions", "restrictions", "text", 7500),
    Field("forbidden_usage", "forbiddenUsage", "text", 7500),
    Field("additional_conditions", "additionalConditions", "text", 7500),
    Field("point_of_contact_full_name", "pointOfContactFullName", "text", 255),
    Field("point_of_contact_email", "pointOfContactEmail", "email", 254),
    Field("funded_by_full_name", "fundedByFullName", "text", 255),
    Field("funded_by_email", "fundedByEmail", "email", 254),
    Field("legal_contact_full_name", "legalContactFullName", "text", 255),
    Field("legal_contact_email", "legalContactEmail", "email", 254),
    Field("created_by_full_name", "createdByFullName", "text", 255),
    Field("created_by_email", "createdByEmail", "email", 254),
    Field("intended_usage", "intendedUsage", "text", 7500),
    Field("ethical_review_process", "ethicalReviewProcess", "text", 7500),
    # Not in the MDC API: what Croissant's Responsible AI fields and dataset cards ask for.
    Field("annotation", "annotationProcess", "text", 7500),
    Field("biases", "knownBiases", "text", 7500),
    Field("show_contact_info", "showContactInfo", "bool"),
    Field("show_compliance_attributes", "showComplianceAttributes", "bool"),
    Field("visibility", "visibility", "visibility"),
    Field("exclusivity_opt_out", "exclusivityOptOut", "bool"),
    Field("auto_approve_access_requests", "autoApproveAccessRequests", "bool"),
    Field("is_paid", "isPaid", "bool"),
    Field("base_price_cents", "basePriceCents", "int"),
    Field("currency", "currency", "currency"),
]
BY_API_NAME = {f.api_name: f for f in FIELDS}
DEFAULTS: dict[str, Any] = {
    f.name: (False if f.kind == "bool" else None if f.kind == "int" else "") for f in FIELDS
}
DEFAULTS["visibility"] = Visibility.PUBLIC.value


class DatasheetError(DomainError):
    """Codes: invalid, required, too_long, invalid_email, invalid_url, invalid_locale,
    invalid_task, invalid_visibility, invalid_price."""


def _clean(f: Field, value: Any) -> Any:
    def fail(message: str, code: str = "invalid") -> DatasheetError:
        return DatasheetError(f"{f.api_name}: {message}", code=code, field=f.api_name)

    if f.kind == "bool":
        if value is None:
            return False
        if not isinstance(value, bool):
            raise fail(_("must be true or false"))
        return value
    if f.kind == "int":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(_("must be a whole number of cents"))
        return value
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(_("must be a string"))
    value = value.strip()
    if f.max_length and len(value) > f.max_length:
        raise fail(
            _("is %(length)s characters long; the limit is %(max_length)s")
            % {"length": len(value), "max_length": f.max_length},
            "too_long",
        )
    if not value:
        return ""
    if f.kind == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise fail(
                _("%(value)r is not a valid email address") % {"value": value}, "invalid_email"
            ) from None
    elif f.kind == "url":
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise fail(
                _("%(value)r is not a valid http(s) URL") % {"value": value}, "invalid_url"
            ) from None
    elif f.kind == "locale":
        try:
            return normalize_locale(value)
        except InvalidLocale as exc:
            raise fail(str(exc), "invalid_locale") from None
    elif f.kind == "task":
        if value not in Task.values:
            raise fail(
                _("%(value)r is not one of %(values)s")
                % {"value": value, "values": ", ".join(Task.values)},
                "invalid_task",
            )
    elif f.kind == "visibility":
        if value not in Visibility.values:
            raise fail(
                _("%(value)r is not one of public, restricted, private") % {"value": value},
                "invalid_visibility",
            )
    elif f.kind == "currency":
        value = value.lower()
        if value not in CURRENCIES:
            raise fail(
                _("%(value)r is not a supported currency (usd)") % {"value": value},
                "invalid_currency",
            )
    return value


def clean_datasheet(
    data: dict[str, Any], *, base: dict[str, Any] | None = None, draft: bool = False
) -> dict[str, Any]:
    """Validate camelCase `data` over `base` (a stored datasheet); returns the full
    snake_case datasheet. Unknown keys are the caller's business and are ignored here.

    A `draft` may be paid without a price yet; everything else is checked as for publishing."""
    sheet = dict(DEFAULTS)
    if base:
        sheet.update({k: v for k, v in base.items() if k in DEFAULTS})
    for api_name, value in data.items():
        f = BY_API_NAME.get(api_name)
        if f is not None:
            sheet[f.name] = _clean(f, value)
    _check_consistency(sheet, draft=draft)
    return sheet


def _check_consistency(sheet: dict[str, Any], *, draft: bool = False) -> None:
    if sheet["is_paid"]:
        price = sheet["base_price_cents"]
        if price is None and draft:
            sheet["currency"] = sheet["currency"] or "usd"
        elif price is None:
            raise DatasheetError(
                _("%(field)s: a paid dataset needs a price") % {"field": "basePriceCents"},
                code="invalid_price",
                field="basePriceCents",
            )
        if price is not None and not MIN_PRICE_CENTS <= price <= MAX_PRICE_CENTS:
            raise DatasheetError(
                _("%(field)s: %(price)s is outside %(min_price_cents)s..%(max_price_cents)s")
                % {
                    "field": "basePriceCents",
                    "price": price,
                    "min_price_cents": MIN_PRICE_CENTS,
                    "max_price_cents": MAX_PRICE_CENTS,
                },
                code="invalid_price",
                field="basePriceCents",
            )
        sheet["currency"] = sheet["currency"] or "usd"
    else:
        if sheet["base_price_cents"] not in (None, 0):
            raise DatasheetError(
                _("%(field)s: a free dataset cannot have a price (set isPaid to true)")
                % {"field": "basePriceCents"},
                code="invalid_price",
                field="basePriceCents",
            )
        sheet["base_price_cents"] = None
        sheet["currency"] = ""
    abbreviation = sheet["license_abbreviation"]
    if abbreviation in PREDEFINED:
        # A predefined licence is named by its abbreviation alone.
        sheet["license"] = ""
        sheet["license_url"] = ""


def require_publishable(sheet: dict[str, Any]) -> None:
    """A published dataset needs at least a name and a locale."""
    for name, api_name in (("name", "name"), ("locale", "locale")):
        if not sheet.get(name):
            raise DatasheetError(
                _("%(field)s: this field is required") % {"field": api_name},
                code="required",
                field=api_name,
            )


# What a submission needs before it can be sent for review (api name, snake_case name).
REQUIRED_TO_SUBMIT = [
    ("name", "name"),
    ("longDescription", "long_description"),
    ("locale", "locale"),
    ("task", "task"),
    ("format", "format"),
    ("restrictions", "restrictions"),
    ("forbiddenUsage", "forbidden_usage"),
    ("pointOfContactFullName", "point_of_contact_full_name"),
    ("pointOfContactEmail", "point_of_contact_email"),
]


def missing_for_submission(sheet: dict[str, Any]) -> list[str]:
    """The camelCase names of the fields a complete datasheet still lacks."""
    missing = [api for api, name in REQUIRED_TO_SUBMIT if not sheet.get(name)]
    if not sheet.get("license_abbreviation") and not sheet.get("license"):
        missing.append("licenseAbbreviation")
    if sheet.get("is_paid") and not sheet.get("base_price_cents"):
        missing.append("basePriceCents")
    return missing
