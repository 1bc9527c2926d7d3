"""Reads of the catalogue: what a customer may order, and the full catalogue for staff."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from hostkeep.catalog.choices import Visibility
from hostkeep.catalog.models import Addon, ConfigurableOption, Plan, Product, ProductGroup
from hostkeep.core.errors import NotFound

PRICING_PREFETCH = (
    "prices",
    "metered_prices",
    Prefetch("product__options", queryset=ConfigurableOption.objects.prefetch_related("choices", "prices")),
    Prefetch("product__addons", queryset=Addon.objects.filter(is_active=True).prefetch_related("prices")),
)


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
