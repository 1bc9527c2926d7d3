"""Stripe Checkout: Sessions over the API, the hosted payment page, and the 3-D Secure page.

A Session is created by the merchant, paid on the page at its ``url`` (a person clicks, a test
POSTs the same form or calls :meth:`StripeSimulator.complete_checkout_session`), and completes
with ``checkout.session.completed``. As in current Stripe API versions the PaymentIntent (or
SetupIntent) is only created when the buyer confirms, so ``payment_intent`` is null before that.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hostkeep.integrations.gatewaysim.identifiers import random_token
from hostkeep.integrations.gatewaysim.pages import button, hidden, page, radio, rows
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.gatewaysim.simulator import ONE_DAY
from hostkeep.integrations.stripe.simulator import customers, payments, setup_intents
from hostkeep.integrations.stripe.simulator.cards import CHECKOUT_CHOICES, TEST_CARDS
from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid, missing
from hostkeep.integrations.stripe.simulator.forms import (
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
    metadata_from,
    reject_unknown,
)

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]

_SESSION_PARAMS = (
    "mode", "success_url", "cancel_url", "line_items", "customer", "customer_email", "client_reference_id",
    "metadata", "payment_intent_data", "setup_intent_data", "expires_at", "currency", "payment_method_types",
    "locale", "customer_creation", "allow_promotion_codes", "submit_type", "billing_address_collection",
    "ui_mode", "payment_method_collection", "automatic_tax", "phone_number_collection", "consent_collection",
    "custom_text", "invoice_creation", "saved_payment_method_options", "return_url",
)  # fmt: skip
_INTENT_DATA_PARAMS = (
    "metadata", "setup_future_usage", "description", "capture_method", "receipt_email", "statement_descriptor",
    "statement_descriptor_suffix", "shipping", "on_behalf_of", "transfer_data", "transfer_group",
)  # fmt: skip


# -- the API ------------------------------------------------------------------------------------------


def create_session(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(params, _SESSION_PARAMS)
    mode = get_enum(params, "mode", ("payment", "setup", "subscription"), required=True)
    if mode == "subscription":
        raise invalid("mode", "The simulator does not support subscription mode (Hostkeep does not use it).")
    if (get_str(params, "ui_mode") or "hosted") != "hosted":
        raise invalid("ui_mode", "The simulator serves only the hosted Checkout page (ui_mode=hosted).")
    success_url = _url(params, "success_url")
    cancel_url = _url(params, "cancel_url")
    customer_id = get_str(params, "customer")
    customer_email = get_str(params, "customer_email")
    if customer_id is not None and customer_email is not None:
        raise invalid("customer_email", "You may only specify one of these parameters: customer, customer_email.")
    if customer_id is not None:
        simulator.require(customer_id, "customer", "customer", "customer")
    client_reference_id = get_str(params, "client_reference_id", max_length=200)
    metadata = metadata_from(params)
    intent_data = get_dict(params, "payment_intent_data")
    setup_data = get_dict(params, "setup_intent_data")
    if mode == "setup" and intent_data:
        raise invalid("payment_intent_data", "You can not pass `payment_intent_data` in `setup` mode.")
    if mode == "payment" and setup_data:
        raise invalid("setup_intent_data", "You can not pass `setup_intent_data` in `payment` mode.")
    reject_unknown(intent_data, _INTENT_DATA_PARAMS)
    reject_unknown(setup_data, ("metadata", "description", "on_behalf_of"))
    intent_metadata = metadata_from(intent_data)
    setup_metadata = metadata_from(setup_data)
    setup_future_usage = get_enum(intent_data, "setup_future_usage", ("on_session", "off_session"))
    capture_method = get_enum(intent_data, "capture_method", ("automatic", "automatic_async", "manual"))
    raw_items = get_list(params, "line_items")
    if mode == "payment" and not raw_items:
        raise missing("line_items")
    if mode == "setup" and raw_items:
        raise invalid("line_items", "You can not pass `line_items` in `setup` mode.")
    items, currency, total = _line_items(simulator, raw_items)
    if mode == "setup":
        currency = payments.currency_from(params, required=False)
    now = simulator.clock.now_int()
    expires_at = get_int(params, "expires_at") or now + int(ONE_DAY)
    if not now + 1800 <= expires_at <= now + ONE_DAY:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
        )
    session_id = "cs_test_" + random_token(58)
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total if mode == "payment" else None,
        "amount_total": total if mode == "payment" else None,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "created": now,
        "currency": currency,
        "customer": customer_id,
        "customer_creation": "if_required" if mode == "payment" and customer_id is None else None,
        "customer_details": None,
        "customer_email": customer_email,
        "expires_at": expires_at,
        "invoice": None,
        "livemode": False,
        "locale": get_str(params, "locale"),
        "metadata": metadata,
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
        "setup_intent": None,
        "status": "open",
        "submit_type": get_str(params, "submit_type"),
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{simulator.url}/c/pay/{session_id}",
    }
    simulator.store(session)
    simulator.open_sessions[session_id] = expires_at
    simulator.private[session_id].update(
        {
            "line_items": items,
            "intent_metadata": intent_metadata,
            "setup_metadata": setup_metadata,
            "setup_future_usage": setup_future_usage,
            "capture_method": "manual" if capture_method == "manual" else "automatic",
            "description": get_str(intent_data, "description") or get_str(setup_data, "description"),
            "receipt_email": get_str(intent_data, "receipt_email"),
        }
    )
    return session


def _url(params: Json, name: str) -> str | None:
    value = get_str(params, name, max_length=5000)
    if value is not None and not value.startswith(("http://", "https://")):
        raise invalid(name, f"Not a valid URL: {name}", code="url_invalid")
    return value


def _line_items(simulator: StripeSimulator, raw_items: list[Any]) -> tuple[list[Json], str | None, int]:
    items: list[Json] = []
    currencies: set[str] = set()
    total = 0
    for index, raw in enumerate(raw_items):
        name = f"line_items[{index}]"
        if not isinstance(raw, dict):
            raise invalid(name, f"Invalid object: {name}")
        quantity = get_int(raw, "quantity")
        if quantity is None:
            raise missing(f"{name}[quantity]")
        if quantity < 1:
            raise invalid(f"{name}[quantity]", "Quantity must be at least 1.")
        price_id = get_str(raw, "price")
        if price_id is not None:
            price = simulator.require(price_id, "price", "price", f"{name}[price]")
            product = simulator.objects.get(price["product"], {})
            unit_amount, currency, description = price["unit_amount"], price["currency"], product.get("name")
        else:
            data = get_dict(raw, "price_data")
            if not data:
                raise StripeError(400, f"You must specify either `price` or `price_data` in {name}.", param=name)
            currency = payments.currency_from(data, param=f"{name}[price_data][currency]") or ""
            unit_amount = get_int(data, "unit_amount")
            if unit_amount is None:
                decimal = get_str(data, "unit_amount_decimal")
                if decimal is None:
                    raise missing(f"{name}[price_data][unit_amount]")
                unit_amount = int(float(decimal))
            product_data = get_dict(data, "product_data")
            description = product_data.get("name")
            if description is None and get_str(data, "product") is None:
                raise missing(f"{name}[price_data][product_data][name]")
            price = {
                "id": simulator.new_id("price"),
                "object": "price",
                "currency": currency,
                "unit_amount": unit_amount,
                "type": "one_time",
                "product": get_str(data, "product"),
            }
        currencies.add(currency)
        amount = unit_amount * quantity
        total += amount
        items.append(
            {
                "id": "li_" + random_token(24),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": currency,
                "description": description,
                "price": price,
                "quantity": quantity,
            }
        )
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    currency = next(iter(currencies)) if currencies else None
    if currency is not None:
        payments.check_amount(total, currency, "line_items")
    return items, currency, total


def retrieve_session(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "checkout.session", "checkout.session")


def list_sessions(simulator: StripeSimulator, call: ApiCall) -> Json:
    intent = get_str(call.params, "payment_intent")
    customer = get_str(call.params, "customer")
    status = get_str(call.params, "status")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "checkout.session"
        and (intent is None or obj["payment_intent"] == intent)
        and (customer is None or obj["customer"] == customer)
        and (status is None or obj["status"] == status)
    ]
    return simulator.list_response("/v1/checkout/sessions", items, call.params)


def list_line_items(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    simulator.require(id, "checkout.session", "checkout.session")
    items = simulator.private[id]["line_items"]
    return {"object": "list", "url": f"/v1/checkout/sessions/{id}/line_items", "has_more": False, "data": items}


def expire_session_endpoint(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    session = simulator.require(id, "checkout.session", "checkout.session")
    if session["status"] != "open":
        raise invalid("session", 'Only Checkout Sessions with a status in ["open"] can be expired.')
    expire_session(simulator, session, call)
    return session


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/checkout/sessions", create_session),
    ("GET", "/v1/checkout/sessions", list_sessions),
    ("GET", "/v1/checkout/sessions/{id}", retrieve_session),
    ("POST", "/v1/checkout/sessions/{id}/expire", expire_session_endpoint),
    ("GET", "/v1/checkout/sessions/{id}/line_items", list_line_items),
]


# -- what the buyer does ----------------------------------------------------------------------------


def expire_session(simulator: StripeSimulator, session: Json, call: ApiCall | None = None) -> None:
    if session["status"] != "open":
        raise ValueError(f"{session['id']} is {session['status']}, not open")
    session["status"] = "expired"
    simulator.open_sessions.pop(session["id"], None)
    intent = simulator.objects.get(session["payment_intent"] or "")
    if intent is not None and intent["status"] in (
        "requires_payment_method",
        "requires_action",
        "requires_confirmation",
    ):
        intent.update(
            {
                "status": "canceled",
                "canceled_at": simulator.clock.now_int(),
                "cancellation_reason": "abandoned",
                "next_action": None,
            }
        )
        simulator.emit("payment_intent.canceled", intent, call=call)
    simulator.emit("checkout.session.expired", session, call=call)


def expire_due_sessions(simulator: StripeSimulator) -> None:
    now = simulator.clock.now()
    for session_id in [s for s, expires_at in simulator.open_sessions.items() if expires_at <= now]:
        expire_session(simulator, simulator.objects[session_id])


def _customer_for(simulator: StripeSimulator, session: Json) -> str:
    """Checkout makes a Customer when saving a method needs one and the merchant gave none."""
    if session["customer"] is None:
        customer = {
            "id": simulator.new_id("cus"),
            "object": "customer",
            "created": simulator.clock.now_int(),
            "email": session["customer_email"],
            "name": None,
            "description": None,
            "phone": None,
            "metadata": {},
            "livemode": False,
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
            "balance": 0,
            "currency": None,
            "delinquent": False,
            "address": None,
            "default_source": None,
            "invoice_prefix": random_token(8).upper(),
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }
        simulator.store(customer)
        simulator.emit("customer.created", customer)
        session["customer"] = customer["id"]
    return str(session["customer"])


def pay_session(simulator: StripeSimulator, session_id: str, method_id: str, *, authenticate: bool | None) -> str:
    """The buyer confirms with ``method_id``; returns ``completed``, ``processing``, ``declined``
    (with the session still open) or ``requires_action`` (waiting for 3-D Secure)."""
    session = simulator.require(session_id, "checkout.session", "checkout.session")
    if session["status"] != "open":
        raise ValueError(f"checkout session {session_id} is {session['status']}, not open")
    extra = simulator.private[session_id]
    method = customers.resolve_payment_method(simulator, method_id)
    if session["mode"] == "setup":
        intent = simulator.objects.get(session["setup_intent"] or "")
        if intent is None:
            intent = setup_intents.new_setup_intent(
                simulator,
                customer=_customer_for(simulator, session),
                metadata=dict(extra["setup_metadata"]),
                description=extra["description"],
            )
            simulator.private[intent["id"]]["checkout_session"] = session_id
            session["setup_intent"] = intent["id"]
            simulator.emit("setup_intent.created", intent)
        setup_intents.confirm_setup(simulator, intent, method, call=None, return_url=session["url"], raise_error=False)
    else:
        intent = simulator.objects.get(session["payment_intent"] or "")
        if intent is None:
            saving = extra["setup_future_usage"] is not None
            intent = payments.new_payment_intent(
                simulator,
                amount=session["amount_total"],
                currency=session["currency"],
                customer=_customer_for(simulator, session) if saving else session["customer"],
                metadata=dict(extra["intent_metadata"]),
                description=extra["description"],
                setup_future_usage=extra["setup_future_usage"],
                capture_method=extra["capture_method"],
                receipt_email=extra["receipt_email"],
            )
            simulator.private[intent["id"]]["checkout_session"] = session_id
            session["payment_intent"] = intent["id"]
            simulator.emit("payment_intent.created", intent)
        try:
            payments.confirm_intent(simulator, intent, method, off_session=False, call=None, return_url=session["url"])
        except StripeError:
            return "declined"
    if intent["status"] == "requires_action":
        if authenticate is None:
            return "requires_action"
        payments.finish_authentication(simulator, intent["id"], succeeded=authenticate)
    intent_changed(simulator, intent)
    if session["status"] == "complete":
        return "processing" if session["payment_status"] == "unpaid" else "completed"
    return "declined"


def intent_changed(simulator: StripeSimulator, intent: Json) -> None:
    """Bring the owning Checkout Session up to date after its intent moved."""
    session_id = simulator.private.get(intent["id"], {}).get("checkout_session")
    if session_id is None:
        return
    session = simulator.objects[session_id]
    if session["status"] == "complete":
        if session["payment_status"] == "unpaid" and intent["status"] == "succeeded":
            session["payment_status"] = "paid"
            simulator.emit("checkout.session.async_payment_succeeded", session)
        elif session["payment_status"] == "unpaid" and intent["status"] == "requires_payment_method":
            simulator.emit("checkout.session.async_payment_failed", session)
        return
    if session["status"] != "open":
        return
    status = intent["status"]
    if status in ("succeeded", "requires_capture", "processing"):
        session["status"] = "complete"
        simulator.open_sessions.pop(session_id, None)
        if intent["object"] == "setup_intent":
            session["payment_status"] = "no_payment_required"
        else:
            session["payment_status"] = "unpaid" if status == "processing" else "paid"
        customer = simulator.objects.get(session["customer"] or "", {})
        session["customer_details"] = {
            "address": None,
            "email": customer.get("email") or session["customer_email"] or "buyer@example.com",
            "name": "Test Buyer",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        simulator.emit("checkout.session.completed", session)


# -- hosted pages -----------------------------------------------------------------------------------


def register_pages(simulator: StripeSimulator, router: Router) -> None:
    def bind(view: Callable[[StripeSimulator, SimulatorRequest], SimulatorResponse]) -> Any:
        return lambda request: view(simulator, request)

    router.add("GET", "/c/pay/{id}", bind(_checkout_page))
    router.add("POST", "/c/pay/{id}", bind(_checkout_submit))
    router.add("GET", "/3ds/{id}", bind(_authentication_page))
    router.add("POST", "/3ds/{id}", bind(_authentication_submit))


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return "-"
    return f"{amount / 100:.2f} {currency.upper()}"


def _checkout_page(
    simulator: StripeSimulator, request: SimulatorRequest, error: str | None = None
) -> SimulatorResponse:
    session_id = request.params["id"]
    with simulator.lock:
        session = simulator.objects.get(session_id)
        if session is None or session.get("object") != "checkout.session":
            return SimulatorResponse.html(404, page("Checkout session not found", "", gateway=simulator.name))
        if session["status"] != "open":
            done = escape(session["success_url"] or "")
            body = f"<p>This Checkout Session is {escape(session['status'])}.</p>"
            if session["status"] == "complete" and done:
                body += f"<p><a href='{done}'>Return to the merchant</a></p>"
            return SimulatorResponse.html(200, page("Checkout", body, gateway=simulator.name))
        items = simulator.private[session_id]["line_items"]
        summary = [
            (str(item["description"]), f"{item['quantity']} x {_money(item['price']['unit_amount'], item['currency'])}")
            for item in items
        ]
        summary.append(("Total", _money(session["amount_total"], session["currency"])))
        setup = session["mode"] == "setup"
    choices = "".join(
        radio(
            "payment_method",
            magic_id,
            f"{TEST_CARDS[magic_id].label} (**** {TEST_CARDS[magic_id].last4})",
            checked=index == 0,
        )
        for index, magic_id in enumerate(CHECKOUT_CHOICES)
    )
    warning = f"<p class='error'>{escape(error)}</p>" if error else ""
    body = (
        f"<div class='box'>{rows(summary) if not setup else '<p>Save a card for future payments.</p>'}</div>"
        f"{warning}<form method='post'><div class='box'>{choices}</div>"
        f"{button('pay', 'Save card' if setup else 'Pay')}{button('cancel', 'Cancel and return')}</form>"
    )
    return SimulatorResponse.html(200, page("Checkout", body, gateway=simulator.name))


def _form(request: SimulatorRequest) -> dict[str, str]:
    return dict(request.form_pairs())


def _checkout_submit(simulator: StripeSimulator, request: SimulatorRequest) -> SimulatorResponse:
    session_id = request.params["id"]
    form = _form(request)
    with simulator.lock:
        session = simulator.objects.get(session_id)
        if session is None or session.get("object") != "checkout.session" or session["status"] != "open":
            return _checkout_page(simulator, request)
        if form.get("action") == "cancel":
            return SimulatorResponse.redirect(session["cancel_url"] or session["url"])
        outcome = pay_session(simulator, session_id, form.get("payment_method") or "pm_card_visa", authenticate=None)
        intent = simulator.objects.get(session["payment_intent"] or session["setup_intent"] or "", {})
        if outcome == "requires_action":
            return SimulatorResponse.redirect(f"{simulator.url}/3ds/{intent['id']}")
        if outcome == "declined":
            problem = intent.get("last_payment_error") or intent.get("last_setup_error") or {}
            message = problem.get("message", "Your card was declined.")
        else:
            return SimulatorResponse.redirect(_success_url(simulator, session))
    return _checkout_page(simulator, request, error=message)


def _success_url(simulator: StripeSimulator, session: Json) -> str:
    if session["success_url"]:
        return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
    return str(session["url"])


def _authentication_page(simulator: StripeSimulator, request: SimulatorRequest) -> SimulatorResponse:
    intent_id = request.params["id"]
    with simulator.lock:
        intent = simulator.objects.get(intent_id)
        if intent is None or intent.get("status") != "requires_action":
            return SimulatorResponse.html(404, page("Nothing to authenticate", "", gateway=simulator.name))
        amount = _money(intent.get("amount"), intent.get("currency")) if intent["object"] == "payment_intent" else ""
    body = (
        f"<div class='box'><p>3-D Secure test page. {escape(amount)}</p>"
        f"<form method='post'>{hidden('intent', intent_id)}"
        f"{button('complete', 'Complete authentication')}{button('fail', 'Fail authentication')}</form></div>"
    )
    return SimulatorResponse.html(200, page("Authenticate payment", body, gateway=simulator.name))


def _authentication_submit(simulator: StripeSimulator, request: SimulatorRequest) -> SimulatorResponse:
    intent_id = request.params["id"]
    succeeded = _form(request).get("action") == "complete"
    with simulator.lock:
        intent = simulator.objects.get(intent_id)
        if intent is None or intent.get("status") != "requires_action":
            return SimulatorResponse.html(404, page("Nothing to authenticate", "", gateway=simulator.name))
        payments.finish_authentication(simulator, intent_id, succeeded=succeeded)
        intent_changed(simulator, intent)
        session_id = simulator.private.get(intent_id, {}).get("checkout_session")
        if session_id is not None:
            session = simulator.objects[session_id]
            if session["status"] == "complete":
                return SimulatorResponse.redirect(_success_url(simulator, session))
            return SimulatorResponse.redirect(session["url"])
        return_url = simulator.private.get(intent_id, {}).get("return_url")
    if not return_url:
        outcome = "succeeded" if succeeded else "failed"
        return SimulatorResponse.html(200, page(f"Authentication {outcome}", "", gateway=simulator.name))
    kind = "payment_intent" if intent["object"] == "payment_intent" else "setup_intent"
    query = urlencode(
        {
            kind: intent_id,
            f"{kind}_client_secret": intent["client_secret"],
            "redirect_status": "succeeded" if succeeded else "failed",
        }
    )
    return SimulatorResponse.redirect(f"{return_url}{'&' if '?' in return_url else '?'}{query}")
