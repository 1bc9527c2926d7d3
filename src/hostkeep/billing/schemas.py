"""Shapes of the billing API. Amounts go out as decimals with their currency and come in as
strings, which the actions read exactly (no float ever carries money)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class PromisedPaymentOut(Schema):
    id: int
    amount: Decimal
    currency: str
    status: str
    taken_at: dt.datetime
    expires_at: dt.datetime


class BalanceOut(Schema):
    """A ``billing.selectors.BillingSummary``."""

    currency: str = Field(alias="balance.currency")
    balance: Decimal = Field(alias="balance.amount")
    promised_payment: PromisedPaymentOut | None
    promised_payment_cap: Decimal = Field(alias="promised_payment_cap.amount")
    promised_payment_days: int


class HistoryEntryOut(Schema):
    """One movement of the balance: ``amount`` > 0 is money in."""

    id: int
    occurred_at: dt.datetime = Field(alias="transaction.occurred_at")
    kind: str = Field(alias="transaction.kind")
    description: str = Field(alias="transaction.description")
    amount: Decimal = Field(alias="change")
    currency: str


class InvoiceLineOut(Schema):
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal
    gross: Decimal
    period_start: dt.datetime | None
    period_end: dt.datetime | None


class InvoiceOut(Schema):
    id: int
    kind: str
    number: str | None
    status: str
    currency: str
    issued_at: dt.datetime | None
    due_date: dt.date | None
    paid_at: dt.datetime | None
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal
    credit_note_for_id: int | None


class InvoiceDetailOut(InvoiceOut):
    reverse_charge: bool
    customer_name: str
    customer_tax_id: str
    customer_country: str
    legal_entity: str = Field(alias="legal_entity.name")
    lines: list[InvoiceLineOut]


class InvoiceStaffOut(InvoiceOut):
    customer_id: int
    customer: str = Field(alias="customer.name")


class PromisedPaymentIn(Schema):
    amount: str = Field(max_length=32)


class ManualMoneyIn(Schema):
    amount: str = Field(max_length=32)
    reason: str = Field(default="", max_length=500)
    idempotency_key: str = Field(min_length=1, max_length=100)


class ReasonIn(Schema):
    reason: str = Field(default="", max_length=500)


class EntryOut(Schema):
    account_id: int
    account_kind: str = Field(alias="account.kind")
    currency: str
    amount: Decimal


class TransactionOut(Schema):
    id: int
    kind: str
    description: str
    occurred_at: dt.datetime
    reverses_id: int | None
    reference_type: str
    reference_id: str
    actor_label: str
    entries: list[EntryOut]


class CustomerBalanceOut(Schema):
    """What a manual operation leaves: the customer's balance (and the charge's invoice)."""

    customer_id: int
    currency: str
    balance: Decimal
    invoice_id: int | None = None


class ReceivableRowOut(Schema):
    customer_id: int
    customer_name: str
    currency: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    total: Decimal


class ReceivableTotalOut(Schema):
    currency: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    total: Decimal


class ReceivablesOut(Schema):
    at: dt.date
    rows: list[ReceivableRowOut]
    totals: list[ReceivableTotalOut]
