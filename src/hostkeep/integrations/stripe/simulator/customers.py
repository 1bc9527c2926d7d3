"""Stripe customers and payment methods (attach, detach, list; test methods become ``pm_...``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hostkeep.integrations.gatewaysim.identifiers import random_token
from hostkeep.integrations.stripe.simulator.cards import TEST_CARDS, TestCard
from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid, missing, no_such
from hostkeep.integrations.stripe.simulator.forms import (
    get_dict,
    get_str,
    metadata_from,
    reject_unknown,
)

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]


# -- customers --------------------------------------------------------------------------------------


def create_customer(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(
        params,
        (
            "email",
            "name",
            "description",
            "phone",
            "metadata",
            "payment_method",
            "invoice_settings",
            "address",
            "preferred_locales",
            "shipping",
            "tax_exempt",
        ),
    )
    customer: Json = {
        "id": simulator.new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": simulator.clock.now_int(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": get_str(params, "description"),
        "email": get_str(params, "email", max_length=512),
        "invoice_prefix": random_token(8).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": metadata_from(params),
        "name": get_str(params, "name", max_length=256),
        "phone": get_str(params, "phone"),
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
    }
    method_id = get_str(params, "payment_method")
    method = resolve_payment_method(simulator, method_id) if method_id else None
    simulator.store(customer)
    simulator.emit("customer.created", customer, call=call)
    if method is not None:
        attach(simulator, method, customer, call)
    default = get_dict(params, "invoice_settings").get("default_payment_method")
    if default:
        _set_default_method(simulator, customer, default)
    return customer


def retrieve_customer(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    found = simulator.objects.get(id)
    if found is not None and found.get("object") == "customer" and found.get("deleted"):
        return {"id": id, "object": "customer", "deleted": True}
    return simulator.require(id, "customer", "customer")


def update_customer(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    customer = simulator.require(id, "customer", "customer")
    params = call.params
    reject_unknown(params, ("email", "name", "description", "phone", "metadata", "invoice_settings", "address"))
    previous: Json = {}
    for field in ("email", "name", "description", "phone"):
        if field in params:
            previous[field] = customer[field]
            customer[field] = get_str(params, field)
    if "metadata" in params:
        previous["metadata"] = dict(customer["metadata"])
        customer["metadata"] = metadata_from(params, current=customer["metadata"])
    settings = get_dict(params, "invoice_settings")
    if "default_payment_method" in settings:
        previous["invoice_settings"] = dict(customer["invoice_settings"])
        _set_default_method(simulator, customer, settings["default_payment_method"] or None)
    simulator.emit("customer.updated", customer, call=call, previous_attributes=previous)
    return customer


def _set_default_method(simulator: StripeSimulator, customer: Json, method_id: str | None) -> None:
    if method_id is not None:
        method = simulator.objects.get(method_id)
        if method is None or method.get("customer") != customer["id"]:
            raise invalid(
                "invoice_settings[default_payment_method]",
                f"The customer does not have a payment method with the ID {method_id}. "
                "The payment method must be attached to the customer.",
            )
    customer["invoice_settings"]["default_payment_method"] = method_id


def delete_customer(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    customer = simulator.require(id, "customer", "customer")
    customer["deleted"] = True
    for method in simulator.objects.values():
        if method.get("object") == "payment_method" and method.get("customer") == id:
            method["customer"] = None
    simulator.emit("customer.deleted", customer, call=call)
    return {"id": id, "object": "customer", "deleted": True}


def list_customers(simulator: StripeSimulator, call: ApiCall) -> Json:
    email = get_str(call.params, "email")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "customer" and not obj.get("deleted") and (email is None or obj["email"] == email)
    ]
    return simulator.list_response("/v1/customers", items, call.params)


# -- payment methods --------------------------------------------------------------------------------


def make_payment_method(simulator: StripeSimulator, card: TestCard) -> Json:
    """A fresh ``pm_...`` cloned from a test method, as Stripe does for ``pm_card_visa``."""
    year = simulator.clock.now_datetime().year + 3
    method: Json = {
        "id": simulator.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": year,
            "fingerprint": random_token(16),
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": simulator.clock.now_int(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": card.type,
    }
    simulator.store(method)
    simulator.private[method["id"]]["card"] = card.magic_id
    return method


def resolve_payment_method(simulator: StripeSimulator, method_id: str | None, param: str = "payment_method") -> Json:
    if method_id is None:
        raise missing(param)
    if method_id in TEST_CARDS:
        return make_payment_method(simulator, TEST_CARDS[method_id])
    found = simulator.objects.get(method_id)
    if found is None or found.get("object") != "payment_method":
        raise no_such("PaymentMethod", method_id, param)
    return found


def card_of(simulator: StripeSimulator, method: Json) -> TestCard:
    return TEST_CARDS[simulator.private[method["id"]]["card"]]


def attach(simulator: StripeSimulator, method: Json, customer: Json, call: ApiCall | None) -> Json:
    """Attach after Stripe's card check; decline cards fail here (402) as they do at Stripe."""
    if method["customer"] == customer["id"]:
        return method
    if method["customer"] is not None:
        raise invalid("payment_method", "The payment method you provided has already been attached to a customer.")
    card = card_of(simulator, method)
    if card.attach_fails:
        raise StripeError(
            402,
            card.message or "Your card was declined.",
            type="card_error",
            code=card.code,
            decline_code=card.decline_code,
        )
    method["customer"] = customer["id"]
    simulator.emit("payment_method.attached", method, call=call)
    return method


def retrieve_payment_method(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    if id in TEST_CARDS:
        return resolve_payment_method(simulator, id, "id")
    return simulator.require(id, "payment_method", "PaymentMethod")


def attach_payment_method(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    reject_unknown(call.params, ("customer",))
    customer = simulator.require(get_str(call.params, "customer", required=True), "customer", "customer", "customer")
    method = resolve_payment_method(simulator, id, "id")
    return attach(simulator, method, customer, call)


def detach_payment_method(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    method = simulator.require(id, "payment_method", "PaymentMethod")
    if method["customer"] is None:
        raise invalid(
            "payment_method",
            "The payment method you provided is not attached to a customer so detachment is impossible.",
        )
    previous = {"customer": method["customer"]}
    customer = simulator.objects.get(method["customer"])
    if customer is not None and customer["invoice_settings"]["default_payment_method"] == id:
        customer["invoice_settings"]["default_payment_method"] = None
    method["customer"] = None
    simulator.emit("payment_method.detached", method, call=call, previous_attributes=previous)
    return method


def list_payment_methods(simulator: StripeSimulator, call: ApiCall, customer_id: str | None = None) -> Json:
    params = call.params
    customer_id = customer_id or get_str(params, "customer")
    if customer_id is not None:
        simulator.require(customer_id, "customer", "customer", "customer")
    wanted_type = get_str(params, "type")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "payment_method"
        and obj["customer"] is not None
        and (customer_id is None or obj["customer"] == customer_id)
        and (wanted_type is None or obj["type"] == wanted_type)
    ]
    url = f"/v1/customers/{customer_id}/payment_methods" if customer_id else "/v1/payment_methods"
    return simulator.list_response(url, items, params)


def list_customer_payment_methods(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return list_payment_methods(simulator, call, customer_id=id)


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/customers", create_customer),
    ("GET", "/v1/customers", list_customers),
    ("GET", "/v1/customers/{id}", retrieve_customer),
    ("POST", "/v1/customers/{id}", update_customer),
    ("DELETE", "/v1/customers/{id}", delete_customer),
    ("GET", "/v1/customers/{id}/payment_methods", list_customer_payment_methods),
    ("GET", "/v1/payment_methods", list_payment_methods),
    ("GET", "/v1/payment_methods/{id}", retrieve_payment_method),
    ("POST", "/v1/payment_methods/{id}/attach", attach_payment_method),
    ("POST", "/v1/payment_methods/{id}/detach", detach_payment_method),
]
