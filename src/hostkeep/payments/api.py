"""Payments endpoints: the caller's payments, payment options and saved methods, and starting a
payment (``customer_router``); every payment, refunds and the review queue (``staff_router``).
Permissions are checked by the selectors and actions called."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.accounts.permissions import Actor
from hostkeep.payments import actions, selectors
from hostkeep.payments.schemas import (
    PaymentIn,
    PaymentOptionOut,
    PaymentOut,
    PaymentStaffOut,
    RefundIn,
    RefundOut,
    SavedMethodOut,
)

customer_router = Router()
staff_router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


@customer_router.get("/", response=list[PaymentOut])
@paginate(LimitOffsetPagination)
def payments(request: HttpRequest) -> Any:
    return selectors.payments_for_customer(_actor(request))


@customer_router.get("/options", response=list[PaymentOptionOut])
def options(request: HttpRequest) -> Any:
    return selectors.payment_options_for_customer(_actor(request))


@customer_router.get("/methods", response=list[SavedMethodOut])
def methods(request: HttpRequest) -> Any:
    return selectors.saved_methods_for_customer(_actor(request))


@customer_router.get("/{payment_id}", response=PaymentOut)
def payment(request: HttpRequest, payment_id: int) -> Any:
    return selectors.payment_for_customer(_actor(request), payment_id)


@customer_router.post("/", response={201: PaymentOut})
def payment_start(request: HttpRequest, payload: PaymentIn) -> Any:
    """Start paying through an enabled gateway; send the buyer to ``redirect_url`` (or show
    the bank reference). The same idempotency key returns the same payment."""
    started = actions.payment_start(
        actor=_actor(request),
        account_id=payload.account_id,
        amount=payload.amount,
        reference=payload.reference[:120],
        idempotency_key=payload.idempotency_key,
        save_method=payload.save_method,
    )
    return Status(201, started)


@staff_router.get("/", response=list[PaymentStaffOut])
@paginate(LimitOffsetPagination)
def staff_payments(request: HttpRequest, status: str = "", customer_id: int | None = None, gateway: str = "") -> Any:
    return selectors.payments_for_staff(_actor(request), status=status, customer_id=customer_id, gateway=gateway)


@staff_router.get("/{payment_id}", response=PaymentStaffOut)
def staff_payment(request: HttpRequest, payment_id: int) -> Any:
    return selectors.payment_for_staff(_actor(request), payment_id)


@staff_router.post("/{payment_id}/refunds", response={201: RefundOut})
def staff_refund(request: HttpRequest, payment_id: int, payload: RefundIn) -> Any:
    """Refund part or all of a payment (never more than it brought in), once per key."""
    refund = actions.refund_request(
        actor=_actor(request),
        payment_id=payment_id,
        amount=payload.amount,
        reason=payload.reason,
        key=payload.idempotency_key,
    )
    return Status(201, refund)
