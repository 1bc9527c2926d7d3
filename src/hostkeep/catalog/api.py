"""Endpoints of the catalogue: what a customer may order and what it would cost (customer
router), and catalogue management for staff (staff router, through ``catalog_save``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from ninja import Router, Status

from hostkeep.accounts.permissions import Actor
from hostkeep.catalog import actions, selectors
from hostkeep.catalog.models import ConfigurableOption, Plan, PlanPrice, Product, PromoCode
from hostkeep.catalog.schemas import (
    GroupOut,
    OptionIn,
    OptionStaffOut,
    PlanIn,
    PlanPriceIn,
    PlanPriceStaffOut,
    PlanStaffOut,
    ProductIn,
    ProductStaffOut,
    PromoCodeIn,
    PromoCodeStaffOut,
    PromoPlansIn,
    QuoteIn,
    QuoteOut,
)

customer_router = Router()
staff_router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


@customer_router.get("", response=list[GroupOut])
def catalogue(request: HttpRequest) -> Any:
    """The public catalogue with every price in the caller's account currency."""
    return selectors.catalogue_for_customer(_actor(request))


@customer_router.post("/quote", response=QuoteOut)
def quote(request: HttpRequest, payload: QuoteIn) -> Any:
    """Price one item for the caller without ordering it (tax on the first payment included)."""
    return selectors.item_quote_for_customer(
        _actor(request),
        plan_id=payload.plan_id,
        period_unit=payload.period_unit,
        period_count=payload.period_count,
        option_values=payload.options,
        addon_codes=payload.addons,
        promo_code=payload.promo_code,
    )


def _save(request: HttpRequest, model: type[models.Model], payload: Any, pk: int | None = None) -> Any:
    return actions.catalog_save(actor=_actor(request), model=model, values=payload.dict(), pk=pk)


@staff_router.post("/products", response={201: ProductStaffOut})
def product_create(request: HttpRequest, payload: ProductIn) -> Any:
    return Status(201, _save(request, Product, payload))


@staff_router.put("/products/{product_id}", response=ProductStaffOut)
def product_update(request: HttpRequest, product_id: int, payload: ProductIn) -> Any:
    return _save(request, Product, payload, product_id)


@staff_router.post("/plans", response={201: PlanStaffOut})
def plan_create(request: HttpRequest, payload: PlanIn) -> Any:
    return Status(201, _save(request, Plan, payload))


@staff_router.put("/plans/{plan_id}", response=PlanStaffOut)
def plan_update(request: HttpRequest, plan_id: int, payload: PlanIn) -> Any:
    return _save(request, Plan, payload, plan_id)


@staff_router.post("/plan-prices", response={201: PlanPriceStaffOut})
def plan_price_create(request: HttpRequest, payload: PlanPriceIn) -> Any:
    return Status(201, _save(request, PlanPrice, payload))


@staff_router.put("/plan-prices/{price_id}", response=PlanPriceStaffOut)
def plan_price_update(request: HttpRequest, price_id: int, payload: PlanPriceIn) -> Any:
    return _save(request, PlanPrice, payload, price_id)


@staff_router.post("/options", response={201: OptionStaffOut})
def option_create(request: HttpRequest, payload: OptionIn) -> Any:
    return Status(201, _save(request, ConfigurableOption, payload))


@staff_router.put("/options/{option_id}", response=OptionStaffOut)
def option_update(request: HttpRequest, option_id: int, payload: OptionIn) -> Any:
    return _save(request, ConfigurableOption, payload, option_id)


@staff_router.post("/promo-codes", response={201: PromoCodeStaffOut})
def promo_code_create(request: HttpRequest, payload: PromoCodeIn) -> Any:
    return Status(201, _save(request, PromoCode, payload))


@staff_router.put("/promo-codes/{promo_id}", response=PromoCodeStaffOut)
def promo_code_update(request: HttpRequest, promo_id: int, payload: PromoCodeIn) -> Any:
    return _save(request, PromoCode, payload, promo_id)


@staff_router.put("/promo-codes/{promo_id}/plans", response=PromoCodeStaffOut)
def promo_code_plans(request: HttpRequest, promo_id: int, payload: PromoPlansIn) -> Any:
    return actions.promo_code_set_plans(actor=_actor(request), promo_id=promo_id, plan_ids=payload.plan_ids)
