"""Writes of the catalogue, by staff with the catalogue permission; each is validated
(module settings against the module's schema included) and audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.accounts.selectors import get_scoped
from hostkeep.catalog.models import ConfigurableOption, Plan, PlanPrice, Product, ProductGroup, PromoCode
from hostkeep.catalog.modules import validate_module_settings
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.core.money import MINOR_UNITS
from hostkeep.core.validation import validated

EDITABLE: dict[type[models.Model], tuple[str, ...]] = {
    ProductGroup: ("name", "slug", "description", "sort_order", "is_visible"),
    Product: (
        "group_id",
        "name",
        "slug",
        "description",
        "visibility",
        "sort_order",
        "stock_limit",
        "module",
        "module_settings",
        "tax_class_id",
        "grace_days",
        "termination_days",
        "auto_renew_default",
        "requires_approval",
        "refund_policy",
        "allows_short_periods",
    ),
    Plan: (
        "product_id",
        "code",
        "name",
        "description",
        "pricing_model",
        "trial_days",
        "is_active",
        "sort_order",
        "rules_of_service",
    ),
    PlanPrice: ("plan_id", "currency", "period_unit", "period_count", "amount", "setup_fee"),
    ConfigurableOption: (
        "product_id",
        "code",
        "name",
        "kind",
        "minimum",
        "maximum",
        "step",
        "default_quantity",
        "included_quantity",
        "module_field",
        "module_multiplier",
        "sort_order",
    ),
    PromoCode: (
        "code",
        "kind",
        "value",
        "currency",
        "recurring",
        "starts_at",
        "expires_at",
        "max_uses",
        "max_uses_per_customer",
        "is_active",
    ),
}


def _check(instance: models.Model) -> None:
    if isinstance(instance, Product):
        instance.module_settings = validate_module_settings(instance.module, instance.module_settings)
    currency = getattr(instance, "currency", None)
    if currency and currency not in MINOR_UNITS:
        raise ValidationFailed(_("Unknown currency."), fields={"currency": [_("Not a known currency code.")]})


@transaction.atomic
def catalog_save[M: models.Model](*, actor: Actor, model: type[M], values: dict[str, Any], pk: object = None) -> M:
    """Create or change a catalogue row of ``model``; only its editable fields are taken."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    allowed = EDITABLE[model]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed(_("Unknown fields."), fields={name: [_("Not an editable field.")] for name in unknown})
    instance = model() if pk is None else get_scoped(model.objects.select_for_update(), pk)  # type: ignore[attr-defined]
    for name, value in values.items():
        setattr(instance, name, value)
    _check(instance)
    validated(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict(
            _("This conflicts with an existing entry (a code or slug already in use?)."), code="duplicate"
        ) from None
    instance.refresh_from_db()  # return what is stored (amounts to 4 places), not what was sent
    audit_record(
        actor=actor.audit(),
        action=f"catalog.{model._meta.model_name}.{'create' if pk is None else 'update'}",
        object_type=str(model._meta.model_name),
        object_id=instance.pk,
        detail={k: str(v) for k, v in values.items() if k != "module_settings"},
    )
    return instance


@transaction.atomic
def promo_code_set_plans(*, actor: Actor, promo_id: object, plan_ids: list[int]) -> PromoCode:
    actor.require(StaffPermission.MANAGE_CATALOG)
    promo = get_scoped(PromoCode.objects.select_for_update(), promo_id)
    plans = list(Plan.objects.filter(pk__in=plan_ids))
    if len(plans) != len(set(plan_ids)):
        raise ValidationFailed(_("Unknown plan."), fields={"plan_ids": [_("Not a known plan.")]})
    promo.plans.set(plans)
    audit_record(
        actor=actor.audit(),
        action="catalog.promocode.plans",
        object_type="promocode",
        object_id=promo.pk,
        detail={"plan_ids": plan_ids},
    )
    return promo
