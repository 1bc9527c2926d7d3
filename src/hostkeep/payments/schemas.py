"""Shapes of the payments API. Amounts go out as decimals with their currency and come in as
strings, which the actions read exactly (no float ever carries money)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class PaymentOut(Schema):
    id: int
    number: str
    status: str
    kind: str
    gateway: str = Field(alias="account.gateway")
    method: str = Field(alias="account.label")
    amount: Decimal
    amount_received: Decimal
    amount_refunded: Decimal
    currency: str
    reference: str
    bank_reference: str | None
    redirect_url: str
    created_at: dt.datetime
    succeeded_at: dt.datetime | None


class PaymentStaffOut(PaymentOut):
    customer_id: int
    gateway_payment_id: str
    gateway_transaction_id: str | None
    decline_reason: str


class PaymentIn(Schema):
    account_id: int
    amount: str
    reference: str = "top-up"
    idempotency_key: str = Field(min_length=1, max_length=64)
    save_method: bool = False


class PaymentOptionOut(Schema):
    account_id: int = Field(alias="account.pk")
    label: str = Field(alias="account.label")
    gateway: str = Field(alias="account.gateway")
    can_save_method: bool
    offline: bool


class SavedMethodOut(Schema):
    id: int
    label: str
    method: str = Field(alias="account.label")
    is_default: bool
    created_at: dt.datetime


class RefundIn(Schema):
    amount: str
    reason: str
    idempotency_key: str = Field(min_length=1, max_length=64)


class RefundOut(Schema):
    id: int
    payment_id: int
    status: str
    amount: Decimal
    currency: str
    reason: str
    failure_reason: str
