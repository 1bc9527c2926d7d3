"""Shapes of the orders and services API. Customer request schemas carry choices only:
there is no price, amount or total field to send, and unknown fields in a body are
ignored, so prices are always the server's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from hostkeep.catalog.schemas import PriceLineOut


class CartItemIn(Schema):
    plan_id: int
    period_unit: str = "month"
    period_count: int = 1
    options: dict[str, int | str] = Field(default_factory=dict)
    addons: list[str] = Field(default_factory=list)
    quantity: int = 1


class CartItemOut(Schema):
    id: int
    plan_id: int
    plan: str = Field(alias="plan.name")
    product: str = Field(alias="plan.product.name")
    period_unit: str
    period_count: int
    options: dict[str, Any] = Field(alias="option_values")
    addons: list[str] = Field(alias="addon_codes")
    quantity: int
    created_at: dt.datetime


class ItemQuoteOut(Schema):
    """A ``catalog.pricing.ItemQuote`` before tax."""

    currency: str
    lines: list[PriceLineOut]
    recurring_amount: Decimal = Field(alias="recurring_amount.amount")
    first_payment: Decimal = Field(alias="first_payment.amount")


class CartItemAddedOut(Schema):
    item: CartItemOut
    quote: ItemQuoteOut


class CartLineOut(Schema):
    """One ordered unit of a cart item, taxed."""

    cart_item_id: int = Field(alias="item.pk")
    lines: list[PriceLineOut] = Field(alias="quote.lines")
    recurring_amount: Decimal = Field(alias="quote.recurring_amount.amount")
    discount: Decimal = Field(alias="quote.discount_first.amount")
    tax_rate: Decimal
    net: Decimal = Field(alias="net.amount")
    tax: Decimal = Field(alias="tax.amount")
    gross: Decimal = Field(alias="gross.amount")


class CartQuoteOut(Schema):
    """A ``services.actions.CheckoutQuote``: what checking out now would cost."""

    currency: str
    promo_code: str | None
    lines: list[CartLineOut]
    net: Decimal = Field(alias="net.amount")
    discount: Decimal = Field(alias="discount.amount")
    tax: Decimal = Field(alias="tax.amount")
    total: Decimal = Field(alias="total.amount")

    @staticmethod
    def resolve_promo_code(quote: Any) -> str | None:
        return quote.promo.code if quote.promo is not None else None


class CheckoutIn(Schema):
    promo_code: str = Field("", max_length=40)
    idempotency_key: str = Field("", max_length=100)


class OrderLineOut(Schema):
    id: int
    plan_id: int
    description: str
    period_unit: str
    period_count: int
    options: dict[str, Any] = Field(alias="option_values")
    addons: list[str] = Field(alias="addon_codes")
    recurring_amount: Decimal
    first_amount: Decimal
    discount: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


class OrderOut(Schema):
    id: int
    number: str
    status: str
    currency: str
    net_total: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    created_at: dt.datetime
    lines: list[OrderLineOut]


class OrderStaffOut(OrderOut):
    customer_id: int
    customer_name: str = Field(alias="customer.name")


class ServiceOut(Schema):
    id: int
    label: str
    status: str
    product_id: int
    product: str = Field(alias="product.name")
    plan_id: int
    plan: str = Field(alias="plan.name")
    currency: str
    period_unit: str
    period_count: int
    current_period_start: dt.datetime
    current_period_end: dt.datetime
    next_due_date: dt.date
    recurring_amount: Decimal
    auto_renew: bool
    cancel_at_period_end: bool
    created_at: dt.datetime
    order_number: str | None

    @staticmethod
    def resolve_order_number(service: Any) -> str | None:
        return service.order_line.order.number if service.order_line_id else None


class ServiceAddonOut(Schema):
    code: str = Field(alias="addon.code")
    name: str = Field(alias="addon.name")
    recurring_amount: Decimal
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class ServiceEventOut(Schema):
    occurred_at: dt.datetime
    from_status: str
    to_status: str
    actor_label: str
    reason: str


class ServiceChangeOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    from_plan_id: int
    to_plan_id: int
    from_options: dict[str, Any]
    to_options: dict[str, Any]
    old_rate: Decimal
    new_rate: Decimal
    seconds_left: int
    seconds_total: int
    amount: Decimal
    currency: str
    reason: str


class ServiceDetailOut(ServiceOut):
    options: dict[str, Any] = Field(alias="option_values")
    paid_rate: Decimal
    addons: list[ServiceAddonOut]
    events: list[ServiceEventOut]
    changes: list[ServiceChangeOut]


class ServiceStaffOut(ServiceOut):
    customer_id: int
    customer_name: str = Field(alias="customer.name")


class ServiceStaffDetailOut(ServiceDetailOut):
    customer_id: int
    customer_name: str = Field(alias="customer.name")
    module_limits: dict[str, Any]


class ChangeIn(Schema):
    plan_id: int | None = None
    options: dict[str, int | str] = Field(default_factory=dict)
    reason: str = Field("", max_length=1000)


class ChangePreviewOut(Schema):
    """A ``services.actions.ChangeQuote``: ``amount`` > 0 is charged, < 0 credited."""

    kind: str
    plan_id: int = Field(alias="plan.pk")
    options: dict[str, Any] = Field(alias="quote.option_values")
    currency: str = Field(alias="amount.currency")
    old_rate: Decimal = Field(alias="old_rate.amount")
    new_rate: Decimal = Field(alias="new_rate.amount")
    seconds_left: int
    seconds_total: int
    amount: Decimal = Field(alias="amount.amount")


class CancelIn(Schema):
    when: str
    reason: str = Field("", max_length=1000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=1000)


class DueDateIn(Schema):
    due_date: dt.date
    reason: str = Field("", max_length=1000)
