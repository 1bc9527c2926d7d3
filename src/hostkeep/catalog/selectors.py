"""Reads of the catalogue: what a customer may order (priced in the customer's currency),
what an item would cost, and the full catalogue for staff."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.catalog.choices import Visibility
from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
    MeteredPrice,
    OptionPrice,
    Plan,
    PlanPrice,
    Product,
    ProductGroup,
    PromoCode,
)
from hostkeep.catalog.pricing import ItemQuote, order_period, quote_item
from hostkeep.catalog.tax import quote_tax_context
from hostkeep.core import clock
from hostkeep.core.errors import NotFound, ValidationFailed
from hostkeep.core.money import Money


def pricing_prefetch(prefix: str = "") -> tuple[str | Prefetch[Any], ...]:
    """Everything ``pricing.quote_item`` reads from a plan, for a queryset of plans (or of
    rows that point at a plan, with ``prefix="plan__"``)."""
    return (
        f"{prefix}prices",
        f"{prefix}metered_prices",
        Prefetch(
            f"{prefix}product__options", queryset=ConfigurableOption.objects.prefetch_related("choices", "prices")
        ),
        Prefetch(f"{prefix}product__addons", queryset=Addon.objects.filter(is_active=True).prefetch_related("prices")),
    )


PRICING_PREFETCH = pricing_prefetch()


def public_groups() -> QuerySet[ProductGroup]:
    """Groups with their public products and plans on sale, for the catalogue page."""
    plans = (
        Plan.objects.filter(is_active=True).prefetch_related("prices", "metered_prices").order_by("sort_order", "id")
    )
    products = (
        Product.objects.filter(visibility=Visibility.PUBLIC)
        .prefetch_related(Prefetch("plans", queryset=plans))
        .order_by("sort_order", "name")
    )
    return ProductGroup.objects.filter(is_visible=True).prefetch_related(Prefetch("products", queryset=products))


def orderable_product(slug: str) -> Product:
    """A product a customer may order from (public or hidden-by-link, never retired)."""
    product = (
        Product.objects.filter(slug=slug, group__is_visible=True)
        .exclude(visibility=Visibility.RETIRED)
        .prefetch_related(
            Prefetch(
                "plans", queryset=Plan.objects.filter(is_active=True).prefetch_related("prices", "metered_prices")
            ),
            Prefetch("options", queryset=ConfigurableOption.objects.prefetch_related("choices", "prices")),
            Prefetch("addons", queryset=Addon.objects.filter(is_active=True).prefetch_related("prices")),
        )
        .first()
    )
    if product is None:
        raise NotFound(_("No such product."))
    return product


def plan_for_ordering(plan_id: object) -> Plan:
    """A plan with everything pricing needs loaded; not found when it cannot be ordered."""
    try:
        plan = (
            Plan.objects.select_related("product__group")
            .prefetch_related(*PRICING_PREFETCH)
            .exclude(product__visibility=Visibility.RETIRED)
            .get(pk=int(str(plan_id)), is_active=True, product__group__is_visible=True)
        )
    except (Plan.DoesNotExist, ValueError):
        raise NotFound(_("No such plan.")) from None
    return plan


def promo_by_code(code: str, *, lock: bool = False) -> PromoCode | None:
    """The promo code a customer typed (any case), or None for an empty field; an unknown
    code is refused. ``lock`` holds the row for a checkout that will count a use."""
    code = (code or "").strip()
    if not code:
        return None
    message = _("No such promo code.")
    if len(code) > 40:
        raise ValidationFailed(message, fields={"promo_code": [message]})
    queryset = PromoCode.objects.select_for_update() if lock else PromoCode.objects.all()
    promo = queryset.prefetch_related("plans").filter(code__iexact=code).first()
    if promo is None:
        raise ValidationFailed(message, fields={"promo_code": [message]})
    return promo


def _in_currency(currency: str) -> tuple[Prefetch[Any], ...]:
    """Prefetches of a product's plans, options and add-ons with only ``currency``'s prices."""
    plans = (
        Plan.objects.filter(is_active=True)
        .order_by("sort_order", "id")
        .prefetch_related(
            Prefetch("prices", queryset=PlanPrice.objects.filter(currency=currency)),
            Prefetch("metered_prices", queryset=MeteredPrice.objects.filter(currency=currency)),
        )
    )
    options = ConfigurableOption.objects.prefetch_related(
        "choices", Prefetch("prices", queryset=OptionPrice.objects.filter(currency=currency).select_related("choice"))
    )
    addons = Addon.objects.filter(is_active=True).prefetch_related(
        Prefetch("prices", queryset=AddonPrice.objects.filter(currency=currency))
    )
    return (
        Prefetch("plans", queryset=plans),
        Prefetch("options", queryset=options),
        Prefetch("addons", queryset=addons),
    )


def catalogue_for_customer(actor: Actor) -> QuerySet[ProductGroup]:
    """The public catalogue, every price in the caller's account currency."""
    customer = actor.require_customer(CustomerPermission.VIEW_ACCOUNT)
    products = (
        Product.objects.filter(visibility=Visibility.PUBLIC)
        .order_by("sort_order", "name")
        .prefetch_related(*_in_currency(customer.currency))
    )
    return ProductGroup.objects.filter(is_visible=True).prefetch_related(Prefetch("products", queryset=products))


def product_for_customer(actor: Actor, slug: str) -> Product:
    """A product the caller may order (public or hidden-by-link), priced in its currency."""
    customer = actor.require_customer(CustomerPermission.VIEW_ACCOUNT)
    product = (
        Product.objects.filter(slug=slug, group__is_visible=True)
        .exclude(visibility=Visibility.RETIRED)
        .select_related("group")
        .prefetch_related(*_in_currency(customer.currency))
        .first()
    )
    if product is None:
        raise NotFound(_("No such product."))
    return product


def product_for_change(product_id: int, *, currency: str) -> Product | None:
    """The product of a service the caller already holds, with what it may change to; None
    when the product is retired (a retired product's services keep their plan)."""
    return (
        Product.objects.filter(pk=product_id, group__is_visible=True)
        .exclude(visibility=Visibility.RETIRED)
        .prefetch_related(*_in_currency(currency))
        .first()
    )


@dataclass(frozen=True)
class CustomerQuote:
    """What one item costs the caller: the catalogue's price lines, then tax on the first
    payment and on each later period at the rate for the caller's country."""

    item: ItemQuote
    tax_rate: Decimal
    net: Money
    tax: Money
    gross: Money
    recurring_net: Money
    recurring_tax: Money
    recurring_gross: Money


def item_quote_for_customer(
    actor: Actor,
    *,
    plan_id: object,
    period_unit: str,
    period_count: Any,
    option_values: dict[str, Any] | None = None,
    addon_codes: list[str] | None = None,
    promo_code: str = "",
) -> CustomerQuote:
    """Price an item for the caller without ordering it, exactly as checkout would."""
    customer = actor.require_customer(CustomerPermission.VIEW_ACCOUNT)
    if not isinstance(option_values or {}, dict) or not isinstance(addon_codes or [], list):
        raise ValidationFailed(
            _("Options must be an object and add-ons a list."),
            fields={"options": [_("Options must be an object and add-ons a list.")]},
        )
    plan = plan_for_ordering(plan_id)
    unit, count = order_period(plan, period_unit, period_count)
    quote = quote_item(
        plan=plan,
        currency=customer.currency,
        period_unit=unit,
        period_count=count,
        option_values=option_values,
        addon_codes=[str(code) for code in addon_codes or []],
        promo=promo_by_code(promo_code),
        at=clock.now(),
    )
    taxes = quote_tax_context(customer)
    rate, net, tax, gross = taxes.split(quote.first_payment, plan.product.tax_class_id)
    _rate, recurring_net, recurring_tax, recurring_gross = taxes.split(
        quote.recurring_amount, plan.product.tax_class_id
    )
    return CustomerQuote(
        item=quote,
        tax_rate=rate,
        net=net,
        tax=tax,
        gross=gross,
        recurring_net=recurring_net,
        recurring_tax=recurring_tax,
        recurring_gross=recurring_gross,
    )


def catalogue_for_staff(actor: Actor) -> QuerySet[ProductGroup]:
    """Every group, product, plan, price, option and add-on, hidden and retired ones too."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    plans = Plan.objects.order_by("sort_order", "id").prefetch_related("prices", "metered_prices")
    products = (
        Product.objects.order_by("sort_order", "name")
        .select_related("tax_class")
        .prefetch_related(
            Prefetch("plans", queryset=plans),
            Prefetch("options", queryset=ConfigurableOption.objects.prefetch_related("choices", "prices")),
            Prefetch("addons", queryset=Addon.objects.prefetch_related("prices")),
        )
    )
    return ProductGroup.objects.prefetch_related(Prefetch("products", queryset=products))


def promo_codes_for_staff(actor: Actor) -> QuerySet[PromoCode]:
    actor.require(StaffPermission.MANAGE_CATALOG)
    return PromoCode.objects.prefetch_related(Prefetch("plans", queryset=Plan.objects.select_related("product")))


def described_options(product_id: int, option_values: dict[str, Any]) -> list[tuple[str, str]]:
    """A service's option values as people read them: (option name, value or choice label),
    in the product's option order; values of options since removed keep their code."""
    options = ConfigurableOption.objects.filter(product_id=product_id).prefetch_related("choices")
    described = []
    known = set()
    for option in options:
        if option.code not in option_values:
            continue
        known.add(option.code)
        value = option_values[option.code]
        label = next((c.label for c in option.choices.all() if c.code == str(value)), str(value))
        described.append((option.name, label))
    described.extend((code, str(value)) for code, value in option_values.items() if code not in known)
    return described
