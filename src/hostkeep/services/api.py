"""Endpoints of orders and services: the caller's cart, checkout, orders and services
(customer router), and services and orders for staff (staff router). Permissions are
checked by the actions and selectors each endpoint calls."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.params import functions as param_functions

from hostkeep.accounts.permissions import Actor
from hostkeep.services import actions, selectors
from hostkeep.services.schemas import (
    CancelIn,
    CartItemAddedOut,
    CartItemIn,
    CartItemOut,
    CartQuoteOut,
    ChangeIn,
    ChangePreviewOut,
    CheckoutIn,
    DueDateIn,
    OrderOut,
    OrderStaffOut,
    ReasonIn,
    ServiceChangeOut,
    ServiceDetailOut,
    ServiceOut,
    ServiceStaffDetailOut,
    ServiceStaffOut,
)

customer_router = Router()
staff_router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


# --- the caller's own cart, orders and services -----------------------------------------


@customer_router.get("/cart/items", response=list[CartItemOut])
def cart_items(request: HttpRequest) -> Any:
    return selectors.cart_for_customer(_actor(request))


@customer_router.post("/cart/items", response={201: CartItemAddedOut})
def cart_item_add(request: HttpRequest, payload: CartItemIn) -> Any:
    """Put a plan with its choices in the cart; it is priced at once to prove the choices valid."""
    item, quote = actions.cart_add(
        actor=_actor(request),
        plan_id=payload.plan_id,
        period_unit=payload.period_unit,
        period_count=payload.period_count,
        option_values=payload.options,
        addon_codes=payload.addons,
        quantity=payload.quantity,
    )
    return Status(201, {"item": item, "quote": quote})


@customer_router.delete("/cart/items/{item_id}", response={204: None})
def cart_item_remove(request: HttpRequest, item_id: int) -> Any:
    actions.cart_remove(actor=_actor(request), item_id=item_id)
    return Status(204, None)


@customer_router.get("/cart/quote", response=CartQuoteOut)
def cart_quote(request: HttpRequest, promo_code: str = "") -> Any:
    """What checking out now would cost, promo code and tax included; nothing is ordered."""
    return selectors.cart_quote_for_customer(_actor(request), promo_code=promo_code)


@customer_router.post("/checkout", response={201: OrderOut})
def checkout(
    request: HttpRequest,
    payload: CheckoutIn,
    idempotency_key: Annotated[str, param_functions.Header(alias="Idempotency-Key")] = "",
) -> Any:
    """Order the cart. The same idempotency key (header or field) returns the same order."""
    order = actions.checkout(
        actor=_actor(request),
        promo_code=payload.promo_code,
        idempotency_key=idempotency_key or payload.idempotency_key,
    )
    return Status(201, order)


@customer_router.get("/orders", response=list[OrderOut])
@paginate(LimitOffsetPagination)
def orders(request: HttpRequest) -> Any:
    return selectors.orders_for_customer(_actor(request))


@customer_router.get("/orders/{order_id}", response=OrderOut)
def order(request: HttpRequest, order_id: int) -> Any:
    return selectors.order_for_customer(_actor(request), order_id)


@customer_router.get("/services", response=list[ServiceOut])
@paginate(LimitOffsetPagination)
def services(request: HttpRequest) -> Any:
    return selectors.services_for_customer(_actor(request))


@customer_router.get("/services/{service_id}", response=ServiceDetailOut)
def service(request: HttpRequest, service_id: int) -> Any:
    return selectors.service_for_customer(_actor(request), service_id)


@customer_router.post("/services/{service_id}/change/preview", response=ChangePreviewOut)
def service_change_preview(request: HttpRequest, service_id: int, payload: ChangeIn) -> Any:
    """What changing plan or options now would charge (> 0) or credit (< 0); nothing changes."""
    return actions.service_change_preview(
        actor=_actor(request), service_id=service_id, plan_id=payload.plan_id, option_values=payload.options
    )


@customer_router.post("/services/{service_id}/change", response={201: ServiceChangeOut})
def service_change(request: HttpRequest, service_id: int, payload: ChangeIn) -> Any:
    change = actions.service_change_apply(
        actor=_actor(request),
        service_id=service_id,
        plan_id=payload.plan_id,
        option_values=payload.options,
        reason=payload.reason,
    )
    return Status(201, change)


@customer_router.post("/services/{service_id}/cancel", response=ServiceOut)
def service_cancel(request: HttpRequest, service_id: int, payload: CancelIn) -> Any:
    """Cancel at the end of the paid period (``period_end``) or ``now`` with the product's refund rule."""
    return actions.service_cancel(
        actor=_actor(request), service_id=service_id, when=payload.when, reason=payload.reason
    )


# --- staff -------------------------------------------------------------------------------


@staff_router.get("/services", response=list[ServiceStaffOut])
@paginate(LimitOffsetPagination)
def staff_services(request: HttpRequest, status: str = "", search: str = "", customer_id: int | None = None) -> Any:
    return selectors.services_for_staff(_actor(request), status=status, search=search[:100], customer_id=customer_id)


@staff_router.get("/services/{service_id}", response=ServiceStaffDetailOut)
def staff_service(request: HttpRequest, service_id: int) -> Any:
    return selectors.service_for_staff(_actor(request), service_id)


@staff_router.post("/services/{service_id}/suspend", response=ServiceStaffDetailOut)
def staff_service_suspend(request: HttpRequest, service_id: int, payload: ReasonIn) -> Any:
    return actions.service_suspend(actor=_actor(request), service_id=service_id, reason=payload.reason)


@staff_router.post("/services/{service_id}/unsuspend", response=ServiceStaffDetailOut)
def staff_service_unsuspend(request: HttpRequest, service_id: int, payload: ReasonIn) -> Any:
    return actions.service_unsuspend(actor=_actor(request), service_id=service_id, reason=payload.reason)


@staff_router.post("/services/{service_id}/terminate", response=ServiceStaffDetailOut)
def staff_service_terminate(request: HttpRequest, service_id: int, payload: ReasonIn) -> Any:
    return actions.service_terminate(actor=_actor(request), service_id=service_id, reason=payload.reason)


@staff_router.post("/services/{service_id}/change-plan/preview", response=ChangePreviewOut)
def staff_service_change_preview(request: HttpRequest, service_id: int, payload: ChangeIn) -> Any:
    return actions.service_change_preview(
        actor=_actor(request),
        service_id=service_id,
        plan_id=payload.plan_id,
        option_values=payload.options,
        as_staff=True,
    )


@staff_router.post("/services/{service_id}/change-plan", response={201: ServiceChangeOut})
def staff_service_change_plan(request: HttpRequest, service_id: int, payload: ChangeIn) -> Any:
    change = actions.service_change_plan(
        actor=_actor(request),
        service_id=service_id,
        plan_id=payload.plan_id,
        option_values=payload.options,
        reason=payload.reason,
    )
    return Status(201, change)


@staff_router.post("/services/{service_id}/due-date", response=ServiceStaffDetailOut)
def staff_service_due_date(request: HttpRequest, service_id: int, payload: DueDateIn) -> Any:
    return actions.service_set_due_date(
        actor=_actor(request), service_id=service_id, due_date=payload.due_date, reason=payload.reason
    )


@staff_router.get("/orders", response=list[OrderStaffOut])
@paginate(LimitOffsetPagination)
def staff_orders(request: HttpRequest, status: str = "") -> Any:
    return selectors.orders_for_staff(_actor(request), status=status)


@staff_router.post("/orders/{order_id}/approve", response=OrderStaffOut)
def staff_order_approve(request: HttpRequest, order_id: int) -> Any:
    return actions.order_approve(actor=_actor(request), order_id=order_id)
