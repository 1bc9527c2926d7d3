"""YooKassa payments and refunds: the status machine, saved methods, receipts (54-FZ).

``pending`` -> (buyer confirms) -> ``waiting_for_capture`` (``capture: false``) -> ``succeeded``
by our capture, or ``succeeded`` directly (``capture: true``); ``canceled`` from any of those with
``cancellation_details {party, reason}``. An uncaptured payment auto-cancels with
``expired_on_capture``; an unconfirmed one with ``expired_on_confirmation``.
"""

from __future__ import annotations

import base64
import copy
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from hostkeep.integrations.gatewaysim.clock import iso8601
from hostkeep.integrations.gatewaysim.identifiers import digits, random_token
from hostkeep.integrations.gatewaysim.server import SimulatorRequest
from hostkeep.integrations.yookassa.simulator.errors import YooKassaError, new_object_id

if TYPE_CHECKING:
    from hostkeep.integrations.yookassa.simulator.simulator import YooKassaSimulator

Json = dict[str, Any]

CURRENCIES = {"RUB", "USD", "EUR", "BYN", "CNY", "KZT", "UAH", "UZS", "TRY", "INR", "MDL", "AZN", "AMD", "GBP"}
PAYMENT_STATUSES = ("pending", "waiting_for_capture", "succeeded", "canceled")
REASON_PARTIES = {
    "3d_secure_failed": "yoo_kassa", "call_issuer": "payment_network", "card_expired": "payment_network",
    "invalid_card_number": "payment_network", "invalid_csc": "payment_network",
    "issuer_unavailable": "payment_network", "insufficient_funds": "payment_network",
    "country_forbidden": "yoo_kassa", "fraud_suspected": "yoo_kassa", "identification_required": "yoo_kassa",
    "payment_method_limit_exceeded": "payment_network", "payment_method_restricted": "payment_network",
    "internal_timeout": "yoo_kassa", "canceled_by_merchant": "merchant", "payment_expired": "yoo_kassa",
    "expired_on_confirmation": "yoo_kassa", "expired_on_capture": "yoo_kassa", "general_decline": "payment_network",
    "permission_revoked": "yoo_kassa",
}  # fmt: skip
TEST_CARD = {
    "first6": "555555",
    "last4": "4444",
    "expiry_month": "12",
    "expiry_year": "2030",
    "card_type": "MasterCard",
    "issuer_country": "RU",
}


def _error(status: int, description: str, parameter: str | None = None) -> Exception:
    return YooKassaError(status, description, parameter=parameter)


def _now(simulator: YooKassaSimulator) -> str:
    return iso8601(simulator.clock.now())


# -- validation -----------------------------------------------------------------------------------------


def parse_amount(raw: Any, parameter: str, accepted: frozenset[str] | set[str] = CURRENCIES) -> tuple[Decimal, str]:
    if not isinstance(raw, dict):
        raise _error(400, f"{parameter} is required", parameter)
    value, currency = raw.get("value"), raw.get("currency")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d{1,2})?", value):
        raise _error(
            400, f'Invalid {parameter}.value: a decimal string such as "100.00" is expected', f"{parameter}.value"
        )
    if currency not in accepted:
        raise _error(400, f"Invalid {parameter}.currency: {currency}", f"{parameter}.currency")
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise _error(400, f"Invalid {parameter}.value", f"{parameter}.value") from error
    if amount <= 0:
        raise _error(400, f"{parameter}.value must be greater than zero", f"{parameter}.value")
    return amount, str(currency)


def money(value: Decimal, currency: str) -> Json:
    return {"value": str(value.quantize(Decimal("0.01"), ROUND_HALF_UP)), "currency": currency}


def check_metadata(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _error(400, "metadata must be an object of strings", "metadata")
    if len(raw) > 16:
        raise _error(400, "metadata may have at most 16 keys", "metadata")
    for key, value in raw.items():
        if len(key) > 32:
            raise _error(400, f"metadata key is longer than 32 characters: {key}", "metadata")
        if not isinstance(value, str) or len(value) > 512:
            raise _error(400, f"metadata.{key} must be a string of at most 512 characters", "metadata")
    return dict(raw)


def check_receipt(simulator: YooKassaSimulator, raw: Any, amount: Decimal, currency: str) -> None:
    """54-FZ: a customer contact, valid items, and items summing exactly to the amount."""
    if raw is None:
        if simulator.receipts_required:
            raise _error(400, "Receipt is missing or illegal", "receipt")
        return
    if not isinstance(raw, dict):
        raise _error(400, "Receipt is missing or illegal", "receipt")
    customer = raw.get("customer") or {}
    if not (customer.get("email") or customer.get("phone") or raw.get("email") or raw.get("phone")):
        raise _error(400, "Receipt customer email or phone is required", "receipt.customer")
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        raise _error(400, "Receipt items are required", "receipt.items")
    total = Decimal(0)
    for index, item in enumerate(items):
        where = f"receipt.items[{index}]"
        if not isinstance(item, dict):
            raise _error(400, f"Invalid {where}", where)
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 128:
            raise _error(400, f"{where}.description is required (up to 128 characters)", f"{where}.description")
        try:
            quantity = Decimal(str(item.get("quantity")))
        except InvalidOperation as error:
            raise _error(400, f"Invalid {where}.quantity", f"{where}.quantity") from error
        if quantity <= 0:
            raise _error(400, f"Invalid {where}.quantity", f"{where}.quantity")
        unit, item_currency = parse_amount(item.get("amount"), f"{where}.amount")
        if item_currency != currency:
            raise _error(400, f"{where}.amount.currency must match the payment", f"{where}.amount.currency")
        vat_code = item.get("vat_code")
        if not isinstance(vat_code, int) or isinstance(vat_code, bool) or not 1 <= vat_code <= 12:
            raise _error(400, f"Invalid {where}.vat_code", f"{where}.vat_code")
        total += unit * quantity
    if total.quantize(Decimal("0.01"), ROUND_HALF_UP) != amount:
        raise _error(400, f"The sum of the receipt items ({total}) does not match the amount ({amount})", "receipt")


def _flag(body: Json, name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise _error(400, f"{name} must be true or false", name)
    return value


# -- payments -------------------------------------------------------------------------------------------


def create_payment(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest) -> Json:
    if not isinstance(body, dict):
        raise _error(400, "Request body is required")
    amount, currency = parse_amount(body.get("amount"), "amount", simulator.currencies)
    capture = _flag(body, "capture")
    save = _flag(body, "save_payment_method")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 128):
        raise _error(400, "description must be a string of at most 128 characters", "description")
    metadata = check_metadata(body.get("metadata"))
    confirmation = body.get("confirmation")
    method_id = body.get("payment_method_id")
    return_url = ""
    if method_id is not None:
        saved = simulator.saved_methods.get(method_id) if isinstance(method_id, str) else None
        if saved is None:
            raise _error(400, "Payment method not found or not saved", "payment_method_id")
    elif not isinstance(confirmation, dict):
        raise _error(400, "confirmation is required for a payment without payment_method_id", "confirmation")
    else:
        if confirmation.get("type") != "redirect":
            raise _error(400, 'The simulator supports confirmation.type "redirect" only', "confirmation.type")
        given_url = confirmation.get("return_url")
        if not isinstance(given_url, str) or not given_url:
            raise _error(400, "confirmation.return_url is required", "confirmation.return_url")
        return_url = given_url
    if save and not simulator.autopayments_enabled:
        raise _error(403, "Saving payment methods (autopayments) is not enabled for this shop", "save_payment_method")
    check_receipt(simulator, body.get("receipt"), amount, currency)
    merchant_customer_id = body.get("merchant_customer_id")
    if merchant_customer_id is not None and (
        not isinstance(merchant_customer_id, str) or len(merchant_customer_id) > 200
    ):
        raise _error(400, "merchant_customer_id must be at most 200 characters", "merchant_customer_id")
    payment_id = new_object_id("000f")
    payment: Json = {
        "id": payment_id,
        "status": "pending",
        "amount": money(amount, currency),
        "description": description,
        "recipient": {"account_id": simulator.shop_id, "gateway_id": "1000001"},
        "created_at": _now(simulator),
        "test": simulator.secret_key.startswith("test_"),
        "paid": False,
        "refundable": False,
        "metadata": metadata or {},
    }
    if description is None:
        del payment["description"]
    method_data = body.get("payment_method_data")
    if isinstance(method_data, dict) and method_data.get("type"):
        payment["payment_method"] = {"type": method_data["type"], "id": payment_id, "saved": False}
    if merchant_customer_id:
        payment["merchant_customer_id"] = merchant_customer_id
    if body.get("receipt") is not None:
        payment["receipt_registration"] = "pending"
    simulator.payments[payment_id] = payment
    simulator.payment_extras[payment_id] = {
        "capture": capture,
        "save": save,
        "sequence": simulator.next_sequence(),
        "created": simulator.clock.now(),
        "receipt": copy.deepcopy(body.get("receipt")),
    }
    if method_id is not None:
        _charge_saved(simulator, payment, simulator.saved_methods[method_id])
    else:
        simulator.deadlines[payment_id] = (
            simulator.clock.now() + simulator.confirmation_ttl,
            "expired_on_confirmation",
        )
        payment["confirmation"] = {
            "type": "redirect",
            "return_url": return_url,
            "confirmation_url": f"{simulator.url}/checkout/payments/v2/contract?orderId={payment_id}",
        }
    return payment


def _charge_saved(simulator: YooKassaSimulator, payment: Json, saved: Json) -> None:
    """Charging a saved method is synchronous: succeeded/waiting, canceled, or pending (receipt first)."""
    payment["payment_method"] = copy.deepcopy(saved["view"])
    if saved.get("revoked"):
        _cancel(simulator, payment, "yoo_kassa", "permission_revoked")
        return
    status, reason, party = (
        simulator.scripted_saved_charges.pop(0) if simulator.scripted_saved_charges else ("succeeded", None, None)
    )
    if status == "canceled":
        reason = reason or "general_decline"
        _cancel(simulator, payment, party or REASON_PARTIES.get(reason, "payment_network"), reason)
        return
    if simulator.receipt_first and payment.get("receipt_registration") == "pending":
        simulator.payment_extras[payment["id"]]["awaiting_receipt"] = True
        return
    _authorize(simulator, payment, three_d_secure=False)


def receipt_registered(simulator: YooKassaSimulator, payment_id: str) -> None:
    payment = simulator.payments[payment_id]
    extras = simulator.payment_extras[payment_id]
    payment["receipt_registration"] = "succeeded"
    if extras.pop("awaiting_receipt", False) and payment["status"] == "pending":
        _authorize(simulator, payment, three_d_secure=False)


def _authorize(simulator: YooKassaSimulator, payment: Json, *, three_d_secure: bool) -> None:
    """The money is held: ``waiting_for_capture``, or straight on to ``succeeded`` with ``capture``."""
    extras = simulator.payment_extras[payment["id"]]
    method = payment.get("payment_method") or {}
    if "card" not in method:
        method = {
            "type": "bank_card",
            "id": payment["id"],
            "saved": False,
            "status": "inactive",
            "title": f"Bank card *{TEST_CARD['last4']}",
            "card": dict(TEST_CARD),
        }
    if extras["save"] and not method["saved"]:
        method["saved"] = True
        method["status"] = "active"
        simulator.saved_methods[method["id"]] = {
            "view": copy.deepcopy(method),
            "revoked": False,
            "payment_id": payment["id"],
        }
    payment["payment_method"] = method
    payment["paid"] = True
    payment["authorization_details"] = {
        "rrn": digits(12),
        "auth_code": digits(6),
        "three_d_secure": {"applied": three_d_secure},
    }
    payment.pop("confirmation", None)
    if extras["capture"]:
        _succeed(simulator, payment)
        return
    payment["status"] = "waiting_for_capture"
    payment["expires_at"] = iso8601(simulator.clock.now() + simulator.capture_ttl)
    simulator.deadlines[payment["id"]] = (simulator.clock.now() + simulator.capture_ttl, "expired_on_capture")
    simulator.notify("payment.waiting_for_capture", payment)


def _succeed(simulator: YooKassaSimulator, payment: Json) -> None:
    amount = Decimal(payment["amount"]["value"])
    currency = payment["amount"]["currency"]
    payment.update(
        {
            "status": "succeeded",
            "paid": True,
            "captured_at": _now(simulator),
            "income_amount": money(amount * (1 - simulator.commission_rate), currency),
            "refundable": True,
            "refunded_amount": money(Decimal(0), currency),
        }
    )
    payment.pop("expires_at", None)
    simulator.deadlines.pop(payment["id"], None)
    if payment.get("receipt_registration") == "pending":
        payment["receipt_registration"] = "succeeded"
    simulator.notify("payment.succeeded", payment)


def _cancel(simulator: YooKassaSimulator, payment: Json, party: str, reason: str) -> None:
    payment.update(
        {
            "status": "canceled",
            "paid": False,
            "refundable": False,
            "cancellation_details": {"party": party, "reason": reason},
        }
    )
    payment.pop("confirmation", None)
    payment.pop("expires_at", None)
    simulator.deadlines.pop(payment["id"], None)
    simulator.notify("payment.canceled", payment)


def confirm(simulator: YooKassaSimulator, payment_id: str, *, succeeded: bool, reason: str, party: str | None) -> None:
    payment = simulator.payments[payment_id]
    if payment["status"] != "pending" or "confirmation" not in payment:
        raise ValueError(f"payment {payment_id} is not waiting for the buyer (status {payment['status']})")
    if succeeded:
        _authorize(simulator, payment, three_d_secure=True)
    else:
        _cancel(simulator, payment, party or REASON_PARTIES.get(reason, "payment_network"), reason)


def expire_due(simulator: YooKassaSimulator) -> None:
    now = simulator.clock.now()
    for payment_id, (deadline, reason) in list(simulator.deadlines.items()):
        if deadline <= now:
            _cancel(simulator, simulator.payments[payment_id], "yoo_kassa", reason)


def _payment(simulator: YooKassaSimulator, payment_id: str) -> Json:
    payment = simulator.payments.get(payment_id)
    if payment is None:
        raise _error(404, f"Payment {payment_id} not found", "payment_id")
    return payment


def get_payment(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest, id: str) -> Json:
    return _payment(simulator, id)


def capture_payment(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest, id: str) -> Json:
    payment = _payment(simulator, id)
    if payment["status"] != "waiting_for_capture":
        raise _error(
            400, f"Payment is in the status {payment['status']}; only waiting_for_capture can be captured", "payment_id"
        )
    body = body or {}
    if not isinstance(body, dict):
        raise _error(400, "Request body must be an object")
    held, currency = Decimal(payment["amount"]["value"]), payment["amount"]["currency"]
    if body.get("amount") is not None:
        amount, capture_currency = parse_amount(body["amount"], "amount", simulator.currencies)
        if capture_currency != currency or amount > held:
            raise _error(400, "The capture amount must not exceed the payment amount, in the same currency", "amount")
        payment["amount"] = money(amount, currency)
    if body.get("receipt") is not None:
        check_receipt(simulator, body["receipt"], Decimal(payment["amount"]["value"]), currency)
    _succeed(simulator, payment)
    return payment


def cancel_payment(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest, id: str) -> Json:
    payment = _payment(simulator, id)
    if payment["status"] != "waiting_for_capture":
        raise _error(
            400, f"Payment is in the status {payment['status']}; only waiting_for_capture can be canceled", "payment_id"
        )
    _cancel(simulator, payment, "merchant", "canceled_by_merchant")
    return payment


def _page(items: list[Json], request: SimulatorRequest) -> Json:
    limit_text = request.query_value("limit") or "10"
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        raise _error(400, "limit must be between 1 and 100", "limit")
    limit = int(limit_text)
    cursor = request.query_value("cursor")
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
    except (ValueError, UnicodeDecodeError) as error:
        raise _error(400, "Invalid cursor", "cursor") from error
    result: Json = {"type": "list", "items": items[offset : offset + limit]}
    if offset + limit < len(items):
        result["next_cursor"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
    return result


def list_payments(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest) -> Json:
    status = request.query_value("status")
    if status is not None and status not in PAYMENT_STATUSES:
        raise _error(400, f"Invalid status: {status}", "status")
    items = sorted(
        (p for p in simulator.payments.values() if status is None or p["status"] == status),
        key=lambda p: simulator.payment_extras[p["id"]]["sequence"],
        reverse=True,
    )
    return _page(items, request)


# -- refunds --------------------------------------------------------------------------------------------


def create_refund(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest) -> Json:
    if not isinstance(body, dict):
        raise _error(400, "Request body is required")
    payment_id = body.get("payment_id")
    if not isinstance(payment_id, str):
        raise _error(400, "payment_id is required", "payment_id")
    payment = _payment(simulator, payment_id)
    amount, currency = parse_amount(body.get("amount"), "amount", simulator.currencies)
    if payment["status"] != "succeeded":
        raise _error(400, f"Only succeeded payments can be refunded; this one is {payment['status']}", "payment_id")
    if currency != payment["amount"]["currency"]:
        raise _error(400, "The refund currency must match the payment", "amount.currency")
    refunded = Decimal(payment["refunded_amount"]["value"])
    remaining = Decimal(payment["amount"]["value"]) - refunded
    if amount > remaining:
        raise _error(400, f"The refund amount exceeds what is left to refund ({remaining})", "amount")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 250):
        raise _error(400, "description must be at most 250 characters", "description")
    check_receipt(simulator, body.get("receipt"), amount, currency)
    status = simulator.scripted_refunds.pop(0) if simulator.scripted_refunds else "succeeded"
    refund: Json = {
        "id": new_object_id("0015"),
        "payment_id": payment_id,
        "status": status,
        "amount": money(amount, currency),
        "created_at": _now(simulator),
    }
    if description:
        refund["description"] = description
    if status == "canceled":
        refund["cancellation_details"] = {"party": "yoo_kassa", "reason": "general_decline"}
    else:
        _count_refund(payment, amount)
    simulator.refunds[refund["id"]] = refund
    simulator.payment_extras[refund["id"]] = {"sequence": simulator.next_sequence()}
    if status == "succeeded":
        simulator.notify("refund.succeeded", refund)
    return refund


def _count_refund(payment: Json, amount: Decimal) -> None:
    currency = payment["amount"]["currency"]
    refunded = Decimal(payment["refunded_amount"]["value"]) + amount
    payment["refunded_amount"] = money(refunded, currency)
    payment["refundable"] = refunded < Decimal(payment["amount"]["value"])


def settle_refund(simulator: YooKassaSimulator, refund_id: str, *, succeeded: bool) -> None:
    refund = simulator.refunds[refund_id]
    if refund["status"] != "pending":
        raise ValueError(f"refund {refund_id} is {refund['status']}, not pending")
    if succeeded:
        refund["status"] = "succeeded"
        simulator.notify("refund.succeeded", refund)
        return
    refund["status"] = "canceled"
    refund["cancellation_details"] = {"party": "yoo_kassa", "reason": "general_decline"}
    _count_refund(simulator.payments[refund["payment_id"]], -Decimal(refund["amount"]["value"]))


def get_refund(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest, id: str) -> Json:
    refund = simulator.refunds.get(id)
    if refund is None:
        raise _error(404, f"Refund {id} not found", "refund_id")
    return refund


def list_refunds(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest) -> Json:
    payment_id = request.query_value("payment_id")
    items = sorted(
        (r for r in simulator.refunds.values() if payment_id is None or r["payment_id"] == payment_id),
        key=lambda r: simulator.payment_extras[r["id"]]["sequence"],
        reverse=True,
    )
    return _page(items, request)


def me(simulator: YooKassaSimulator, body: Any, request: SimulatorRequest) -> Json:
    return {
        "account_id": simulator.shop_id,
        "test": simulator.secret_key.startswith("test_"),
        "fiscalization_enabled": simulator.receipts_required,
        "payment_methods": ["bank_card"],
        "status": "enabled",
        "itn": random_token(10, "0123456789"),
    }


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v3/payments", create_payment),
    ("GET", "/v3/payments", list_payments),
    ("GET", "/v3/payments/{id}", get_payment),
    ("POST", "/v3/payments/{id}/capture", capture_payment),
    ("POST", "/v3/payments/{id}/cancel", cancel_payment),
    ("POST", "/v3/refunds", create_refund),
    ("GET", "/v3/refunds", list_refunds),
    ("GET", "/v3/refunds/{id}", get_refund),
    ("GET", "/v3/me", me),
]
