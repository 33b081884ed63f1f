"""Revenue sharing: the recipients an organization splits its earnings with.

Recipients are never deleted, since ledger accounts and entries point at them: a recipient
left out of a new list is deactivated and keeps its balance and statement. Each sale splits
the base price among the recipients active when it is posted (see pricing.split).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.lib.errors import DomainError
from steward.organizations import permissions
from steward.organizations.models import Organization

from .models import Recipient
from .pricing import WHOLE


class ShareError(DomainError):
    """Codes: required, invalid, invalid_email, invalid_share, shares_over_100,
    unknown_recipient, duplicate_recipient."""


class ShareForbidden(ShareError):
    """Code: owners_only."""

    status = 403


def _user_of(actor):
    return getattr(actor, "user", actor)


def _basis_points(item: dict[str, Any], field: str) -> int:
    if "share_basis_points" in item:
        points = item["share_basis_points"]
        if not isinstance(points, int) or isinstance(points, bool):
            raise ShareError(
                _("%(field)s: a share in basis points is a whole number.") % {"field": field},
                code="invalid_share",
                field=field,
            )
    else:
        raw = item.get("share_percent")
        if raw is None or isinstance(raw, bool | float):
            # Floats would bring binary rounding into a share; percent comes as text or Decimal.
            points = None
        else:
            try:
                percent = Decimal(str(raw).strip())
            except InvalidOperation:
                points = None
            else:
                scaled = percent * 100
                points = int(scaled) if scaled.is_finite() and scaled == int(scaled) else None
        if points is None:
            raise ShareError(
                _("%(field)s: give the share as a percentage with at most two decimals.")
                % {"field": field},
                code="invalid_share",
                field=field,
            )
    if not 0 < points <= WHOLE:
        raise ShareError(
            _("%(field)s: a share is more than 0%% and at most 100%%.") % {"field": field},
            code="invalid_share",
            field=field,
        )
    return points


def _clean(organization: Organization, index: int, item: dict[str, Any]) -> dict[str, Any]:
    prefix = f"recipients[{index}]"
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ShareError(
            _("%(field)s: every recipient needs a name.") % {"field": f"{prefix}.name"},
            code="required",
            field=f"{prefix}.name",
        )
    if len(name.strip()) > 200:
        raise ShareError(
            _("%(field)s: at most 200 characters.") % {"field": f"{prefix}.name"},
            code="invalid",
            field=f"{prefix}.name",
        )
    email = item.get("email") or ""
    try:
        if not isinstance(email, str):
            raise ValidationError("not text")
        email = email.strip()
        if email:
            validate_email(email)
    except ValidationError:
        raise ShareError(
            _("%(field)s: enter a valid email address.") % {"field": f"{prefix}.email"},
            code="invalid_email",
            field=f"{prefix}.email",
        ) from None
    existing = None
    if item.get("id") is not None:
        existing = Recipient.objects.filter(organization=organization, pk=item["id"]).first()
        if existing is None:
            raise ShareError(
                _("%(field)s: this organization has no such recipient.")
                % {"field": f"{prefix}.id"},
                code="unknown_recipient",
                field=f"{prefix}.id",
            )
    return {
        "existing": existing,
        "name": name.strip(),
        "email": email,
        "user": item.get("user"),
        "share_basis_points": _basis_points(item, f"{prefix}.share"),
    }


def set_recipients(
    organization: Organization, *, actor, recipients: list[dict[str, Any]]
) -> list[Recipient]:
    """Replace the organization's active recipients (owners only). Each item has `name`,
    optional `email` and `user`, and `share_percent` ("12.5") or `share_basis_points` (1250);
    an item with the `id` of an existing recipient, or the name of an active one, updates it
    so its balance and statement go on. Shares must total at most 100%; the organization keeps
    the rest. Returns the active recipients, in the order given."""
    if actor is not None and not permissions.can(
        _user_of(actor), organization, permissions.MANAGE_ORGANIZATION
    ):
        raise ShareForbidden(
            _("Only the organization's owners can change how its earnings are shared."),
            code="owners_only",
        )
    if not isinstance(recipients, list) or not all(isinstance(r, dict) for r in recipients):
        raise ShareError(
            _("%(field)s: a list of recipients.") % {"field": "recipients"}, field="recipients"
        )
    cleaned = [_clean(organization, n, item) for n, item in enumerate(recipients)]
    names = [c["name"].casefold() for c in cleaned]
    for n, name in enumerate(names):
        if name in names[:n]:
            raise ShareError(
                _("recipients[%(n)s].name: %(name)s is listed twice.")
                % {"n": n, "name": cleaned[n]["name"]},
                code="duplicate_recipient",
                field=f"recipients[{n}].name",
            )
    total = sum(c["share_basis_points"] for c in cleaned)
    if total > WHOLE:
        raise ShareError(
            _("%(field)s: the shares add up to %(total)s%%; they can be at most 100%%.")
            % {"field": "recipients", "total": Decimal(total) / 100},
            code="shares_over_100",
            field="recipients",
        )
    with transaction.atomic():
        # The organization's row lock makes two concurrent edits apply one after the other.
        Organization.objects.select_for_update().get(pk=organization.pk)
        active = {r.pk: r for r in organization.recipients.filter(active=True)}
        by_name = {r.name.casefold(): r for r in active.values()}
        kept: list[Recipient] = []
        for item in cleaned:
            recipient = item.pop("existing") or by_name.get(item["name"].casefold())
            if recipient is not None and recipient in kept:
                raise ShareError(
                    _("%(field)s: %(name)s is listed twice.")
                    % {"field": "recipients", "name": recipient.name},
                    code="duplicate_recipient",
                    field="recipients",
                )
            if recipient is None:
                recipient = Recipient.objects.create(organization=organization, **item)
            else:
                for field, value in item.items():
                    setattr(recipient, field, value)
                recipient.active = True
                recipient.save(
                    update_fields=["name", "email", "user", "share_basis_points", "active"]
                )
            kept.append(recipient)
        dropped = [pk for pk in active if pk not in {r.pk for r in kept}]
        Recipient.objects.filter(pk__in=dropped).update(active=False)
        record(
            actor=actor,
            action="payments.recipients.changed",
            target=organization,
            organization_id=organization.pk,
            data={
                "recipients": [
                    {"id": r.pk, "name": r.name, "basisPoints": r.share_basis_points} for r in kept
                ],
                "deactivated": dropped,
            },
        )
    return kept
