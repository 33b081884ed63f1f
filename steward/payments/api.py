from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from steward.catalog.queries import get_dataset_for
from steward.catalog.schemas import ErrorOut
from steward.lib.errors import DomainError, NotFound
from steward.lib.http import json_body, json_body_doc

from . import services
from .models import Order
from .schemas import order_payload

router = Router(tags=["orders"])
ERRORS = {
    400: ErrorOut, 401: ErrorOut, 402: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
    410: ErrorOut,
}  # fmt: skip


def _payload(request: HttpRequest, order: Order) -> dict:
    return order_payload(order, base_url=request.build_absolute_uri("/"))


def get_order_for(user, order_id: str, *, staff: bool = False) -> Order:
    """The order if `user` bought it (or is staff, where `staff` allows); 404 otherwise."""
    order = (
        Order.objects.select_related("dataset", "grant", "buyer", "organization")
        .filter(public_id=order_id)
        .first()
    )
    if order is None or not (order.buyer_id == user.pk or (staff and user.is_staff)):
        raise NotFound(_("Order not found"))
    return order


@router.post(
    "",
    response={200: dict, 201: dict, **ERRORS},
    summary="Order access to a dataset",
    openapi_extra=json_body_doc(
        {
            "datasetId": {"type": "string", "minLength": 1},
            "accessRequestId": {"type": ["string", "null"]},
        },
        required=("datasetId",),
    ),
)
def create_order(request: HttpRequest):
    """Body: `datasetId`, and `accessRequestId` where the terms needed approval (else your
    current access to the dataset is what you pay for). Send an `Idempotency-Key` header:
    a retry with the same key answers the same order. The answer's `checkoutUrl` is the page
    where you pay; `quote` is exactly what you will be charged."""
    data = json_body(request)
    dataset_id = data.get("datasetId")
    if not isinstance(dataset_id, str) or not dataset_id:
        raise DomainError(
            _("%(field)s: this field is required") % {"field": "datasetId"},
            code="required",
            field="datasetId",
        )
    dataset = get_dataset_for(request.user, dataset_id)
    key = request.headers.get("Idempotency-Key", "")
    order, created = services.create_order(
        dataset,
        buyer=request.user,
        access_request_id=data.get("accessRequestId"),
        idempotency_key=key,
        actor=request.auth,
    )
    return Status(201 if created else 200, _payload(request, order))


@router.get("/{order_id}", response={200: dict, **ERRORS}, summary="An order")
def get_order(request: HttpRequest, order_id: str):
    return _payload(request, get_order_for(request.user, order_id, staff=True))


@router.post("/{order_id}/cancel", response={200: dict, **ERRORS}, summary="Cancel your order")
def cancel_order(request: HttpRequest, order_id: str):
    order = get_order_for(request.user, order_id)
    return _payload(request, services.cancel_order(order, actor=request.auth))


@router.post(
    "/{order_id}/mark-paid",
    response={200: dict, **ERRORS},
    summary="Mark an order paid (staff)",
    openapi_extra=json_body_doc({"reference": {"type": "string"}}),
)
def mark_paid(request: HttpRequest, order_id: str):
    """For the manual provider: the money arrived. Body (optional): `reference` (the bank's)."""
    order = get_order_for(request.user, order_id, staff=True)
    services.require_staff(request.auth)
    reference = json_body(request).get("reference", "")
    return _payload(request, services.mark_paid(order, actor=request.auth, reference=reference))


@router.post(
    "/{order_id}/refund",
    response={200: dict, **ERRORS},
    summary="Refund (staff)",
    openapi_extra=json_body_doc(
        {"reason": {"type": "string", "pattern": r"\S"}}, required=("reason",)
    ),
)
def refund(request: HttpRequest, order_id: str):
    """Return a paid order's money: the buyer's access ends. Body: `reason` (required)."""
    order = get_order_for(request.user, order_id, staff=True)
    services.require_staff(request.auth)
    reason = json_body(request).get("reason")
    return _payload(request, services.refund(order, actor=request.auth, reason=reason))
