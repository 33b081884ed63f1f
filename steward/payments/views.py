from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.catalog.queries import get_dataset_for
from steward.lib.errors import DomainError, NotFound
from steward.organizations.permissions import check_reviewer

from . import services
from .api import get_order_for
from .models import Order


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
    try:
        services.refund(order, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Order %(id)s is refunded.") % {"id": order.public_id})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:staff-orders")
