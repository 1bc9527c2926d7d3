"""The catalogue in Django admin: the provider's configuration area for groups, products,
plans and their prices, options, add-ons, promo codes and tax classes.

Who may open it is decided by permissions.py (the catalogue permission of the staff role),
not by Django's per-model permission flags; a product's module settings are checked
against the module's schema exactly as ``catalog_save`` checks them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.permissions import StaffPermission
from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
    MeteredPrice,
    OptionChoice,
    OptionPrice,
    Plan,
    PlanPrice,
    Product,
    ProductGroup,
    PromoCode,
    TaxClass,
    TaxRate,
)
from hostkeep.catalog.modules import module_choices, validate_module_settings
from hostkeep.core.errors import ValidationFailed


def _may_manage_catalog(request: HttpRequest) -> bool:
    actor = getattr(request, "actor", None)
    return bool(actor is not None and actor.can(StaffPermission.MANAGE_CATALOG))


class CatalogPermissions:
    """Every admin permission question answered by the staff role's catalogue permission."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_manage_catalog(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_catalog(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _may_manage_catalog(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_catalog(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_catalog(request)


class CatalogAdmin(CatalogPermissions, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class CatalogInline(CatalogPermissions, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0


@admin.register(ProductGroup)
class ProductGroupAdmin(CatalogAdmin):
    list_display = ("name", "slug", "sort_order", "is_visible")
    list_editable = ("sort_order", "is_visible")
    prepopulated_fields = {"slug": ("name",)}


class ProductForm(forms.ModelForm):  # type: ignore[type-arg]
    """Offers the registered provisioning modules and refuses settings their schema refuses."""

    module = forms.ChoiceField(label=_("Provisioning module"), required=False, choices=module_choices)

    class Meta:
        model = Product
        fields = (
            "group",
            "name",
            "slug",
            "description",
            "visibility",
            "sort_order",
            "stock_limit",
            "module",
            "module_settings",
            "tax_class",
            "grace_days",
            "termination_days",
            "auto_renew_default",
            "requires_approval",
            "refund_policy",
            "allows_short_periods",
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        try:
            cleaned["module_settings"] = validate_module_settings(
                cleaned.get("module", ""), cleaned.get("module_settings") or {}
            )
        except ValidationFailed as error:
            for field, problems in error.fields.items():
                for problem in problems:
                    target = field if field in ("module", "module_settings") else "module_settings"
                    prefix = "" if target == field else f"{field}: "
                    self.add_error(target, f"{prefix}{problem}")
        return cleaned


@admin.register(Product)
class ProductAdmin(CatalogAdmin):
    form = ProductForm
    list_display = ("name", "group", "visibility", "stock_used", "stock_limit", "module", "requires_approval")
    list_filter = ("group", "visibility", "module", "requires_approval")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("stock_used",)


class PlanPriceInline(CatalogInline):
    model = PlanPrice


class MeteredPriceInline(CatalogInline):
    model = MeteredPrice


@admin.register(Plan)
class PlanAdmin(CatalogAdmin):
    list_display = ("name", "code", "product", "pricing_model", "trial_days", "is_active", "sort_order")
    list_filter = ("product", "pricing_model", "is_active")
    search_fields = ("name", "code", "product__name")
    inlines = (PlanPriceInline, MeteredPriceInline)


class OptionChoiceInline(CatalogInline):
    model = OptionChoice


class OptionPriceInline(CatalogInline):
    model = OptionPrice


@admin.register(ConfigurableOption)
class ConfigurableOptionAdmin(CatalogAdmin):
    list_display = ("name", "code", "product", "kind", "minimum", "maximum", "module_field")
    list_filter = ("product", "kind")
    inlines = (OptionChoiceInline, OptionPriceInline)


class AddonPriceInline(CatalogInline):
    model = AddonPrice


@admin.register(Addon)
class AddonAdmin(CatalogAdmin):
    list_display = ("name", "code", "is_active")
    filter_horizontal = ("products",)
    inlines = (AddonPriceInline,)


@admin.register(PromoCode)
class PromoCodeAdmin(CatalogAdmin):
    list_display = (
        "code",
        "kind",
        "value",
        "currency",
        "recurring",
        "times_used",
        "max_uses",
        "expires_at",
        "is_active",
    )
    list_filter = ("kind", "recurring", "is_active")
    search_fields = ("code",)
    filter_horizontal = ("plans",)
    readonly_fields = ("times_used",)


class TaxRateInline(CatalogInline):
    model = TaxRate


@admin.register(TaxClass)
class TaxClassAdmin(CatalogAdmin):
    list_display = ("name", "code")
    inlines = (TaxRateInline,)
