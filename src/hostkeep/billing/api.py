"""Endpoints of billing: the caller's balance, its history, invoices and a promised payment
(customer router); a customer's ledger, invoices, receivables by age and the manual money
operations (staff router). Permissions are checked by the selectors and actions called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.accounts.permissions import Actor
from hostkeep.billing import actions, selectors
from hostkeep.billing.schemas import (
    BalanceOut,
    CustomerBalanceOut,
    HistoryEntryOut,
    InvoiceDetailOut,
    InvoiceOut,
    InvoiceStaffOut,
    ManualMoneyIn,
    PromisedPaymentIn,
    PromisedPaymentOut,
    ReasonIn,
    ReceivablesOut,
    TransactionOut,
)

customer_router = Router()
staff_router = Router()

MONEY_ACTIONS: dict[str, Callable[..., Any]] = {
    "credit": actions.manual_credit,
    "charge": actions.manual_charge,
    "refund": actions.manual_refund,
}


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


# --- the caller's own billing ------------------------------------------------------------


@customer_router.get("/balance", response=BalanceOut)
def balance(request: HttpRequest) -> Any:
    return selectors.billing_summary_for_customer(_actor(request))


@customer_router.get("/history", response=list[HistoryEntryOut])
@paginate(LimitOffsetPagination)
def history(request: HttpRequest) -> Any:
    return selectors.balance_history_for_customer(_actor(request))


@customer_router.get("/invoices", response=list[InvoiceOut])
@paginate(LimitOffsetPagination)
def invoices(request: HttpRequest) -> Any:
    return selectors.invoices_for_customer(_actor(request))


@customer_router.get("/invoices/{invoice_id}", response=InvoiceDetailOut)
def invoice(request: HttpRequest, invoice_id: int) -> Any:
    return selectors.invoice_for_customer(_actor(request), invoice_id)


@customer_router.post("/promised-payment", response={201: PromisedPaymentOut})
def promised_payment(request: HttpRequest, payload: PromisedPaymentIn) -> Any:
    """Take temporary credit (capped, for a few days, at most once in a while)."""
    return Status(201, actions.promised_payment_take(actor=_actor(request), amount=payload.amount))


# --- staff -------------------------------------------------------------------------------


@staff_router.get("/customers/{customer_id}/ledger", response=list[TransactionOut])
@paginate(LimitOffsetPagination)
def staff_ledger(request: HttpRequest, customer_id: int) -> Any:
    return selectors.ledger_for_staff(_actor(request), customer_id)


def _money_endpoint(verb: str) -> Callable[..., Any]:
    def endpoint(request: HttpRequest, customer_id: int, payload: ManualMoneyIn) -> Any:
        actor = _actor(request)
        result = MONEY_ACTIONS[verb](
            actor=actor,
            customer_id=customer_id,
            amount=payload.amount,
            reason=payload.reason,
            key=payload.idempotency_key,
        )
        summary = selectors.customer_billing_for_staff(actor, customer_id)
        return {
            "customer_id": summary.customer.pk,
            "currency": summary.balance.currency,
            "balance": summary.balance.amount,
            "invoice_id": result.pk if result is not None else None,
        }

    endpoint.__name__ = f"staff_customer_{verb}"
    endpoint.__doc__ = f"Manual {verb} with a reason; the same idempotency key posts once."
    return endpoint


for _verb in MONEY_ACTIONS:
    staff_router.post(f"/customers/{{customer_id}}/{_verb}", response=CustomerBalanceOut)(_money_endpoint(_verb))


@staff_router.get("/invoices", response=list[InvoiceStaffOut])
@paginate(LimitOffsetPagination)
def staff_invoices(request: HttpRequest, status: str = "", customer_id: int | None = None, search: str = "") -> Any:
    return selectors.invoices_for_staff(_actor(request), status=status, customer_id=customer_id, search=search[:100])


@staff_router.get("/receivables", response=ReceivablesOut)
def staff_receivables(request: HttpRequest) -> Any:
    return selectors.receivables_by_age(_actor(request))


@staff_router.post("/invoices/{invoice_id}/void", response=InvoiceStaffOut)
def staff_invoice_void(request: HttpRequest, invoice_id: int, payload: ReasonIn) -> Any:
    return actions.invoice_void(actor=_actor(request), invoice_id=invoice_id, reason=payload.reason)


@staff_router.post("/invoices/{invoice_id}/credit-note", response={201: InvoiceStaffOut})
def staff_credit_note(request: HttpRequest, invoice_id: int, payload: ReasonIn) -> Any:
    return Status(
        201, actions.credit_note_for_invoice(actor=_actor(request), invoice_id=invoice_id, reason=payload.reason)
    )
