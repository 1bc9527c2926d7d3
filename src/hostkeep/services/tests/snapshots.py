"""What the orders and services tables hold (with the catalogue's), so a test can assert
that a refused request changed nothing at all."""

from __future__ import annotations

from typing import Any

from hostkeep.catalog.tests.snapshots import catalog_state, unchanged_by
from hostkeep.services.models import (
    CartItem,
    Order,
    OrderLine,
    PromoRedemption,
    Service,
    ServiceAddon,
    ServiceChange,
    ServiceEvent,
)

SERVICES_MODELS = (CartItem, Order, OrderLine, Service, ServiceAddon, ServiceEvent, ServiceChange, PromoRedemption)


def services_state() -> dict[str, list[Any]]:
    return {
        **catalog_state(),
        **{model._meta.label: list(model.objects.order_by("pk").values()) for model in SERVICES_MODELS},
    }


def unchanged() -> Any:
    """``with unchanged(): <a refused request>``: no catalogue, order or service row moved."""
    return unchanged_by(services_state)
