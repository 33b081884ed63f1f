"""Orders: buying access to a dataset, paying through a provider, refunds.

The amounts of an order are fixed when it is made, from the price its grant was quoted (the
terms' price for the buyer's purpose, place and kind of organization) and the platform fee
rate in force: the quote the buyer sees is what they pay.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.access import services as access_services
from steward.access.models import AccessRequest, Grant
from steward.audit.services import record
from steward.catalog.models import Dataset, Visibility
from steward.lib.errors import Conflict, DomainError, Forbidden, Gone, NotFound
from steward.lib.ids import new_public_id
from steward.lib.mail import absolute_url, send_after_commit
from steward.organizations.permissions import MANAGE_ORGANIZATION, can, role_of

from . import ledger, queries
from .models import Account, Order, Payout, Recipient
from .pricing import quote
from .providers import Checkout, get_provider

MAX_IDEMPOTENCY_KEY = 100


class OrderError(DomainError):
    """Codes: own_dataset, nothing_to_pay, invalid."""


def _user(actor):
    return getattr(actor, "user", actor)


def _clean_key(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value) > MAX_IDEMPOTENCY_KEY or not value.isprintable():
        raise OrderError(
            _("%(field)s: at most %(max_idempotency_key)s printable characters")
            % {"field": "Idempotency-Key", "max_idempotency_key": MAX_IDEMPOTENCY_KEY},
            field="Idempotency-Key",
        )
    return value


def _grant_to_pay(user, dataset: Dataset, access_request_id: Any) -> Grant:
    """The buyer's grant that the order pays for: the one of `access_request_id`, else their
    current grant for the dataset. Says what is missing otherwise."""
    if access_request_id not in (None, ""):
        request = (
            AccessRequest.objects.filter(public_id=str(access_request_id), user=user)
            .select_related("grant")
            .first()
        )
        if request is None or request.dataset_id != dataset.pk:
            raise NotFound(
                _("%(field)s: you have no such request for this dataset.")
                % {"field": "accessRequestId"},
                field="accessRequestId",
            )
        if request.status != AccessRequest.Status.APPROVED:
            raise Forbidden(
                _("Your access request is %(status)s; it must be approved before you pay.")
                % {"status": request.get_status_display().lower()},
                code=f"request_{request.status}",
            )
        grant = request.grant
    else:
        grant = Grant.objects.active().filter(user=user, dataset=dataset).order_by("-id").first()
    if grant is None or not grant.is_active():
        decision = access_services.decide_download(user, dataset)
        raise Forbidden(decision.reason, code=decision.code or "access_not_requested")
    return grant


def create_order(
    dataset: Dataset,
    *,
    buyer,
    access_request_id: Any = None,
    idempotency_key: Any = "",
    actor=None,
) -> tuple[Order, bool]:
    """An order for the buyer's access to `dataset` at the price their grant was quoted, and
    whether it is new. Repeats make one order: the same Idempotency-Key returns the order it
    made, and without a key an order still waiting for payment is returned again."""
    key = _clean_key(idempotency_key)
    if dataset.status == Dataset.Status.REMOVED:
        raise Gone(dataset.removal_reason or _("This dataset has been taken down."), code="removed")
    if role_of(buyer, dataset.organization) is not None:
        raise OrderError(
            _("Your organization publishes this dataset: there is nothing to buy."),
            code="own_dataset",
        )
    if dataset.visibility == Visibility.PRIVATE:
        raise NotFound(_("Dataset not found"))
    if key:
        existing = Order.objects.filter(buyer=buyer, idempotency_key=key).first()
        if existing is not None:
            if existing.dataset_id != dataset.pk:
                raise Conflict(
                    _("This Idempotency-Key was used for another order."), code="key_reused"
                )
            return existing, False
    grant = _grant_to_pay(buyer, dataset, access_request_id)
    if grant.price_cents <= 0:
        raise OrderError(
            _("Your access to this dataset is free: there is nothing to pay."),
            code="nothing_to_pay",
        )
    if grant.paid_at is not None:
        raise Conflict(_("You have already paid for this access."), code="already_paid")
    amounts = quote(
        grant.price_cents, grant.currency or "usd", Decimal(settings.STEWARD_PLATFORM_FEE_RATE)
    )
    try:
        with transaction.atomic():
            pending = Order.objects.filter(grant=grant, status=Order.Status.PENDING).first()
            if pending is not None:
                return pending, False
            order = Order.objects.create(
                public_id=new_public_id(),
                buyer=buyer,
                dataset=dataset,
                organization=dataset.organization,
                grant=grant,
                provider=settings.STEWARD_PAYMENT_PROVIDER,
                currency=amounts.currency,
                base_price_cents=amounts.base_price_cents,
                platform_fee_rate=amounts.platform_fee_rate,
                platform_fee_cents=amounts.platform_fee_cents,
                total_price_cents=amounts.total_price_cents,
                idempotency_key=key,
            )
            record(
                actor=actor or buyer,
                action="payments.order.created",
                target=dataset,
                organization_id=dataset.organization_id,
                data={
                    "order": order.public_id,
                    "grant": grant.public_id,
                    "total": order.total_price_cents,
                    "currency": order.currency,
                },
            )
    except IntegrityError:
        # A concurrent retry made it first: answer with that order.
        order = (
            Order.objects.filter(buyer=buyer, idempotency_key=key).first()
            if key
            else Order.objects.filter(grant=grant, status=Order.Status.PENDING).first()
        )
        if order is None:
            raise
        return order, False
    return order, True


def checkout(order: Order) -> Checkout:
    """Start (or resume) the order's payment with its provider: what the checkout page needs."""
    if order.status != Order.Status.PENDING:
        raise Conflict(
            _("This order is %(status)s.") % {"status": order.get_status_display().lower()},
            code=f"order_{order.status}",
        )
    started = get_provider(order.provider).start(order)
    if started.external_id != order.external_id:
        Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
            external_id=started.external_id
        )
        order.external_id = started.external_id
    return started


def _lock(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("buyer", "dataset", "grant", "organization")
        .get(pk=order.pk)
    )


def confirm_payment(order: Order, *, reference: str = "", actor=None) -> Order:
    """The order is paid: post it to the ledger, unlock the grant, send the receipt. A second
    confirmation (a replayed notification, a double click) changes nothing."""
    with transaction.atomic():
        order = _lock(order)
        if order.status == Order.Status.PAID:
            return order
        if order.status != Order.Status.PENDING:
            raise Conflict(
                _("This order is %(status)s and cannot be paid.")
                % {"status": order.get_status_display().lower()},
                code=f"order_{order.status}",
            )
        now = timezone.now()
        order.status, order.paid_at = Order.Status.PAID, now
        order.payment_reference = str(reference)[:255]
        if actor is not None:
            order.marked_paid_by = _user(actor)
        order.save(update_fields=["status", "paid_at", "payment_reference", "marked_paid_by"])
        ledger.post_purchase(order)
        access_services.record_payment(order.grant, paid_at=now)
        record(
            actor=actor,
            action="payments.order.paid",
            target=order.dataset,
            organization_id=order.organization_id,
            data={
                "order": order.public_id,
                "total": order.total_price_cents,
                "currency": order.currency,
                "provider": order.provider,
                "reference": order.payment_reference,
            },
        )
        send_after_commit(
            [order.buyer.email],
            _("Receipt: %(name)s") % {"name": order.dataset.name},
            "payments/email/receipt.txt",
            {
                "order": order,
                "receipt_url": absolute_url(reverse("payments:order", args=[order.public_id])),
            },
        )
    return order


def require_staff(actor) -> None:
    """Marking orders paid and refunding them is for the platform's staff alone."""
    if not getattr(_user(actor), "is_staff", False):
        raise Forbidden(
            _("Only the platform's staff mark orders paid or refund them."), code="staff_only"
        )


def mark_paid(order: Order, *, actor, reference: Any = "") -> Order:
    """Staff record that a manual order's money arrived (with the bank's reference)."""
    require_staff(actor)
    if not isinstance(reference, str) or len(reference) > 255:
        raise OrderError(
            _("%(field)s: at most 255 characters of text") % {"field": "reference"},
            field="reference",
        )
    return confirm_payment(order, reference=reference.strip(), actor=actor)


def record_refund(order: Order, *, reason: str, actor=None) -> Order:
    """The money went back to the buyer: reverse the ledger posting and end the grant. A
    second report of the same refund changes nothing."""
    with transaction.atomic():
        order = _lock(order)
        if order.status == Order.Status.REFUNDED:
            return order
        if order.status != Order.Status.PAID:
            raise Conflict(_("Only a paid order can be refunded."), code=f"order_{order.status}")
        order.status, order.refunded_at = Order.Status.REFUNDED, timezone.now()
        order.refund_reason = reason
        order.save(update_fields=["status", "refunded_at", "refund_reason"])
        ledger.post_refund(order)
        access_services.end_grant(
            order.grant, reason=_("Refunded: %(reason)s") % {"reason": reason}
        )
        record(
            actor=actor,
            action="payments.order.refunded",
            target=order.dataset,
            organization_id=order.organization_id,
            data={"order": order.public_id, "reason": reason},
        )
        send_after_commit(
            [order.buyer.email],
            _("Refund: %(name)s") % {"name": order.dataset.name},
            "payments/email/refund.txt",
            {"order": order},
        )
    return order


def refund(order: Order, *, actor, reason: Any) -> Order:
    """Staff refund a paid order: the provider returns the money, then Steward records it."""
    require_staff(actor)
    if not isinstance(reason, str) or not reason.strip():
        raise OrderError(
            _("%(field)s: say why the order is refunded") % {"field": "reason"},
            code="required",
            field="reason",
        )
    order = Order.objects.select_related("dataset", "grant", "buyer").get(pk=order.pk)
    if order.status == Order.Status.REFUNDED:
        return order
    if order.status != Order.Status.PAID:
        raise Conflict(_("Only a paid order can be refunded."), code=f"order_{order.status}")
    get_provider(order.provider).refund(order)
    return record_refund(order, reason=reason.strip(), actor=actor)


def cancel_order(order: Order, *, actor) -> Order:
    """The buyer gives up an order not yet paid; they may order again later."""
    with transaction.atomic():
        order = _lock(order)
        if order.buyer_id != _user(actor).pk:
            raise NotFound(_("Order not found"))
        if order.status == Order.Status.CANCELLED:
            return order
        if order.status != Order.Status.PENDING:
            raise Conflict(
                _("Only an unpaid order can be cancelled."), code=f"order_{order.status}"
            )
        order.status, order.cancelled_at = Order.Status.CANCELLED, timezone.now()
        order.save(update_fields=["status", "cancelled_at"])
        record(
            actor=actor,
            action="payments.order.cancelled",
            target=order.dataset,
            organization_id=order.organization_id,
            data={"order": order.public_id},
        )
    return order


# Payouts


class PayoutError(DomainError):
    """Codes: invalid_amount, invalid_currency, required."""


def _check_amount(amount_cents: Any) -> int:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise PayoutError(
            _("%(field)s: a payout is a positive amount.") % {"field": "amount"},
            code="invalid_amount",
            field="amount",
        )
    return amount_cents


def _check_currency(currency: Any) -> str:
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise PayoutError(
            _("%(field)s: a three-letter ISO 4217 code.") % {"field": "currency"},
            code="invalid_currency",
            field="currency",
        )
    return currency.lower()


def may_request_payout(user, organization, recipient: Recipient | None = None) -> bool:
    """Owners request payouts of the organization's balance and of its recipients'; a
    recipient linked to a user may also request their own."""
    if can(user, organization, MANAGE_ORGANIZATION):
        return True
    return recipient is not None and user is not None and recipient.user_id == user.pk


def request_payout(
    organization,
    *,
    actor,
    amount_cents: Any,
    currency: Any = "usd",
    recipient: Recipient | None = None,
) -> Payout:
    """Ask for `amount_cents` of the organization's balance (or of `recipient`'s) to be paid
    out: at most what is available, the balance minus the payouts already requested."""
    user = _user(actor)
    if recipient is not None and recipient.organization_id != organization.pk:
        raise NotFound(_("Recipient not found"))
    if not may_request_payout(user, organization, recipient):
        raise Forbidden(
            _("Only the organization's owners, or the recipient, can request this payout."),
            code="owners_only",
        )
    amount_cents = _check_amount(amount_cents)
    currency = _check_currency(currency)
    with transaction.atomic():
        # The payable account's row lock (the one ledger.post_payout takes) makes concurrent
        # requests count each other's amounts; it is taken before the audit chain's.
        payable = (
            ledger.recipient_account(recipient, currency)
            if recipient is not None
            else ledger.organization_account(organization, currency)
        )
        Account.objects.select_for_update().get(pk=payable.pk)
        available = queries.available_cents(organization, currency, recipient)
        if amount_cents > available:
            raise ledger.LedgerError(
                _("The payout of %(amount)s exceeds the available balance of %(available)s.")
                % {
                    "amount": ledger.format_cents(amount_cents, currency),
                    "available": ledger.format_cents(max(available, 0), currency),
                },
                code="insufficient_balance",
            )
        payout = Payout.objects.create(
            public_id=new_public_id(),
            organization=organization,
            recipient=recipient,
            amount_cents=amount_cents,
            currency=currency,
            requested_by=user,
        )
        record(
            actor=actor,
            action="payments.payout.requested",
            target=payout,
            organization_id=organization.pk,
            data={
                "payout": payout.public_id,
                "amount": amount_cents,
                "currency": currency,
                "recipient": recipient.pk if recipient is not None else None,
            },
        )
    return payout


def _lock_payout(payout: Payout) -> Payout:
    return (
        Payout.objects.select_for_update(of=("self",))
        .select_related("organization", "recipient")
        .get(pk=payout.pk)
    )


def mark_payout_paid(payout: Payout, *, actor, reference: Any) -> Payout:
    """Staff record that a payout's money was sent (with the bank's reference): the ledger
    moves it out of the payable balance. Marking it paid again changes nothing."""
    if not getattr(_user(actor), "is_staff", False):
        raise Forbidden(_("Only the platform's staff mark payouts paid."), code="staff_only")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 255:
        raise PayoutError(
            _("%(field)s: the transfer's reference, at most 255 characters.")
            % {"field": "reference"},
            code="required",
            field="reference",
        )
    with transaction.atomic():
        payout = _lock_payout(payout)
        if payout.status == Payout.Status.PAID:
            return payout
        if payout.status != Payout.Status.REQUESTED:
            raise Conflict(
                _("This payout is %(status)s.") % {"status": payout.get_status_display().lower()},
                code=f"payout_{payout.status}",
            )
        ledger.post_payout(payout, actor=actor)
        payout.status, payout.paid_at = Payout.Status.PAID, timezone.now()
        payout.paid_by, payout.reference = _user(actor), reference.strip()
        payout.save(update_fields=["status", "paid_at", "paid_by", "reference"])
        record(
            actor=actor,
            action="payments.payout.paid",
            target=payout,
            organization_id=payout.organization_id,
            data={
                "payout": payout.public_id,
                "amount": payout.amount_cents,
                "currency": payout.currency,
                "reference": payout.reference,
            },
        )
    return payout


def cancel_payout(payout: Payout, *, actor) -> Payout:
    """Withdraw a payout not yet paid (staff, the organization's owners or whoever may request
    it); its amount is available again. Cancelling twice changes nothing."""
    user = _user(actor)
    with transaction.atomic():
        payout = _lock_payout(payout)
        if not (
            getattr(user, "is_staff", False)
            or may_request_payout(user, payout.organization, payout.recipient)
        ):
            raise Forbidden(
                _("Only the organization's owners, or the recipient, can cancel this payout."),
                code="owners_only",
            )
        if payout.status == Payout.Status.CANCELLED:
            return payout
        if payout.status != Payout.Status.REQUESTED:
            raise Conflict(_("A paid payout cannot be cancelled."), code=f"payout_{payout.status}")
        payout.status = Payout.Status.CANCELLED
        payout.save(update_fields=["status"])
        record(
            actor=actor,
            action="payments.payout.cancelled",
            target=payout,
            organization_id=payout.organization_id,
            data={"payout": payout.public_id},
        )
    return payout
