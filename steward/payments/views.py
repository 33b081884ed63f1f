import csv
import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from steward.catalog.queries import get_dataset_for
from steward.lib.errors import DomainError, NotFound, without_field_name
from steward.organizations import permissions
from steward.organizations.permissions import check_reviewer

from . import ledger, queries, services, shares
from .api import get_order_for
from .forms import PayoutRequestForm, RecipientFormSet, recipient_rows
from .models import Order, Payout, Recipient


@login_required
@require_POST
def buy(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """The dataset page's Buy button: one order per click series (the form's token is the
    idempotency key), then its checkout page."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
        order, _created = services.create_order(
            dataset,
            buyer=request.user,
            idempotency_key=request.POST.get("token", ""),
        )
    except NotFound:
        raise Http404("Dataset not found") from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:dataset-detail", dataset_id)
    return redirect("payments:order", order.public_id)


@login_required
def order(request: HttpRequest, order_id: str) -> HttpResponse:
    """The order's page: checkout while it waits for payment, the receipt once paid."""
    try:
        order = get_order_for(request.user, order_id, staff=True)
    except NotFound:
        raise Http404("Order not found") from None
    started, error = None, ""
    if order.status == Order.Status.PENDING and order.buyer_id == request.user.pk:
        try:
            started = services.checkout(order)
        except DomainError as exc:
            error = exc.message
    return render(
        request,
        "payments/order.html",
        {"order": order, "checkout": started, "error": error},
    )


@login_required
@require_POST
def cancel(request: HttpRequest, order_id: str) -> HttpResponse:
    try:
        order = get_order_for(request.user, order_id)
        services.cancel_order(order, actor=request.user)
    except NotFound:
        raise Http404("Order not found") from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:order", order_id)


@login_required
def staff_orders(request: HttpRequest) -> HttpResponse:
    """Staff: orders waiting for payment first, then the latest ones."""
    check_reviewer(request.user)
    status = request.GET.get("status") or Order.Status.PENDING
    orders = Order.objects.select_related("dataset", "buyer", "organization")
    if status != "all":
        if status not in Order.Status.values:
            status = Order.Status.PENDING
        orders = orders.filter(status=status)
    return render(
        request,
        "payments/staff_orders.html",
        {"orders": orders[:200], "status": status, "statuses": Order.Status.choices},
    )


@login_required
@require_POST
def staff_mark_paid(request: HttpRequest, order_id: str) -> HttpResponse:
    check_reviewer(request.user)
    order = get_order_for(request.user, order_id, staff=True)
    try:
        services.mark_paid(order, actor=request.user, reference=request.POST.get("reference", ""))
        messages.success(request, _("Order %(id)s is paid.") % {"id": order.public_id})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:staff-orders")


@login_required
@require_POST
def staff_refund(request: HttpRequest, order_id: str) -> HttpResponse:
    check_reviewer(request.user)
    order = get_order_for(request.user, order_id, staff=True)
    if not request.POST.get("confirm"):
        # A refund cannot be undone: the buyer's access ends and the money goes back.
        messages.error(request, _("Tick the box to confirm the refund: it cannot be undone."))
        return redirect("payments:staff-orders")
    try:
        services.refund(order, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Order %(id)s is refunded.") % {"id": order.public_id})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:staff-orders")


# Earnings, recipients and payouts


def _currency(value: str | None, currencies: list[str]) -> str:
    value = (value or "").lower()
    return value if value in currencies else queries.DEFAULT_CURRENCY


def _recipient_rows(organization, currency: str) -> list[dict]:
    """Active recipients, and former ones that are still owed money, with their balances."""
    rows = []
    for recipient in organization.recipients.select_related("user").order_by("-active", "name"):
        balance = queries.balance_cents(organization, currency, recipient)
        if not recipient.active and not balance:
            continue
        rows.append(
            {
                "recipient": recipient,
                "percent": f"{Decimal(recipient.share_basis_points) / 100:f}",
                "balance": balance,
                "available": balance - queries.requested_cents(organization, currency, recipient),
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def earnings(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's earnings: balance, sales per dataset, history, a chart per month,
    payouts (owners request them here) and the recipients it shares with."""
    organization = permissions.get_organization_for(request.user, slug)
    currencies = queries.currencies_of(organization)
    currency = _currency(request.POST.get("currency") or request.GET.get("currency"), currencies)
    may_request = services.may_request_payout(request.user, organization)
    form, status = PayoutRequestForm(), 200
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied(_("Only the organization's owners request payouts."))
        form = PayoutRequestForm(request.POST)
        if form.is_valid():
            try:
                payout = services.request_payout(
                    organization,
                    actor=request.user,
                    amount_cents=form.cleaned_data["amount"],
                    currency=currency,
                )
            except DomainError as exc:
                form.add_error("amount", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, _("Payout %(id)s is requested.") % {"id": payout.public_id}
                )
                return redirect(
                    f"{reverse('payments:earnings', args=[organization.slug])}?currency={currency}"
                )
        else:
            status = 400
    rows = [e for e in ledger.organization_earnings(organization) if e.currency == currency]
    balance = queries.balance_cents(organization, currency)
    requested = queries.requested_cents(organization, currency)
    months = queries.earnings_by_month(organization, currency)
    lines = queries.statement_lines(queries.payable_account(organization, currency))
    context = {
        "organization": organization,
        "currency": currency,
        "currencies": currencies,
        "balance": balance,
        "requested": requested,
        "available": balance - requested,
        "earned": sum(e.earned_cents for e in rows),
        "shared": sum(e.shared_cents for e in rows),
        "sales": sum(e.sales for e in rows),
        "refunds": sum(e.refunds for e in rows),
        "paid_out": sum(-line.amount_cents for line in lines if line.kind == "payout"),
        "datasets": rows,
        "months": months,
        "chart_total": sum(m.total_cents for m in months),
        "history": list(reversed(lines)),
        "payouts": queries.payouts_of(organization)[:200],
        "recipients": _recipient_rows(organization, currency),
        "may_request": may_request,
        "may_manage": permissions.can(request.user, organization, permissions.MANAGE_ORGANIZATION),
        "form": form,
    }
    return render(request, "payments/earnings.html", context, status=status)


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _text_cell(value: str) -> str:
    # A spreadsheet runs a cell that starts like this as a formula.
    if value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _units(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


STATEMENT_COLUMNS = [
    "date",
    "transaction",
    "kind",
    "memo",
    "order",
    "dataset",
    "payout",
    "amount",
    "balance",
    "currency",
]


def _statement_csv(lines, filename: str) -> StreamingHttpResponse:
    """The statement's lines as CSV, streamed; amounts in the currency's units ("250.00")."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(STATEMENT_COLUMNS)
        for line in lines:
            yield writer.writerow(
                [
                    line.created_at.isoformat(),
                    line.transaction,
                    line.kind,
                    _text_cell(line.memo),
                    line.order,
                    _text_cell(line.dataset),
                    line.payout,
                    _units(line.amount_cents),
                    _units(line.balance_cents),
                    line.currency.upper(),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def earnings_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's statement (sales, refunds, payouts) with its running balance. No
    buyer is named."""
    organization = permissions.get_organization_for(request.user, slug)
    currency = _currency(request.GET.get("currency"), queries.currencies_of(organization))
    lines = queries.statement_lines(queries.payable_account(organization, currency))
    return _statement_csv(lines, f"{organization.slug}-statement-{currency}.csv")


FIELD_PATH = re.compile(r"^recipients\[(\d+)\]\.(\w+)$")
ROW_FIELDS = {"name": "name", "email": "email", "share": "share", "id": "name", "user": "username"}


def _share_error(exc: DomainError, formset, rows: list[int]) -> list[str]:
    """Put a ShareError on the field of the row it concerns; what concerns no row is returned."""
    message = without_field_name(exc)
    match = FIELD_PATH.match(exc.field or "")
    if match and int(match[1]) < len(rows) and match[2] in ROW_FIELDS:
        formset.forms[rows[int(match[1])]].add_error(ROW_FIELDS[match[2]], message)
        return []
    return [message]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recipients(request: HttpRequest, slug: str) -> HttpResponse:
    """Who the organization shares its earnings with, and how much: members see the shares,
    owners change them (up to eight recipients; the organization keeps the rest)."""
    organization = permissions.get_organization_for(request.user, slug)
    may_manage = permissions.can(request.user, organization, permissions.MANAGE_ORGANIZATION)
    active = list(organization.recipients.filter(active=True).select_related("user"))
    formset = RecipientFormSet(initial=recipient_rows(active), prefix="r")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("Only the organization's owners change the shares."))
        formset = RecipientFormSet(request.POST, initial=recipient_rows(active), prefix="r")
        if formset.is_valid():
            items, rows = [], []
            for index, form in enumerate(formset.forms):
                if form.is_blank():
                    continue
                data = form.cleaned_data
                items.append(
                    {
                        "id": data.get("id"),
                        "name": data.get("name") or "",
                        "email": data.get("email") or "",
                        "user": data.get("username"),
                        "share_percent": (data.get("share") or "").strip() or None,
                    }
                )
                rows.append(index)
            try:
                shares.set_recipients(organization, actor=request.user, recipients=items)
            except DomainError as exc:
                if exc.status == 403:
                    raise PermissionDenied(exc.message) from None
                errors = _share_error(exc, formset, rows)
                status = 400
            else:
                messages.success(request, _("The shares are saved."))
                return redirect("payments:recipients", organization.slug)
        else:
            errors = list(formset.non_form_errors())
            status = 400
    total = sum(r.share_basis_points for r in active)
    context = {
        "organization": organization,
        "currency": queries.DEFAULT_CURRENCY,
        "recipients": _recipient_rows(organization, queries.DEFAULT_CURRENCY),
        "kept_percent": f"{Decimal(10000 - total) / 100:f}",
        "may_manage": may_manage,
        "formset": formset,
        "errors": errors,
    }
    return render(request, "payments/recipients.html", context, status=status)


def _get_recipient_for(user, recipient_id: int) -> Recipient:
    """The recipient, for its linked user and the organization's members; 404 otherwise."""
    recipient = (
        Recipient.objects.select_related("organization", "user").filter(pk=recipient_id).first()
    )
    if recipient is None:
        raise Http404("Recipient not found")
    if recipient.user_id != user.pk and not permissions.can(
        user, recipient.organization, permissions.VIEW
    ):
        raise Http404("Recipient not found")
    return recipient


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recipient_statement(request: HttpRequest, recipient_id: int) -> HttpResponse:
    """A recipient's own statement: what each sale credited it, its payouts, its balance; the
    recipient (or an owner) requests a payout here. `?format=csv` gives the statement as CSV."""
    recipient = _get_recipient_for(request.user, recipient_id)
    organization = recipient.organization
    currencies = queries.currencies_of(organization)
    currency = _currency(request.POST.get("currency") or request.GET.get("currency"), currencies)
    account = queries.payable_account(organization, currency, recipient)
    if request.method != "POST" and request.GET.get("format") == "csv":
        return _statement_csv(
            queries.statement_lines(account), f"recipient-{recipient.pk}-statement-{currency}.csv"
        )
    may_request = services.may_request_payout(request.user, organization, recipient)
    form, status = PayoutRequestForm(), 200
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied(_("Only the recipient or the organization's owners."))
        form = PayoutRequestForm(request.POST)
        if form.is_valid():
            try:
                payout = services.request_payout(
                    organization,
                    actor=request.user,
                    amount_cents=form.cleaned_data["amount"],
                    currency=currency,
                    recipient=recipient,
                )
            except DomainError as exc:
                form.add_error("amount", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, _("Payout %(id)s is requested.") % {"id": payout.public_id}
                )
                return redirect("payments:recipient-statement", recipient.pk)
        else:
            status = 400
    balance = queries.balance_cents(organization, currency, recipient)
    requested = queries.requested_cents(organization, currency, recipient)
    context = {
        "recipient": recipient,
        "organization": organization,
        "currency": currency,
        "percent": f"{Decimal(recipient.share_basis_points) / 100:f}",
        "balance": balance,
        "requested": requested,
        "available": balance - requested,
        "history": list(reversed(queries.statement_lines(account))),
        "payouts": queries.payouts_of(organization, recipient=recipient),
        "may_request": may_request,
        "form": form,
    }
    return render(request, "payments/recipient_statement.html", context, status=status)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def payout_cancel(request: HttpRequest, payout_id: str) -> HttpResponse:
    """Withdraw a requested payout: staff, owners, or the recipient who asked for it."""
    payout = (
        Payout.objects.select_related("organization", "recipient")
        .filter(public_id=payout_id)
        .first()
    )
    user = request.user
    if payout is None or not (
        user.is_staff
        or permissions.can(user, payout.organization, permissions.VIEW)
        or (payout.recipient is not None and payout.recipient.user_id == user.pk)
    ):
        raise Http404("Payout not found")
    try:
        services.cancel_payout(payout, actor=user)
        messages.success(request, _("Payout %(id)s is cancelled.") % {"id": payout.public_id})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(
        _safe_next(request, reverse("payments:earnings", args=[payout.organization.slug]))
    )


@login_required
def staff_payouts(request: HttpRequest) -> HttpResponse:
    """Staff: payouts waiting to be sent, oldest first, then the latest ones decided."""
    check_reviewer(request.user)
    payouts = Payout.objects.select_related("organization", "recipient", "requested_by", "paid_by")
    return render(
        request,
        "payments/staff_payouts.html",
        {
            "requested": payouts.filter(status=Payout.Status.REQUESTED).order_by("requested_at"),
            "decided": payouts.exclude(status=Payout.Status.REQUESTED)[:50],
        },
    )


@login_required
@require_POST
def staff_payout_mark_paid(request: HttpRequest, payout_id: str) -> HttpResponse:
    check_reviewer(request.user)
    payout = Payout.objects.filter(public_id=payout_id).first()
    if payout is None:
        raise Http404("Payout not found")
    try:
        services.mark_payout_paid(
            payout, actor=request.user, reference=request.POST.get("reference", "")
        )
        messages.success(request, _("Payout %(id)s is paid.") % {"id": payout.public_id})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:staff-payouts")
