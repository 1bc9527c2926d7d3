"""Pricing: what an item costs, computed only from the catalogue.

A quote never takes a price from the customer: only the plan, the period, the currency, the
option values and the add-on codes, each checked against the catalogue. Amounts are kept to
4 places; tax is computed per line and rounded half-up to the currency's minor unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from hostkeep.catalog.choices import OptionKind, PeriodUnit, PricingModel, PromoKind, Visibility
from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
    OptionPrice,
    Plan,
    PlanPrice,
    Product,
    PromoCode,
)
from hostkeep.core.errors import ValidationFailed
from hostkeep.core.money import Money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PriceLine:
    kind: str  # plan, option, addon, setup, discount
    code: str
    description: str
    amount: Money
    recurring: bool


@dataclass(frozen=True)
class ItemQuote:
    """The price of one ordered item: its lines, what is paid now and what each period costs."""

    plan: Plan
    price: PlanPrice | None
    currency: str
    period_unit: str
    period_count: int
    lines: list[PriceLine]
    recurring_amount: Money
    first_payment: Money
    discount_first: Money
    discount_recurring: Money
    option_values: dict[str, Any]
    addon_codes: list[str]
    module_limits: dict[str, Any] = field(default_factory=dict)
    addon_amounts: dict[str, Money] = field(default_factory=dict)


def _refuse(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [message]})


def orderable_plan(plan: Plan) -> None:
    product: Product = plan.product
    if not plan.is_active or product.visibility == Visibility.RETIRED or not product.group.is_visible:
        raise _refuse("plan", _("This plan is not on sale."))


def order_period(plan: Plan, period_unit: str, period_count: Any) -> tuple[str, int]:
    """The billing period an order of ``plan`` asks for, made whole: a one-time plan is sold
    once, a pay-as-you-go plan bills monthly; anything else must name a period."""
    if plan.pricing_model == PricingModel.ONE_TIME:
        return PeriodUnit.ONCE, 1
    if plan.pricing_model == PricingModel.PAY_AS_YOU_GO:
        return PeriodUnit.MONTH, 1
    if period_unit not in PeriodUnit.values or period_unit == PeriodUnit.ONCE:
        raise _refuse("period_unit", _("Choose a billing period."))
    try:
        count = int(period_count)
    except (TypeError, ValueError):
        raise _refuse("period_count", _("Choose a billing period.")) from None
    return period_unit, count


def plan_price_for(plan: Plan, *, currency: str, period_unit: str, period_count: int) -> PlanPrice | None:
    if plan.pricing_model == PricingModel.PAY_AS_YOU_GO:
        return None
    if period_unit in (PeriodUnit.DAY, PeriodUnit.HOUR) and not plan.product.allows_short_periods:
        raise _refuse("period", _("This product is not sold by the day or hour."))
    price = next(
        (
            p
            for p in plan.prices.all()
            if p.currency == currency and p.period_unit == period_unit and p.period_count == period_count
        ),
        None,
    )
    if price is None:
        raise _refuse("period", _("This plan has no price for that period and currency."))
    return price


def _option_amount(
    option: ConfigurableOption, value: Any, *, currency: str, unit: str, count: int
) -> tuple[Decimal, Any, Any, str]:
    """(price delta, normalised value, value for the module, value as people read it) of one option."""
    prices: list[OptionPrice] = [
        p for p in option.prices.all() if p.currency == currency and p.period_unit == unit and p.period_count == count
    ]
    if option.kind == OptionKind.QUANTITY:
        if value is None:
            quantity = option.default_quantity
        else:
            try:
                quantity = int(str(value))
            except ValueError:
                raise _refuse(f"options.{option.code}", _("Enter a whole number.")) from None
        if quantity < option.minimum or quantity > option.maximum:
            raise _refuse(
                f"options.{option.code}",
                _("%(name)s must be between %(min)s and %(max)s.")
                % {"name": option.name, "min": option.minimum, "max": option.maximum},
            )
        if (quantity - option.minimum) % option.step:
            raise _refuse(
                f"options.{option.code}",
                _("%(name)s goes in steps of %(step)s.") % {"name": option.name, "step": option.step},
            )
        unit_price = next((p.amount for p in prices if p.choice_id is None), Decimal(0))
        charged = max(quantity - option.included_quantity, 0)
        return unit_price * charged, quantity, quantity * option.module_multiplier, str(quantity)
    choices = list(option.choices.all())
    if value is None:
        chosen = next((c for c in choices if c.is_default), choices[0] if choices else None)
    else:
        chosen = next((c for c in choices if c.code == str(value)), None)
    if chosen is None:
        raise _refuse(f"options.{option.code}", _("Choose one of the offered values."))
    amount = next((p.amount for p in prices if p.choice_id == chosen.pk), Decimal(0))
    return amount, chosen.code, chosen.module_value or chosen.code, chosen.label


def promo_discount(promo: PromoCode, *, plan: Plan, base: Money, at: dt.datetime) -> Money:
    """The discount a promo code gives on ``base`` (refusing a code that does not apply)."""
    if (
        not promo.is_active
        or (promo.starts_at and promo.starts_at > at)
        or (promo.expires_at and promo.expires_at <= at)
    ):
        raise _refuse("promo_code", _("This promo code is not valid now."))
    plan_ids = [p.pk for p in promo.plans.all()]
    if plan_ids and plan.pk not in plan_ids:
        raise _refuse("promo_code", _("This promo code does not apply to this plan."))
    if promo.kind == PromoKind.PERCENT:
        discount = base.amount * promo.value / HUNDRED
    else:
        if promo.currency != base.currency:
            raise _refuse("promo_code", _("This promo code is for another currency."))
        discount = promo.value
    return Money(min(discount, base.amount), base.currency)


def quote_item(
    *,
    plan: Plan,
    currency: str,
    period_unit: str,
    period_count: int,
    option_values: dict[str, Any] | None = None,
    addon_codes: list[str] | None = None,
    promo: PromoCode | None = None,
    at: dt.datetime,
) -> ItemQuote:
    """Price one item from the catalogue. Unknown options or add-ons are refused, not ignored."""
    orderable_plan(plan)
    option_values = dict(option_values or {})
    addon_codes = list(dict.fromkeys(addon_codes or []))
    product = plan.product
    price = plan_price_for(plan, currency=currency, period_unit=period_unit, period_count=period_count)
    zero = Money.zero(currency)
    lines: list[PriceLine] = []
    limits: dict[str, Any] = {}
    recurring = plan.pricing_model != PricingModel.ONE_TIME

    if price is not None:
        lines.append(PriceLine("plan", plan.code, plan.name, Money(price.amount, currency), recurring))
        if price.setup_fee:
            lines.append(PriceLine("setup", plan.code, _("Setup fee"), Money(price.setup_fee, currency), False))

    options = {option.code: option for option in product.options.all()}
    unknown = sorted(set(option_values) - set(options))
    if unknown:
        raise _refuse(f"options.{unknown[0]}", _("This product has no such option."))
    chosen: dict[str, Any] = {}
    for code, option in options.items():
        amount, normalised, module_value, shown = _option_amount(
            option, option_values.get(code), currency=currency, unit=period_unit, count=period_count
        )
        chosen[code] = normalised
        if option.module_field:
            limits[option.module_field] = module_value
        if amount:
            lines.append(PriceLine("option", code, f"{option.name}: {shown}", Money(amount, currency), recurring))

    addons = {addon.code: addon for addon in product.addons.all() if addon.is_active}
    addon_amounts: dict[str, Money] = {}
    for code in addon_codes:
        addon: Addon | None = addons.get(code)
        if addon is None:
            raise _refuse("addons", _("This add-on is not offered with this product."))
        addon_price: AddonPrice | None = next(
            (
                p
                for p in addon.prices.all()
                if p.currency == currency and p.period_unit == period_unit and p.period_count == period_count
            ),
            None,
        )
        if addon_price is None:
            raise _refuse("addons", _("This add-on has no price for that period and currency."))
        addon_amounts[code] = Money(addon_price.amount, currency)
        lines.append(PriceLine("addon", code, addon.name, Money(addon_price.amount, currency), recurring))
        if addon_price.setup_fee:
            lines.append(
                PriceLine(
                    "setup",
                    code,
                    _("Setup fee: %(name)s") % {"name": addon.name},
                    Money(addon_price.setup_fee, currency),
                    False,
                )
            )
        for key, extra in (addon.module_limits or {}).items():
            if isinstance(extra, int | float) and not isinstance(extra, bool):
                limits[key] = limits.get(key, 0) + extra
            else:
                limits[key] = extra

    period_total = Money(sum((line.amount.amount for line in lines if line.kind != "setup"), Decimal(0)), currency)
    one_off = Money(sum((line.amount.amount for line in lines if line.kind == "setup"), Decimal(0)), currency)
    discount_first = zero
    discount_recurring = zero
    if promo is not None:
        discount_first = promo_discount(promo, plan=plan, base=period_total, at=at)
        if promo.recurring:
            discount_recurring = discount_first
        if not discount_first.is_zero():
            lines.append(
                PriceLine(
                    "discount",
                    promo.code,
                    _("Promo code %(code)s") % {"code": promo.code},
                    -discount_first,
                    promo.recurring,
                )
            )
    first_payment = period_total + one_off - discount_first
    if plan.trial_days:
        first_payment = one_off  # the first period is free; it is billed when the trial ends
    return ItemQuote(
        plan=plan,
        price=price,
        currency=currency,
        period_unit=period_unit if price else PeriodUnit.MONTH,
        period_count=period_count if price else 1,
        lines=lines,
        recurring_amount=period_total - discount_recurring if recurring else zero,
        first_payment=first_payment,
        discount_first=discount_first,
        discount_recurring=discount_recurring,
        option_values=chosen,
        addon_codes=addon_codes,
        module_limits={
            **(product.module_settings.get("limits", {}) if isinstance(product.module_settings, dict) else {}),
            **limits,
        },
        addon_amounts=addon_amounts,
    )
