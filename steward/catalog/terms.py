"""A dataset's usage policy as a submission carries it: the `usagePolicy` object
(licensing/document.py) and the MDC datasheet fields that map onto it.

The MDC fields keep their meaning and stay in step with the policy:

| MDC field | policy |
|---|---|
| `visibility: restricted` | `requestRequired: true` (everyone asks, even if answered at once) |
| `autoApproveAccessRequests` | `approval` of a restricted dataset (true: `automatic`) |
| `isPaid`, `basePriceCents` | `pricing.basePriceCents` (0 when free) |
| `additionalConditions` | `conditions` |

A change to either side is applied to the other, the `usagePolicy` object last, so the two
never disagree. Requests for other datasets are checked automatically unless the policy's
`approval` says `manual`.
"""

from typing import Any

from django.utils.translation import gettext as _

from steward.lib.errors import DomainError
from steward.licensing import document, engine
from steward.licensing.licences import PREDEFINED, terms_for

from .models import Visibility


class TermsError(DomainError):
    """A usagePolicy that cannot be a policy; `field` is its path, e.g.
    `usagePolicy.geography.places[1]`."""


def licence_terms(sheet: dict[str, Any], usage_policy: dict[str, Any]) -> engine.LicenceTerms:
    """The licence of a datasheet with its facts. A custom licence may give its text and facts
    in the usagePolicy's `licence` object; a predefined licence's are known, and the object
    is then ignored. Raises PolicyError."""
    abbreviation = sheet.get("license_abbreviation") or ""
    custom = usage_policy.get("licence") if isinstance(usage_policy, dict) else None
    if abbreviation in PREDEFINED or custom is None:
        return terms_for(abbreviation, custom_name=sheet.get("license") or "")
    return document.custom_licence_from_document(
        custom, identifier=abbreviation, name=sheet.get("license") or ""
    )


def _parse(doc: dict[str, Any], sheet: dict[str, Any]) -> engine.Policy:
    body = {k: v for k, v in doc.items() if k != "licence"}
    try:
        return document.policy_from_document(body, licence=licence_terms(sheet, doc))
    except document.PolicyError as exc:
        path = f"usagePolicy.{exc.field}" if exc.field else "usagePolicy"
        raise TermsError(f"{path}: {exc.message}", code="invalid_policy", field=path) from None


def _from_mdc(doc: dict[str, Any], sheet: dict[str, Any], changed: set[str]) -> dict[str, Any]:
    """`doc` with the MDC fields named in `changed` (snake_case) applied."""
    doc = dict(doc)
    if "visibility" in changed:
        doc["requestRequired"] = sheet.get("visibility") == Visibility.RESTRICTED
    if changed & {"auto_approve_access_requests", "visibility"}:
        # On MDC only restricted datasets take requests; elsewhere the conditions of the
        # policy are checked automatically unless its `approval` says otherwise.
        manual = sheet.get("visibility") == Visibility.RESTRICTED and not sheet.get(
            "auto_approve_access_requests"
        )
        doc["approval"] = (engine.Approval.MANUAL if manual else engine.Approval.AUTOMATIC).value
    if changed & {"is_paid", "base_price_cents"}:
        pricing = dict(doc.get("pricing") or {})
        pricing["basePriceCents"] = (
            sheet.get("base_price_cents") or 0 if sheet.get("is_paid") else 0
        )
        doc["pricing"] = pricing
    if "additional_conditions" in changed:
        doc["conditions"] = sheet.get("additional_conditions") or ""
    return doc


def _to_mdc(policy: engine.Policy, sheet: dict[str, Any]) -> dict[str, Any]:
    """`sheet` with the MDC fields set from `policy`."""
    sheet = dict(sheet)
    if sheet.get("visibility") != Visibility.PRIVATE:
        sheet["visibility"] = (
            Visibility.RESTRICTED if policy.request_required else Visibility.PUBLIC
        ).value
    if sheet.get("visibility") == Visibility.RESTRICTED:
        sheet["auto_approve_access_requests"] = policy.approval == engine.Approval.AUTOMATIC
    if policy.base_price_cents:
        sheet["is_paid"] = True
        sheet["base_price_cents"] = policy.base_price_cents
        sheet["currency"] = policy.currency
    elif sheet.get("is_paid") and sheet.get("base_price_cents") is None:
        pass  # a draft marked paid whose price is still to come
    else:
        sheet["is_paid"], sheet["base_price_cents"], sheet["currency"] = False, None, ""
    sheet["additional_conditions"] = policy.conditions
    return sheet


def apply_changes(
    doc: dict[str, Any],
    sheet: dict[str, Any],
    *,
    changed_fields: set[str],
    usage_policy: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (policy document, datasheet) after an edit: `changed_fields` are the datasheet's
    fields (snake_case) the edit set, `usage_policy` the usagePolicy object it sent, if any
    (its keys replace the stored ones; keys it leaves out are kept). Raises TermsError."""
    # A policy never set takes everything the MDC fields say.
    doc = _from_mdc(doc, sheet, set(sheet) if not doc else changed_fields)
    if usage_policy is not None:
        if not isinstance(usage_policy, dict):
            raise TermsError(
                _("%(field)s: must be an object") % {"field": "usagePolicy"},
                code="invalid_policy",
                field="usagePolicy",
            )
        doc = {**doc, **usage_policy}
    policy = _parse(doc, sheet)
    stored = document.policy_to_document(policy)
    if "licence" in doc:
        stored["licence"] = doc["licence"]
    return stored, _to_mdc(policy, sheet)


def policy_for(doc: dict[str, Any], sheet: dict[str, Any]) -> tuple[engine.Policy, dict[str, Any]]:
    """The policy a version is published with, and its datasheet in step with it: what the
    MDC fields say, with the keys of `doc` (a usagePolicy document, possibly partial, or
    empty for a datasheet whose policy was never set) over it. Raises TermsError."""
    merged = {**_from_mdc({}, sheet, set(sheet)), **(doc or {})}
    policy = _parse(merged, sheet)
    return policy, _to_mdc(policy, sheet)
