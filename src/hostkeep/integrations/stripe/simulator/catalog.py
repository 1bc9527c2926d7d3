"""Stripe products and one-time prices, enough for Checkout ``line_items[n][price]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hostkeep.integrations.stripe.simulator.errors import invalid, missing
from hostkeep.integrations.stripe.simulator.forms import (
    get_bool,
    get_dict,
    get_int,
    get_str,
    metadata_from,
    reject_unknown,
)
from hostkeep.integrations.stripe.simulator.payments import currency_from

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]


# -- products and prices (for Checkout line items) ---------------------------------------------------


def create_product(simulator: StripeSimulator, call: ApiCall) -> Json:
    reject_unknown(call.params, ("name", "description", "metadata", "active", "id"))
    product = {
        "id": get_str(call.params, "id") or simulator.new_id("prod"),
        "object": "product",
        "active": get_bool(call.params, "active") is not False,
        "created": simulator.clock.now_int(),
        "default_price": None,
        "description": get_str(call.params, "description"),
        "images": [],
        "livemode": False,
        "metadata": metadata_from(call.params),
        "name": get_str(call.params, "name", required=True),
        "type": "service",
        "updated": simulator.clock.now_int(),
    }
    return simulator.store(product)


def retrieve_product(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "product", "product")


def create_price(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(
        params,
        (
            "currency",
            "unit_amount",
            "product",
            "product_data",
            "metadata",
            "nickname",
            "recurring",
            "lookup_key",
            "active",
            "tax_behavior",
        ),
    )
    if params.get("recurring"):
        raise invalid("recurring", "The simulator supports one-time prices only (subscriptions are not used).")
    currency = currency_from(params) or ""
    unit_amount = get_int(params, "unit_amount", required=True) or 0
    product_id = get_str(params, "product")
    if product_id is not None:
        simulator.require(product_id, "product", "product", "product")
    else:
        product_data = get_dict(params, "product_data")
        if not product_data.get("name"):
            raise missing("product_data[name]")
        product_id = simulator.new_id("prod")
        simulator.store(
            {
                "id": product_id,
                "object": "product",
                "active": True,
                "created": simulator.clock.now_int(),
                "name": product_data["name"],
                "metadata": {},
                "livemode": False,
                "description": None,
            }
        )
    price = {
        "id": simulator.new_id("price"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": simulator.clock.now_int(),
        "currency": currency,
        "livemode": False,
        "lookup_key": get_str(params, "lookup_key"),
        "metadata": metadata_from(params),
        "nickname": get_str(params, "nickname"),
        "product": product_id,
        "recurring": None,
        "tax_behavior": "unspecified",
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }
    return simulator.store(price)


def retrieve_price(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "price", "price")


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/products", create_product),
    ("GET", "/v1/products/{id}", retrieve_product),
    ("POST", "/v1/prices", create_price),
    ("GET", "/v1/prices/{id}", retrieve_price),
]
