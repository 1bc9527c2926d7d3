"""Stripe PaymentIntents (create, confirm on- and off-session, capture, cancel) and charges.

Each endpoint is ``(simulator, call, **path params) -> object`` and runs under the simulator's
lock. Declines mutate state first (the failed charge, the PaymentIntent back in
``requires_payment_method`` with ``last_payment_error``, the events) and then raise the 402, so
the PaymentIntent "already exists" when the client sees the error, as Stripe documents.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from hostkeep.integrations.gatewaysim.identifiers import random_token
from hostkeep.integrations.stripe.simulator import setup_intents
from hostkeep.integrations.stripe.simulator.cards import AUTHENTICATION_REQUIRED_MESSAGE
from hostkeep.integrations.stripe.simulator.customers import card_of, resolve_payment_method
from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid, missing, unexpected_state
from hostkeep.integrations.stripe.simulator.forms import (
    get_bool,
    get_enum,
    get_int,
    get_str,
    metadata_from,
    reject_unknown,
)

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]

MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "nzd": 50, "sgd": 50}
MAXIMUM_AMOUNT = 99_999_999
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


# -- validation helpers -----------------------------------------------------------------------------


def currency_from(params: Json, *, required: bool = True, param: str = "currency") -> str | None:
    """``params["currency"]`` lower-cased; ``param`` names it in errors (``line_items[0][price_data][currency]``)."""
    value = params.get("currency")
    if value is None or value == "":
        if required:
            raise missing(param)
        return None
    if not isinstance(value, str):
        raise invalid(param, f"Invalid currency: {value}")
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise invalid(param, f"Invalid currency: {value}. Stripe currently supports these currencies: usd, eur, ...")
    return value.lower()


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    if amount < 1:
        raise invalid(param, "This value must be greater than or equal to 1.", code="parameter_invalid_integer")
    minimum = MINIMUM_AMOUNTS.get(currency)
    if minimum is not None and amount < minimum:
        raise StripeError(
            400,
            f"Amount must be at least {minimum} {currency} (in the smallest currency unit)",
            code="amount_too_small",
            param=param,
        )
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(400, "Amount must be no more than 999,999.99", code="amount_too_large", param=param)


# -- PaymentIntents ---------------------------------------------------------------------------------

_PAYMENT_INTENT_CREATE = (
    "amount", "currency", "customer", "payment_method", "off_session", "confirm", "metadata", "description",
    "setup_future_usage", "capture_method", "confirmation_method", "payment_method_types", "receipt_email",
    "return_url", "statement_descriptor", "statement_descriptor_suffix", "automatic_payment_methods",
    "error_on_requires_action", "mandate_data", "use_stripe_sdk", "payment_method_options", "shipping",
)  # fmt: skip


def new_payment_intent(
    simulator: StripeSimulator,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    metadata: dict[str, str],
    description: str | None = None,
    setup_future_usage: str | None = None,
    capture_method: str = "automatic",
    receipt_email: str | None = None,
) -> Json:
    intent_id = simulator.new_id("pi")
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{random_token(25)}",
        "confirmation_method": "automatic",
        "created": simulator.clock.now_int(),
        "currency": currency,
        "customer": customer,
        "description": description,
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": setup_future_usage,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    return simulator.store(intent)


def create_payment_intent(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(params, _PAYMENT_INTENT_CREATE)
    currency = currency_from(params) or ""
    amount = get_int(params, "amount", required=True) or 0
    check_amount(amount, currency)
    customer_id = get_str(params, "customer")
    if customer_id is not None:
        simulator.require(customer_id, "customer", "customer", "customer")
    confirm = bool(get_bool(params, "confirm"))
    off_session = _off_session(params)
    if off_session and not confirm:
        raise invalid("off_session", "off_session can only be used when confirm=true.")
    setup_future_usage = get_enum(params, "setup_future_usage", ("on_session", "off_session"))
    capture_method = get_enum(params, "capture_method", ("automatic", "automatic_async", "manual")) or "automatic"
    metadata = metadata_from(params)
    method_id = get_str(params, "payment_method")
    if confirm and method_id is None:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent with a customer, pass payment_method or update it first."
        )
    method = resolve_payment_method(simulator, method_id) if method_id else None
    intent = new_payment_intent(
        simulator,
        amount=amount,
        currency=currency,
        customer=customer_id,
        metadata=metadata,
        description=get_str(params, "description"),
        setup_future_usage=setup_future_usage,
        capture_method="automatic" if capture_method == "automatic_async" else capture_method,
        receipt_email=get_str(params, "receipt_email"),
    )
    if method is not None:
        intent["payment_method"] = method["id"]
        intent["status"] = "requires_confirmation"
    simulator.emit("payment_intent.created", intent, call=call)
    if confirm and method is not None:
        confirm_intent(
            simulator,
            intent,
            method,
            off_session=off_session,
            call=call,
            return_url=get_str(params, "return_url"),
            error_on_requires_action=bool(get_bool(params, "error_on_requires_action")),
        )
    return intent


def _off_session(params: Json) -> bool:
    value = params.get("off_session")
    if value in ("one_off", "recurring"):
        return True
    return bool(get_bool(params, "off_session"))


def retrieve_payment_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "payment_intent", "payment_intent")


def list_payment_intents(simulator: StripeSimulator, call: ApiCall) -> Json:
    customer = get_str(call.params, "customer")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "payment_intent" and (customer is None or obj["customer"] == customer)
    ]
    return simulator.list_response("/v1/payment_intents", items, call.params)


def update_payment_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    intent = simulator.require(id, "payment_intent", "payment_intent")
    params = call.params
    reject_unknown(
        params,
        (
            "amount",
            "currency",
            "customer",
            "description",
            "metadata",
            "payment_method",
            "setup_future_usage",
            "receipt_email",
            "capture_method",
        ),
    )
    previous: Json = {}
    money_fields = {"amount", "currency", "customer", "payment_method", "setup_future_usage", "capture_method"}
    if money_fields & set(params) and intent["status"] not in CONFIRMABLE:
        raise unexpected_state(f"You cannot update this PaymentIntent because it has a status of {intent['status']}.")
    if "amount" in params:
        previous["amount"] = intent["amount"]
        intent["amount"] = get_int(params, "amount", required=True)
        check_amount(intent["amount"], intent["currency"])
    if "customer" in params:
        customer_id = get_str(params, "customer")
        if customer_id is not None:
            simulator.require(customer_id, "customer", "customer", "customer")
        previous["customer"] = intent["customer"]
        intent["customer"] = customer_id
    if "payment_method" in params:
        method = resolve_payment_method(simulator, get_str(params, "payment_method", required=True))
        previous["payment_method"] = intent["payment_method"]
        intent["payment_method"] = method["id"]
        intent["status"] = "requires_confirmation"
    for field in ("description", "receipt_email", "setup_future_usage", "capture_method"):
        if field in params:
            previous[field] = intent[field]
            intent[field] = get_str(params, field)
    if "metadata" in params:
        previous["metadata"] = dict(intent["metadata"])
        intent["metadata"] = metadata_from(params, current=intent["metadata"])
    return intent


def confirm_payment_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    intent = simulator.require(id, "payment_intent", "payment_intent")
    params = call.params
    reject_unknown(
        params,
        (
            "payment_method",
            "off_session",
            "return_url",
            "setup_future_usage",
            "receipt_email",
            "error_on_requires_action",
            "mandate_data",
            "payment_method_types",
            "use_stripe_sdk",
            "payment_method_options",
            "capture_method",
        ),
    )
    if intent["status"] == "succeeded":
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
        )
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be confirmed: " + ", ".join(CONFIRMABLE) + "."
        )
    method_id = get_str(params, "payment_method") or intent["payment_method"]
    if method_id is None:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent "
            "with a payment method and then confirm it again."
        )
    if "setup_future_usage" in params:
        intent["setup_future_usage"] = get_enum(params, "setup_future_usage", ("on_session", "off_session"))
    method = resolve_payment_method(simulator, method_id)
    confirm_intent(
        simulator,
        intent,
        method,
        off_session=_off_session(params),
        call=call,
        return_url=get_str(params, "return_url"),
        error_on_requires_action=bool(get_bool(params, "error_on_requires_action")),
    )
    return intent


def confirm_intent(
    simulator: StripeSimulator,
    intent: Json,
    method: Json,
    *,
    off_session: bool,
    call: ApiCall | None,
    return_url: str | None = None,
    error_on_requires_action: bool = False,
    authenticated: bool = False,
) -> None:
    """Attempt the payment with ``method``: succeed, go to processing, ask for 3-D Secure, or
    decline (state is updated and events emitted before the 402 is raised)."""
    if method["customer"] is not None and intent["customer"] is None:
        raise invalid(
            "payment_method",
            "The provided PaymentMethod belongs to a Customer. Please include the Customer in the `customer` "
            "parameter on the PaymentIntent.",
        )
    if method["customer"] is not None and method["customer"] != intent["customer"]:
        raise invalid("payment_method", "The provided PaymentMethod belongs to a different Customer.")
    card = card_of(simulator, method)
    intent["payment_method"] = method["id"]
    intent["next_action"] = None
    outcome = card.outcome
    if outcome == "authenticate_unless_set_up":
        outcome = "succeed" if off_session and method["customer"] is not None else "authenticate"
    if outcome == "authenticate" and authenticated:
        outcome = "succeed"
    if outcome == "authenticate":
        if off_session or error_on_requires_action:
            _decline(
                simulator,
                intent,
                method,
                call,
                code="authentication_required",
                decline_code="authentication_required",
                message=AUTHENTICATION_REQUIRED_MESSAGE,
            )
        intent["status"] = "requires_action"
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": f"{simulator.url}/3ds/{intent['id']}", "return_url": return_url},
        }
        simulator.private[intent["id"]]["return_url"] = return_url
        simulator.emit("payment_intent.requires_action", intent, call=call)
        return
    if outcome == "decline":
        _decline(
            simulator,
            intent,
            method,
            call,
            code=card.code or "card_declined",
            decline_code=card.decline_code,
            message=card.message or "Your card was declined.",
        )
    if outcome == "processing":
        charge = create_charge(simulator, intent, method, status="pending")
        intent["latest_charge"] = charge["id"]
        intent["status"] = "processing"
        intent["last_payment_error"] = None
        simulator.emit("charge.pending", charge, call=call)
        simulator.emit("payment_intent.processing", intent, call=call)
        return
    _succeed(simulator, intent, method, call)


def _succeed(simulator: StripeSimulator, intent: Json, method: Json, call: ApiCall | None) -> None:
    manual = intent["capture_method"] == "manual"
    charge = create_charge(simulator, intent, method, status="succeeded", captured=not manual)
    intent["latest_charge"] = charge["id"]
    intent["last_payment_error"] = None
    intent["next_action"] = None
    if intent["setup_future_usage"] and intent["customer"] and method["customer"] is None:
        method["customer"] = intent["customer"]
        simulator.emit("payment_method.attached", method, call=call)
    simulator.emit("charge.succeeded", charge, call=call)
    if manual:
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
        simulator.emit("payment_intent.amount_capturable_updated", intent, call=call)
    else:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        simulator.emit("payment_intent.succeeded", intent, call=call)


def _decline(
    simulator: StripeSimulator,
    intent: Json,
    method: Json,
    call: ApiCall | None,
    *,
    code: str,
    decline_code: str | None,
    message: str,
) -> None:
    charge = create_charge(
        simulator,
        intent,
        method,
        status="failed",
        failure_code=code,
        failure_message=message,
        decline_code=decline_code,
    )
    snapshot = copy.deepcopy(method)
    intent["last_payment_error"] = {
        "charge": charge["id"],
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": snapshot,
        "type": "card_error",
    }
    intent["status"] = "requires_payment_method"
    intent["payment_method"] = None
    intent["latest_charge"] = charge["id"]
    intent["next_action"] = None
    simulator.emit("charge.failed", charge, call=call)
    simulator.emit("payment_intent.payment_failed", intent, call=call)
    raise StripeError(
        402,
        message,
        type="card_error",
        code=code,
        decline_code=decline_code,
        payment_intent=copy.deepcopy(intent),
        payment_method=snapshot,
        charge=charge["id"],
    )


def capture_payment_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    intent = simulator.require(id, "payment_intent", "payment_intent")
    reject_unknown(call.params, ("amount_to_capture", "metadata", "final_capture"))
    if intent["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture."
        )
    amount = get_int(call.params, "amount_to_capture") or intent["amount_capturable"]
    if amount > intent["amount_capturable"]:
        raise invalid(
            "amount_to_capture", "The amount to capture must be at most the amount capturable.", code="amount_too_large"
        )
    charge = simulator.objects[intent["latest_charge"]]
    charge.update({"captured": True, "amount_captured": amount})
    intent.update({"status": "succeeded", "amount_received": amount, "amount_capturable": 0})
    intent["metadata"] = metadata_from(call.params, current=intent["metadata"])
    simulator.emit("charge.captured", charge, call=call)
    simulator.emit("payment_intent.succeeded", intent, call=call)
    return intent


def cancel_payment_intent(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    intent = simulator.require(id, "payment_intent", "payment_intent")
    reject_unknown(call.params, ("cancellation_reason",))
    reason = get_enum(
        call.params, "cancellation_reason", ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
    )
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: " + ", ".join(CANCELABLE) + "."
        )
    intent.update(
        {
            "status": "canceled",
            "canceled_at": simulator.clock.now_int(),
            "cancellation_reason": reason,
            "amount_capturable": 0,
            "next_action": None,
        }
    )
    simulator.emit("payment_intent.canceled", intent, call=call)
    return intent


def finish_authentication(simulator: StripeSimulator, intent_id: str, *, succeeded: bool) -> None:
    """The buyer completed or failed the 3-D Secure challenge of an intent in ``requires_action``."""
    intent = simulator.objects.get(intent_id)
    if intent is None or intent.get("status") != "requires_action":
        raise ValueError(f"{intent_id} is not waiting for authentication")
    method = simulator.objects[intent["payment_method"]]
    if intent["object"] == "setup_intent":
        setup_intents.finish_authentication(simulator, intent, method, succeeded=succeeded)
        return
    if succeeded:
        _succeed(simulator, intent, method, None)
        return
    intent["last_payment_error"] = {
        "code": "payment_intent_authentication_failure",
        "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
        "message": _AUTHENTICATION_FAILED,
        "payment_method": copy.deepcopy(method),
        "type": "invalid_request_error",
    }
    intent.update({"status": "requires_payment_method", "payment_method": None, "next_action": None})
    simulator.emit("payment_intent.payment_failed", intent)


_AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def settle_processing(simulator: StripeSimulator, intent_id: str, *, succeeded: bool) -> None:
    """A delayed method settles: the PaymentIntent leaves ``processing``."""
    intent = simulator.objects.get(intent_id)
    if intent is None or intent.get("status") != "processing":
        raise ValueError(f"{intent_id} is not processing")
    charge = simulator.objects[intent["latest_charge"]]
    if succeeded:
        charge.update(
            {
                "status": "succeeded",
                "paid": True,
                "captured": True,
                "amount_captured": charge["amount"],
                "balance_transaction": simulator.new_id("txn"),
            }
        )
        intent.update({"status": "succeeded", "amount_received": intent["amount"]})
        simulator.emit("charge.succeeded", charge)
        simulator.emit("payment_intent.succeeded", intent)
        return
    method = simulator.objects[charge["payment_method"]]
    charge.update(
        {
            "status": "failed",
            "failure_code": "insufficient_funds",
            "failure_message": "The payment failed: insufficient funds.",
        }
    )
    intent["last_payment_error"] = {
        "charge": charge["id"],
        "code": "payment_method_provider_decline",
        "decline_code": "insufficient_funds",
        "message": "The payment failed: insufficient funds.",
        "payment_method": copy.deepcopy(method),
        "type": "card_error",
    }
    intent.update({"status": "requires_payment_method", "payment_method": None})
    simulator.emit("charge.failed", charge)
    simulator.emit("payment_intent.payment_failed", intent)


# -- charges ----------------------------------------------------------------------------------------


def create_charge(
    simulator: StripeSimulator,
    intent: Json,
    method: Json,
    *,
    status: str,
    captured: bool = True,
    failure_code: str | None = None,
    failure_message: str | None = None,
    decline_code: str | None = None,
) -> Json:
    succeeded = status == "succeeded"
    card = method["card"]
    if status == "failed":
        outcome = {
            "network_status": "declined_by_network",
            "reason": decline_code,
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    else:
        outcome = {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    charge = {
        "id": simulator.new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if succeeded and captured else 0,
        "amount_refunded": 0,
        "balance_transaction": simulator.new_id("txn") if succeeded and captured else None,
        "billing_details": copy.deepcopy(method["billing_details"]),
        "captured": succeeded and captured,
        "created": simulator.clock.now_int(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "outcome": outcome,
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "card": {
                key: card[key]
                for key in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")
            }
            | {"network": card["brand"], "three_d_secure": None},
            "type": "card",
        },
        "receipt_email": intent["receipt_email"],
        "receipt_url": None,
        "refunded": False,
        "status": status,
    }
    return simulator.store(charge)


def retrieve_charge(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "charge", "charge")


def list_charges(simulator: StripeSimulator, call: ApiCall) -> Json:
    intent = get_str(call.params, "payment_intent")
    customer = get_str(call.params, "customer")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "charge"
        and (intent is None or obj["payment_intent"] == intent)
        and (customer is None or obj["customer"] == customer)
    ]
    return simulator.list_response("/v1/charges", items, call.params)


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/payment_intents", create_payment_intent),
    ("GET", "/v1/payment_intents", list_payment_intents),
    ("GET", "/v1/payment_intents/{id}", retrieve_payment_intent),
    ("POST", "/v1/payment_intents/{id}", update_payment_intent),
    ("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent),
    ("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent),
    ("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent),
    ("GET", "/v1/charges", list_charges),
    ("GET", "/v1/charges/{id}", retrieve_charge),
]
