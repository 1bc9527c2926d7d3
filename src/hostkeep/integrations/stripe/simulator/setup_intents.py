"""Stripe SetupIntents: saving a card for off-session use (3-D Secure on setup, failed checks)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from hostkeep.integrations.gatewaysim.identifiers import random_token
from hostkeep.integrations.stripe.simulator.customers import card_of, resolve_payment_method
from hostkeep.integrations.stripe.simulator.errors import StripeError, missing
from hostkeep.integrations.stripe.simulator.forms import (
    get_bool,
    get_enum,
    get_str,
    metadata_from,
    reject_unknown,
)

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this SetupIntent again."
)


# -- SetupIntents -----------------------------------------------------------------------------------


def new_setup_intent(
    simulator: StripeSimulator, *, customer: str | None, metadata: dict[str, str], description: str | None = None
) -> Json:
    intent_id = simulator.new_id("seti")
    intent = {
        "id": intent_id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{random_token(25)}",
        "created": simulator.clock.now_int(),
        "customer": customer,
        "description": description,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {
            "card": {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
        },
        "payment_method_types": ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": "off_session",
    }
    return simulator.store(intent)


def create_setup_intent(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(
        params,
        (
            "customer",
            "payment_method",
            "confirm",
            "usage",
            "metadata",
            "description",
            "payment_method_types",
            "return_url",
            "automatic_payment_methods",
            "mandate_data",
            "use_stripe_sdk",
            "payment_method_options",
        ),
    )
    customer_id = get_str(params, "customer")
    if customer_id is not None:
        simulator.require(customer_id, "customer", "customer", "customer")
    confirm = bool(get_bool(params, "confirm"))
    method_id = get_str(params, "payment_method")
    if confirm and method_id is None:
        raise missing("payment_method")
    metadata = metadata_from(params)
    method = resolve_payment_method(simulator, method_id) if method_id else None
    intent = new_setup_intent(
        simulator, customer=customer_id, metadata=metadata, description=get_str(params, "description")
    )
    intent["usage"] = get_enum(params, "usage", ("on_session", "off_session")) or "off_session"
    if method is not None:
        intent["payment_method"] = method["id"]
        intent["status"] = "requires_confirmation"
    simulator.emit("setup_intent.created", intent, call=call)
    if confirm and method is not None:
        confirm_setup(simulator, intent, method, call=call, return_url=get_str(params, "return_url"))
    return intent


def retrieve_setup_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "setup_intent", "setup_intent")


def confirm_setup_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    intent = simulator.require(id, "setup_intent", "setup_intent")
    reject_unknown(
        call.params, ("payment_method", "return_url", "mandate_data", "use_stripe_sdk", "payment_method_options")
    )
    if intent["status"] not in CONFIRMABLE:
        raise StripeError(
            400,
            f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    method = resolve_payment_method(simulator, get_str(call.params, "payment_method") or intent["payment_method"])
    confirm_setup(simulator, intent, method, call=call, return_url=get_str(call.params, "return_url"))
    return intent


def confirm_setup(
    simulator: StripeSimulator,
    intent: Json,
    method: Json,
    *,
    call: ApiCall | None,
    return_url: str | None = None,
    authenticated: bool = False,
    raise_error: bool = True,
) -> None:
    """Save ``method`` for later: Stripe checks the card (decline cards fail) and may ask for 3-D Secure."""
    card = card_of(simulator, method)
    intent["payment_method"] = method["id"]
    if card.attach_fails:
        _setup_failed(
            simulator,
            intent,
            method,
            call,
            code=card.code or "card_declined",
            decline_code=card.decline_code,
            message=card.message or "Your card was declined.",
            raise_error=raise_error,
        )
        return
    if card.outcome in ("authenticate", "authenticate_unless_set_up") and not authenticated:
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": f"{simulator.url}/3ds/{intent['id']}", "return_url": return_url},
        }
        simulator.private[intent["id"]]["return_url"] = return_url
        simulator.emit("setup_intent.requires_action", intent, call=call)
        return
    _setup_succeeded(simulator, intent, method, call)


def _setup_succeeded(simulator: StripeSimulator, intent: Json, method: Json, call: ApiCall | None) -> None:
    if intent["customer"] is not None and method["customer"] is None:
        method["customer"] = intent["customer"]
        simulator.emit("payment_method.attached", method, call=call)
    intent.update(
        {"status": "succeeded", "payment_method": method["id"], "next_action": None, "last_setup_error": None}
    )
    simulator.emit("setup_intent.succeeded", intent, call=call)


def _setup_failed(
    simulator: StripeSimulator,
    intent: Json,
    method: Json,
    call: ApiCall | None,
    *,
    code: str,
    decline_code: str | None,
    message: str,
    raise_error: bool,
) -> None:
    snapshot = copy.deepcopy(method)
    intent["last_setup_error"] = {
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": snapshot,
        "type": "card_error",
    }
    intent.update({"status": "requires_payment_method", "payment_method": None, "next_action": None})
    simulator.emit("setup_intent.setup_failed", intent, call=call)
    if raise_error:
        raise StripeError(
            402,
            message,
            type="card_error",
            code=code,
            decline_code=decline_code,
            setup_intent=copy.deepcopy(intent),
            payment_method=snapshot,
        )


def finish_authentication(simulator: StripeSimulator, intent: Json, method: Json, *, succeeded: bool) -> None:
    """The buyer completed or failed the 3-D Secure challenge of a SetupIntent."""
    if succeeded:
        _setup_succeeded(simulator, intent, method, None)
    else:
        _setup_failed(
            simulator,
            intent,
            method,
            None,
            code="setup_intent_authentication_failure",
            decline_code=None,
            message=AUTHENTICATION_FAILED,
            raise_error=False,
        )


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/setup_intents", create_setup_intent),
    ("GET", "/v1/setup_intents/{id}", retrieve_setup_intent),
    ("POST", "/v1/setup_intents/{id}/confirm", confirm_setup_intent),
]
