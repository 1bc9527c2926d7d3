"""PayPal Orders v2 and Payments v2: create, approve (hosted page), capture, refund, vault.

The order state machine: ``CREATED`` (or ``PAYER_ACTION_REQUIRED`` when ``payment_source`` was
sent) -> ``APPROVED`` by the buyer -> ``COMPLETED`` by our capture. What capture does is scripted
per order at approval (the hosted page offers the choices): a ``COMPLETED``, ``PENDING`` or
``DECLINED`` capture behind HTTP 201, or a 422 such as ``INSTRUMENT_DECLINED``.
"""

from __future__ import annotations

import copy
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hostkeep.integrations.gatewaysim.clock import iso8601
from hostkeep.integrations.gatewaysim.identifiers import random_token, upper_id
from hostkeep.integrations.gatewaysim.pages import button, page, radio, rows
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.paypal.simulator.errors import PayPalError

if TYPE_CHECKING:
    from hostkeep.integrations.paypal.simulator.simulator import ApiCall, PayPalSimulator, Result

Json = dict[str, Any]

ZERO_DECIMAL_CURRENCIES = {"JPY", "HUF", "TWD"}
CAPTURE_OUTCOMES = (
    "COMPLETED",
    "PENDING",
    "DECLINED",
    "INSTRUMENT_DECLINED",
    "PAYER_ACTION_REQUIRED",
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
)
_CAPTURE_EVENTS = {
    "COMPLETED": ("PAYMENT.CAPTURE.COMPLETED", "Payment completed for {amount}"),
    "PENDING": ("PAYMENT.CAPTURE.PENDING", "Payment pending for {amount}"),
    "DECLINED": ("PAYMENT.CAPTURE.DECLINED", "Payment declined for {amount}"),
}


# -- money ----------------------------------------------------------------------------------------------


def _quantum(currency: str) -> Decimal:
    return Decimal("1") if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def money(value: Decimal, currency: str) -> Json:
    return {"currency_code": currency, "value": str(value.quantize(_quantum(currency), ROUND_HALF_UP))}


def parse_amount(raw: Any, field: str) -> tuple[Decimal, str]:
    """``{currency_code, value}`` with ``value`` a decimal string ("10.00"; "1000" for JPY)."""
    if not isinstance(raw, dict):
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field=field)
    currency = raw.get("currency_code")
    value = raw.get("value")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise PayPalError(
            400,
            "INVALID_PARAMETER_VALUE" if currency else "MISSING_REQUIRED_PARAMETER",
            field=f"{field}/currency_code",
            value=str(currency),
        )
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,10}(\.\d+)?", value):
        raise PayPalError(
            400,
            "INVALID_PARAMETER_SYNTAX" if value else "MISSING_REQUIRED_PARAMETER",
            field=f"{field}/value",
            value=str(value),
        )
    decimals = len(value.partition(".")[2])
    if decimals > (0 if currency in ZERO_DECIMAL_CURRENCIES else 2):
        raise PayPalError(422, "DECIMAL_PRECISION", field=f"{field}/value", value=value)
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise PayPalError(400, "INVALID_PARAMETER_SYNTAX", field=f"{field}/value", value=value) from error
    return amount, currency


def _check_length(unit: Json, name: str, limit: int, field: str) -> None:
    value = unit.get(name)
    if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= limit):
        raise PayPalError(400, "INVALID_STRING_LENGTH", field=f"{field}/{name}", value=str(value))


# -- representations ----------------------------------------------------------------------------------


def _links(simulator: PayPalSimulator, order: Json) -> list[Json]:
    base = f"{simulator.url}/v2/checkout/orders/{order['id']}"
    buyer = f"{simulator.url}/checkoutnow?token={order['id']}"
    links = [{"href": base, "rel": "self", "method": "GET"}]
    status = order["status"]
    if status == "CREATED":
        links.append({"href": buyer, "rel": "approve", "method": "GET"})
    if status == "PAYER_ACTION_REQUIRED":
        links.append({"href": buyer, "rel": "payer-action", "method": "GET"})
    if status in ("CREATED", "APPROVED"):
        links.append({"href": base, "rel": "update", "method": "PATCH"})
        links.append({"href": f"{base}/capture", "rel": "capture", "method": "POST"})
    return links


def order_representation(simulator: PayPalSimulator, order: Json) -> Json:
    result = copy.deepcopy(order)
    result["links"] = _links(simulator, order)
    return result


def order_response(simulator: PayPalSimulator, order: Json, full: bool) -> Json:
    if full:
        return order_representation(simulator, order)
    minimal: Json = {"id": order["id"], "status": order["status"]}
    if "payment_source" in order:
        minimal["payment_source"] = copy.deepcopy(order["payment_source"])
    minimal["links"] = _links(simulator, order)
    return minimal


def refund_representation(refund: Json, full: bool) -> Json:
    if full:
        return copy.deepcopy(refund)
    return {"id": refund["id"], "status": refund["status"], "links": copy.deepcopy(refund["links"])}


def _not_found(name: str) -> PayPalError:
    return PayPalError(404, "INVALID_RESOURCE_ID", field=name, location="path")


# -- orders ---------------------------------------------------------------------------------------------


def create_order(simulator: PayPalSimulator, call: ApiCall) -> Result:
    body = call.body
    if not isinstance(body, dict):
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field="/intent")
    intent = body.get("intent")
    if intent is None:
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field="/intent")
    if intent != "CAPTURE":
        raise PayPalError(
            422 if intent == "AUTHORIZE" else 400,
            "INVALID_PARAMETER_VALUE",
            field="/intent",
            value=str(intent),
            description="The simulator supports intent CAPTURE only.",
        )
    raw_units = body.get("purchase_units")
    if not isinstance(raw_units, list) or not raw_units:
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field="/purchase_units")
    units = [_purchase_unit(simulator, raw, index) for index, raw in enumerate(raw_units)]
    if len({unit["reference_id"] for unit in units}) != len(units):
        raise PayPalError(
            422,
            "INVALID_PARAMETER_VALUE",
            field="/purchase_units",
            description="reference_id must be unique across purchase units.",
        )
    payment_source = body.get("payment_source")
    if payment_source is not None and not call.request_id:
        raise PayPalError(400, "PAYPAL_REQUEST_ID_REQUIRED", field="PayPal-Request-Id", location="header")
    paypal_source = payment_source.get("paypal", {}) if isinstance(payment_source, dict) else {}
    context = paypal_source.get("experience_context") or body.get("application_context") or {}
    vault_request = (paypal_source.get("attributes") or {}).get("vault") or {}
    now = iso8601(simulator.clock.now(), milliseconds=False)
    order: Json = {
        "id": upper_id(17),
        "intent": "CAPTURE",
        "status": "PAYER_ACTION_REQUIRED" if payment_source is not None else "CREATED",
        "purchase_units": units,
        "create_time": now,
        "update_time": now,
    }
    if payment_source is not None:
        order["payment_source"] = {"paypal": {}}
    simulator.orders[order["id"]] = order
    simulator.order_extras[order["id"]] = {
        "return_url": context.get("return_url"),
        "cancel_url": context.get("cancel_url"),
        "capture_outcome": None,
        "pending_reason": None,
        "store_in_vault": vault_request.get("store_in_vault") == "ON_SUCCESS",
    }
    vault_id = paypal_source.get("vault_id")
    if vault_id is not None:
        token = simulator.vault_tokens.get(vault_id)
        if token is None:
            del simulator.orders[order["id"]]
            raise PayPalError(404, "INVALID_RESOURCE_ID", field="/payment_source/paypal/vault_id", value=vault_id)
        order["payment_source"] = {"paypal": copy.deepcopy(token["payment_source"]["paypal"])}
        order["payment_source"]["paypal"]["attributes"] = {
            "vault": {"id": vault_id, "status": "VAULTED", "customer": copy.deepcopy(token["customer"])}
        }
        order["payer"] = copy.deepcopy(token["payer"])
        order["status"] = "APPROVED"
        try:
            _capture(simulator, order)
        except PayPalError:
            order["status"] = "CREATED"
            raise
        return 201, order_response(simulator, order, True), ("order", order["id"])
    return 201, order_response(simulator, order, call.representation), ("order", order["id"])


def _purchase_unit(simulator: PayPalSimulator, raw: Any, index: int) -> Json:
    if not isinstance(raw, dict):
        raise PayPalError(400, "INVALID_PARAMETER_SYNTAX", field=f"/purchase_units/{index}")
    reference_id = raw.get("reference_id") or "default"
    field = f"/purchase_units/@reference_id=='{reference_id}'"
    value, _ = parse_amount(raw.get("amount"), f"{field}/amount")
    if value <= 0:
        raise PayPalError(
            422,
            "INVALID_PARAMETER_VALUE",
            field=f"{field}/amount/value",
            value=str(value),
            description="Amount must be greater than zero.",
        )
    for name, limit in (
        ("description", 127),
        ("custom_id", 127),
        ("invoice_id", 127),
        ("reference_id", 256),
        ("soft_descriptor", 22),
    ):
        _check_length(raw, name, limit, field)
    breakdown = raw["amount"].get("breakdown")
    if isinstance(breakdown, dict):
        total = Decimal(0)
        for name, sign in (
            ("item_total", 1),
            ("tax_total", 1),
            ("shipping", 1),
            ("handling", 1),
            ("insurance", 1),
            ("shipping_discount", -1),
            ("discount", -1),
        ):
            if name in breakdown:
                total += sign * parse_amount(breakdown[name], f"{field}/amount/breakdown/{name}")[0]
        if total != value:
            raise PayPalError(422, "AMOUNT_MISMATCH", field=f"{field}/amount/value", value=str(value))
    unit: Json = {
        "reference_id": reference_id,
        "amount": copy.deepcopy(raw["amount"]),
        "payee": {"email_address": simulator.merchant_email, "merchant_id": simulator.merchant_id},
    }
    for name in ("description", "custom_id", "invoice_id", "soft_descriptor", "items"):
        if name in raw:
            unit[name] = copy.deepcopy(raw[name])
    return unit


def get_order(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    order = simulator.orders.get(id)
    if order is None:
        raise _not_found("order_id")
    return 200, order_representation(simulator, order), None


def approve(simulator: PayPalSimulator, order_id: str, *, capture_outcome: str, pending_reason: str | None) -> str:
    """The buyer approves; returns where the buyer's browser goes next (``return_url``)."""
    order = simulator.orders.get(order_id)
    if order is None:
        raise KeyError(order_id)
    if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
        raise ValueError(f"order {order_id} is {order['status']} and cannot be approved")
    if capture_outcome not in CAPTURE_OUTCOMES:
        raise ValueError(f"capture_outcome must be one of {', '.join(CAPTURE_OUTCOMES)}")
    payer_id = order.get("payer", {}).get("payer_id") or upper_id(13)
    order["payer"] = {
        "name": {"given_name": "Test", "surname": "Buyer"},
        "email_address": "buyer@example.com",
        "payer_id": payer_id,
        "address": {"country_code": "US"},
    }
    if "payment_source" in order:
        order["payment_source"]["paypal"].update(
            {
                "email_address": "buyer@example.com",
                "account_id": payer_id,
                "account_status": "VERIFIED",
                "name": {"given_name": "Test", "surname": "Buyer"},
                "address": {"country_code": "US"},
            }
        )
    order["status"] = "APPROVED"
    order["update_time"] = iso8601(simulator.clock.now(), milliseconds=False)
    extras = simulator.order_extras[order_id]
    extras["capture_outcome"] = capture_outcome
    extras["pending_reason"] = pending_reason
    simulator.emit(
        "CHECKOUT.ORDER.APPROVED",
        "checkout-order",
        order_representation(simulator, order),
        "An order has been approved by buyer",
    )
    target = extras["return_url"]
    if not target:
        return ""
    return f"{target}{'&' if '?' in target else '?'}{urlencode({'token': order_id, 'PayerID': payer_id})}"


def capture_order(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    order = simulator.orders.get(id)
    if order is None:
        raise _not_found("order_id")
    if order["status"] == "COMPLETED":
        raise PayPalError(422, "ORDER_ALREADY_CAPTURED")
    if order["status"] != "APPROVED":
        raise PayPalError(422, "ORDER_NOT_APPROVED")
    _capture(simulator, order)
    return 201, order_response(simulator, order, True), ("capture", order["id"])


def _capture(simulator: PayPalSimulator, order: Json) -> None:
    extras = simulator.order_extras[order["id"]]
    outcome = extras["capture_outcome"]
    reason = extras["pending_reason"]
    if outcome is None:
        outcome, reason = simulator.scripted_captures.pop(0) if simulator.scripted_captures else ("COMPLETED", None)
    approve_link = {"href": f"{simulator.url}/checkoutnow?token={order['id']}", "rel": "redirect", "method": "GET"}
    if outcome in ("INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED"):
        raise PayPalError(422, outcome, extra_links=[approve_link])
    if outcome == "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED":
        raise PayPalError(422, outcome)
    if simulator.unique_invoice_id:
        used = {c.get("invoice_id") for c in simulator.captures.values() if c["status"] != "DECLINED"}
        for unit in order["purchase_units"]:
            if unit.get("invoice_id") and unit["invoice_id"] in used:
                raise PayPalError(
                    422, "DUPLICATE_INVOICE_ID", field="/purchase_units/0/invoice_id", value=unit["invoice_id"]
                )
    for unit in order["purchase_units"]:
        capture = _make_capture(simulator, order, unit, outcome, reason)
        unit["payments"] = {"captures": [capture]}
        event_type, summary = _CAPTURE_EVENTS[outcome]
        simulator.emit(
            event_type,
            "capture",
            capture,
            summary.format(amount=f"{capture['amount']['value']} {capture['amount']['currency_code']}"),
        )
    order["status"] = "COMPLETED"
    order["update_time"] = iso8601(simulator.clock.now(), milliseconds=False)
    if extras["store_in_vault"] and outcome == "COMPLETED":
        _vault(simulator, order)


def _make_capture(simulator: PayPalSimulator, order: Json, unit: Json, status: str, reason: str | None) -> Json:
    value, currency = parse_amount(unit["amount"], "/amount")
    now = iso8601(simulator.clock.now(), milliseconds=False)
    capture_id = upper_id(17)
    base = f"{simulator.url}/v2/payments/captures/{capture_id}"
    capture: Json = {
        "id": capture_id,
        "status": status,
        "amount": money(value, currency),
        "final_capture": True,
        "seller_protection": {
            "status": "ELIGIBLE",
            "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
        },
        "links": [
            {"href": base, "rel": "self", "method": "GET"},
            {"href": f"{base}/refund", "rel": "refund", "method": "POST"},
            {"href": f"{simulator.url}/v2/checkout/orders/{order['id']}", "rel": "up", "method": "GET"},
        ],
        "create_time": now,
        "update_time": now,
        "supplementary_data": {"related_ids": {"order_id": order["id"]}},
    }
    for name in ("custom_id", "invoice_id"):
        if unit.get(name):
            capture[name] = unit[name]
    if status == "PENDING":
        capture["status_details"] = {"reason": reason or "PENDING_REVIEW"}
    if status == "DECLINED" and reason:
        capture["status_details"] = {"reason": reason}
    if status == "COMPLETED":
        capture["seller_receivable_breakdown"] = _breakdown(simulator, value, currency)
    simulator.captures[capture_id] = capture
    simulator.capture_extras[capture_id] = {"refunded": Decimal(0), "order_id": order["id"]}
    return capture


def _breakdown(simulator: PayPalSimulator, gross: Decimal, currency: str) -> Json:
    fee = (gross * simulator.fee_rate + simulator.fee_fixed).quantize(_quantum(currency), ROUND_HALF_UP)
    return {
        "gross_amount": money(gross, currency),
        "paypal_fee": money(fee, currency),
        "net_amount": money(gross - fee, currency),
    }


def _vault(simulator: PayPalSimulator, order: Json) -> None:
    token_id = random_token(8).lower()
    customer = {"id": random_token(10)}
    source = order["payment_source"]["paypal"]
    token = {
        "id": token_id,
        "customer": customer,
        "payment_source": {"paypal": {k: copy.deepcopy(v) for k, v in source.items() if k != "attributes"}},
        "payer": copy.deepcopy(order["payer"]),
        "links": [{"href": f"{simulator.url}/v3/vault/payment-tokens/{token_id}", "rel": "self", "method": "GET"}],
    }
    simulator.vault_tokens[token_id] = token
    source["attributes"] = {
        "vault": {
            "id": token_id,
            "status": "VAULTED",
            "customer": dict(customer),
            "links": copy.deepcopy(token["links"]),
        }
    }
    simulator.emit(
        "VAULT.PAYMENT-TOKEN.CREATED", "payment_token", _token_view(token), "A payment token has been created."
    )


def _token_view(token: Json) -> Json:
    return {key: copy.deepcopy(value) for key, value in token.items() if key != "payer"}


def get_vault_token(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    token = simulator.vault_tokens.get(id)
    if token is None:
        raise _not_found("id")
    return 200, _token_view(token), None


def delete_vault_token(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    token = simulator.vault_tokens.pop(id, None)
    if token is None:
        raise _not_found("id")
    simulator.emit("VAULT.PAYMENT-TOKEN.DELETED", "payment_token", {"id": id}, "A payment token has been deleted.")
    return 204, None, None


def settle_capture(simulator: PayPalSimulator, capture_id: str, *, completed: bool) -> None:
    capture = simulator.captures[capture_id]
    if capture["status"] != "PENDING":
        raise ValueError(f"capture {capture_id} is {capture['status']}, not PENDING")
    capture.pop("status_details", None)
    capture["update_time"] = iso8601(simulator.clock.now(), milliseconds=False)
    amount = f"{capture['amount']['value']} {capture['amount']['currency_code']}"
    if completed:
        capture["status"] = "COMPLETED"
        value, currency = parse_amount(capture["amount"], "/amount")
        capture["seller_receivable_breakdown"] = _breakdown(simulator, value, currency)
        simulator.emit("PAYMENT.CAPTURE.COMPLETED", "capture", capture, f"Payment completed for {amount}")
    else:
        capture["status"] = "DECLINED"
        simulator.emit("PAYMENT.CAPTURE.DENIED", "capture", capture, f"Payment denied for {amount}")


def reverse_capture(simulator: PayPalSimulator, capture_id: str) -> None:
    capture = simulator.captures[capture_id]
    capture["status"] = "REVERSED"
    capture["status_details"] = {"reason": "CHARGEBACK"}
    capture["update_time"] = iso8601(simulator.clock.now(), milliseconds=False)
    amount = f"{capture['amount']['value']} {capture['amount']['currency_code']}"
    simulator.emit("PAYMENT.CAPTURE.REVERSED", "capture", capture, f"A {amount} capture payment was reversed")


def get_capture(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    capture = simulator.captures.get(id)
    if capture is None:
        raise _not_found("capture_id")
    return 200, copy.deepcopy(capture), None


# -- refunds --------------------------------------------------------------------------------------------


def refund_capture(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    capture = simulator.captures.get(id)
    if capture is None:
        raise _not_found("capture_id")
    if capture["status"] == "REFUNDED":
        raise PayPalError(422, "CAPTURE_FULLY_REFUNDED")
    if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
        raise PayPalError(422, "REFUND_NOT_ALLOWED")
    body = call.body or {}
    if not isinstance(body, dict):
        raise PayPalError(400, "INVALID_PARAMETER_SYNTAX", field="/")
    gross, currency = parse_amount(capture["amount"], "/amount")
    extras = simulator.capture_extras[id]
    remaining = gross - extras["refunded"]
    if "amount" in body:
        amount, refund_currency = parse_amount(body["amount"], "/amount")
        if refund_currency != currency:
            raise PayPalError(
                422, "REFUND_CAPTURE_CURRENCY_MISMATCH", field="/amount/currency_code", value=refund_currency
            )
        if amount <= 0:
            raise PayPalError(422, "INVALID_PARAMETER_VALUE", field="/amount/value", value=str(amount))
        if amount > remaining:
            raise PayPalError(422, "REFUND_AMOUNT_EXCEEDED", field="/amount/value", value=str(amount))
    else:
        amount = remaining
    for name, limit in (("invoice_id", 127), ("custom_id", 127), ("note_to_payer", 255)):
        _check_length(body, name, limit, "")
    status = simulator.scripted_refunds.pop(0) if simulator.scripted_refunds else "COMPLETED"
    now = iso8601(simulator.clock.now(), milliseconds=False)
    refund_id = upper_id(17)
    fee_share = Decimal(0)
    breakdown = capture.get("seller_receivable_breakdown")
    if breakdown:
        fee = Decimal(breakdown["paypal_fee"]["value"])
        fee_share = (fee * amount / gross).quantize(_quantum(currency), ROUND_HALF_UP)
    counted = status in ("COMPLETED", "PENDING")
    refund: Json = {
        "id": refund_id,
        "amount": money(amount, currency),
        "seller_payable_breakdown": {
            "gross_amount": money(amount, currency),
            "paypal_fee": money(fee_share, currency),
            "net_amount": money(amount - fee_share, currency),
            "total_refunded_amount": money(extras["refunded"] + (amount if counted else 0), currency),
        },
        "invoice_id": body.get("invoice_id") or capture.get("invoice_id"),
        "custom_id": body.get("custom_id") or capture.get("custom_id"),
        "status": status,
        "create_time": now,
        "update_time": now,
        "links": [
            {"href": f"{simulator.url}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
            {"href": f"{simulator.url}/v2/payments/captures/{id}", "rel": "up", "method": "GET"},
        ],
    }
    if body.get("note_to_payer"):
        refund["note_to_payer"] = body["note_to_payer"]
    if status == "PENDING":
        refund["status_details"] = {"reason": "ECHECK"}
    refund = {key: value for key, value in refund.items() if value is not None}
    simulator.refunds[refund_id] = refund
    if counted:
        extras["refunded"] += amount
        capture["status"] = "REFUNDED" if extras["refunded"] >= gross else "PARTIALLY_REFUNDED"
        capture["update_time"] = now
    if status == "COMPLETED":
        simulator.emit(
            "PAYMENT.CAPTURE.REFUNDED", "refund", refund, f"A {amount} {currency} capture payment was refunded"
        )
    return 201, refund_representation(refund, call.representation), ("refund", refund_id)


def get_refund(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    refund = simulator.refunds.get(id)
    if refund is None:
        raise _not_found("refund_id")
    return 200, copy.deepcopy(refund), None


ROUTES: list[tuple[str, str, Any, bool]] = [
    ("POST", "/v2/checkout/orders", create_order, True),
    ("GET", "/v2/checkout/orders/{id}", get_order, False),
    ("POST", "/v2/checkout/orders/{id}/capture", capture_order, True),
    ("GET", "/v2/payments/captures/{id}", get_capture, False),
    ("POST", "/v2/payments/captures/{id}/refund", refund_capture, True),
    ("GET", "/v2/payments/refunds/{id}", get_refund, False),
    ("GET", "/v3/vault/payment-tokens/{id}", get_vault_token, False),
    ("DELETE", "/v3/vault/payment-tokens/{id}", delete_vault_token, False),
]


# -- the buyer's approval page ---------------------------------------------------------------------------

_PAGE_CHOICES = (
    ("COMPLETED", "Pay with PayPal balance (capture completes)"),
    ("PENDING", "Pay, capture stays PENDING (review)"),
    ("DECLINED", "Pay, capture is DECLINED"),
    ("INSTRUMENT_DECLINED", "Funding source declined at capture (422 INSTRUMENT_DECLINED)"),
)


def register_pages(simulator: PayPalSimulator, router: Router) -> None:
    router.add("GET", "/checkoutnow", lambda request: _approval_page(simulator, request))
    router.add("POST", "/checkoutnow", lambda request: _approval_submit(simulator, request))


def _approval_page(simulator: PayPalSimulator, request: SimulatorRequest) -> SimulatorResponse:
    order_id = request.query_value("token") or ""
    with simulator.lock:
        order = simulator.orders.get(order_id)
        if order is None:
            return SimulatorResponse.html(404, page("Order not found", "", gateway=simulator.name))
        if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
            return SimulatorResponse.html(
                200, page("PayPal", f"<p>This order is {escape(order['status'])}.</p>", gateway=simulator.name)
            )
        summary = [
            (
                unit.get("description") or unit["reference_id"],
                f"{unit['amount']['value']} {unit['amount']['currency_code']}",
            )
            for unit in order["purchase_units"]
        ]
    choices = "".join(
        radio("outcome", value, label, checked=index == 0) for index, (value, label) in enumerate(_PAGE_CHOICES)
    )
    body = (
        f"<div class='box'>{rows(summary)}</div><form method='post'><div class='box'>{choices}</div>"
        f"{button('approve', 'Approve and continue')}{button('cancel', 'Cancel and return to merchant')}</form>"
    )
    return SimulatorResponse.html(200, page("Pay with PayPal", body, gateway=simulator.name))


def _approval_submit(simulator: PayPalSimulator, request: SimulatorRequest) -> SimulatorResponse:
    order_id = request.query_value("token") or ""
    form = dict(request.form_pairs())
    with simulator.lock:
        order = simulator.orders.get(order_id)
        if order is None or order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
            return _approval_page(simulator, request)
        extras = simulator.order_extras[order_id]
        if form.get("action") == "cancel":
            target = extras["cancel_url"]
            if target:
                return SimulatorResponse.redirect(f"{target}{'&' if '?' in target else '?'}token={order_id}")
            return SimulatorResponse.html(200, page("Payment cancelled", "", gateway=simulator.name))
        outcome = form.get("outcome") or "COMPLETED"
        if outcome not in CAPTURE_OUTCOMES:
            outcome = "COMPLETED"
        target = approve(simulator, order_id, capture_outcome=outcome, pending_reason="PENDING_REVIEW")
    if target:
        return SimulatorResponse.redirect(target)
    return SimulatorResponse.html(200, page("Order approved", "<p>Return to the merchant.</p>", gateway=simulator.name))
