"""What the catalogue tables (and the audit log and outbox) hold, so a test can assert that
a refused request changed nothing at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
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
from hostkeep.core.models import AuditEvent, OutboxEvent

CATALOG_MODELS = (
    ProductGroup,
    Product,
    Plan,
    PlanPrice,
    ConfigurableOption,
    OptionChoice,
    OptionPrice,
    Addon,
    AddonPrice,
    PromoCode,
    TaxClass,
    TaxRate,
)


def catalog_state() -> dict[str, list[Any]]:
    state: dict[str, list[Any]] = {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in CATALOG_MODELS
    }
    state["promo_code_plans"] = list(PromoCode.plans.through.objects.order_by("pk").values())
    state["audit_events"] = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    state["outbox_events"] = list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True))
    return state


@contextmanager
def unchanged_by(state: Callable[[], dict[str, list[Any]]]) -> Iterator[None]:
    """``with unchanged_by(catalog_state): <a refused request>`` fails naming each table that moved."""
    before = state()
    yield
    after = state()
    moved = {
        table: {"before": before[table], "after": after[table]} for table in before if before[table] != after[table]
    }
    if moved:
        raise AssertionError(f"a refused request changed the database: {moved}")


def unchanged() -> Any:
    return unchanged_by(catalog_state)
