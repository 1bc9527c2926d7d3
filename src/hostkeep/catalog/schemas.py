"""Shapes of the catalogue API. Request schemas for customers carry choices only (plan,
period, option values, add-on codes, a promo code): nothing price-like is read from a
customer, and unknown fields in a body are ignored (pydantic's default)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class PlanPriceOut(Schema):
    currency: str
    period_unit: str
    period_count: int
    amount: Decimal
    setup_fee: Decimal


class MeteredPriceOut(Schema):
    resource: str
    unit: str
    currency: str
    unit_price: Decimal
    included_quantity: Decimal


class PlanOut(Schema):
    id: int
    code: str
    name: str
    description: str
    pricing_model: str
    trial_days: int
    prices: list[PlanPriceOut]
    metered_prices: list[MeteredPriceOut]


class OptionChoiceOut(Schema):
    code: str
    label: str
    is_default: bool


class OptionPriceOut(Schema):
    choice: str | None
    currency: str
    period_unit: str
    period_count: int
    amount: Decimal

    @staticmethod
    def resolve_choice(price: Any) -> str | None:
        return price.choice.code if price.choice_id else None


class OptionOut(Schema):
    code: str
    name: str
    kind: str
    minimum: int
    maximum: int
    step: int
    default_quantity: int
    included_quantity: int
    choices: list[OptionChoiceOut]
    prices: list[OptionPriceOut]


class AddonPriceOut(Schema):
    currency: str
    period_unit: str
    period_count: int
    amount: Decimal
    setup_fee: Decimal


class AddonOut(Schema):
    code: str
    name: str
    description: str
    prices: list[AddonPriceOut]


class ProductOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    plans: list[PlanOut]
    options: list[OptionOut]
    addons: list[AddonOut]


class GroupOut(Schema):
    slug: str
    name: str
    description: str
    products: list[ProductOut]


class QuoteIn(Schema):
    plan_id: int
    period_unit: str = "month"
    period_count: int = 1
    options: dict[str, int | str] = Field(default_factory=dict)
    addons: list[str] = Field(default_factory=list)
    promo_code: str = Field("", max_length=40)


class PriceLineOut(Schema):
    kind: str
    code: str
    description: str
    amount: Decimal = Field(alias="amount.amount")
    recurring: bool


class QuoteOut(Schema):
    """A ``catalog.selectors.CustomerQuote``: the catalogue's lines, then tax on the first payment."""

    plan_id: int = Field(alias="item.plan.pk")
    currency: str = Field(alias="item.currency")
    period_unit: str = Field(alias="item.period_unit")
    period_count: int = Field(alias="item.period_count")
    options: dict[str, Any] = Field(alias="item.option_values")
    addons: list[str] = Field(alias="item.addon_codes")
    lines: list[PriceLineOut] = Field(alias="item.lines")
    discount: Decimal = Field(alias="item.discount_first.amount")
    recurring_amount: Decimal = Field(alias="item.recurring_amount.amount")
    first_payment: Decimal = Field(alias="item.first_payment.amount")
    tax_rate: Decimal
    net: Decimal = Field(alias="net.amount")
    tax: Decimal = Field(alias="tax.amount")
    total: Decimal = Field(alias="gross.amount")


# --- staff: catalogue management through catalog.actions.catalog_save ----------------------
# POST creates, PUT replaces (fields left out take their defaults, as on creation).


class ProductIn(Schema):
    group_id: int
    name: str = Field(max_length=160)
    slug: str = Field(max_length=80)
    description: str = ""
    visibility: str = "public"
    sort_order: int = 0
    stock_limit: int | None = None
    module: str = ""
    module_settings: dict[str, Any] = Field(default_factory=dict)
    tax_class_id: int | None = None
    grace_days: int = 3
    termination_days: int = 14
    auto_renew_default: bool = True
    requires_approval: bool = False
    refund_policy: str = "prorated"
    allows_short_periods: bool = False


class ProductStaffOut(ProductIn):
    id: int
    stock_used: int


class PlanIn(Schema):
    product_id: int
    code: str = Field(max_length=60)
    name: str = Field(max_length=120)
    description: str = ""
    pricing_model: str
    trial_days: int = 0
    is_active: bool = True
    sort_order: int = 0
    rules_of_service: str = ""


class PlanStaffOut(PlanIn):
    id: int


class PlanPriceIn(Schema):
    plan_id: int
    currency: str = Field(max_length=3)
    period_unit: str
    period_count: int = 1
    amount: Decimal
    setup_fee: Decimal = Decimal(0)


class PlanPriceStaffOut(PlanPriceIn):
    id: int


class OptionIn(Schema):
    product_id: int
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)
    kind: str
    minimum: int = 0
    maximum: int = 0
    step: int = 1
    default_quantity: int = 0
    included_quantity: int = 0
    module_field: str = ""
    module_multiplier: int = 1
    sort_order: int = 0


class OptionStaffOut(OptionIn):
    id: int


class PromoCodeIn(Schema):
    code: str = Field(max_length=40)
    kind: str
    value: Decimal
    currency: str = ""
    recurring: bool = False
    starts_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    is_active: bool = True


class PromoCodeStaffOut(PromoCodeIn):
    id: int
    times_used: int
    plan_ids: list[int]

    @staticmethod
    def resolve_plan_ids(promo: Any) -> list[int]:
        return sorted(plan.pk for plan in promo.plans.all())


class PromoPlansIn(Schema):
    plan_ids: list[int]
