"""PayFast's REST API: subscriptions (fetch, ad hoc charge, cancel, pause, update) and refunds.

Every call carries ``merchant-id``, ``version: v1``, ``timestamp`` and ``signature`` headers; the
signature is MD5 over the headers, query and JSON body fields plus the passphrase, sorted by key
(``testing`` excluded). Amounts here are integer cents; the form and ITNs use rand. There is no
idempotency header: a second ad hoc call charges again (see ``duplicate_charges``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from hostkeep.integrations.gatewaysim.identifiers import uuid4
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.payfast.simulator.dates import SOUTH_AFRICA, add_period
from hostkeep.integrations.payfast.simulator.signature import api_signature

if TYPE_CHECKING:
    from hostkeep.integrations.payfast.simulator.simulator import PayFastSimulator

Json = dict[str, Any]
Result = tuple[int, Any]
SUBSCRIPTION_STATUS = {1: "ACTIVE", 2: "CANCELLED", 3: "PAUSED", 4: "COMPLETE"}


class ApiFailure(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def ok(data: Any) -> Result:
    return 200, {"code": 200, "status": "success", "data": data}


def failed(code: int, message: str) -> SimulatorResponse:
    return SimulatorResponse.json(
        code, {"code": code, "status": "failed", "data": {"response": message, "message": False}}
    )


def register(simulator: PayFastSimulator, router: Router) -> None:
    def bind(endpoint: Callable[..., Result]) -> Callable[[SimulatorRequest], SimulatorResponse]:
        return lambda request: _call(simulator, request, endpoint)

    router.add("GET", "/ping", bind(lambda simulator, body, **_: (200, "Payfast API")))
    router.add("GET", "/subscriptions/{token}/fetch", bind(fetch))
    router.add("POST", "/subscriptions/{token}/adhoc", bind(adhoc))
    router.add("PUT", "/subscriptions/{token}/cancel", bind(cancel_endpoint))
    router.add("PUT", "/subscriptions/{token}/pause", bind(pause))
    router.add("PUT", "/subscriptions/{token}/unpause", bind(unpause))
    router.add("PATCH", "/subscriptions/{token}/update", bind(update))
    router.add("GET", "/refunds/query/{pf_payment_id}", bind(refund_query))
    router.add("POST", "/refunds/{pf_payment_id}", bind(refund_create))
    router.add("GET", "/refunds/{refund_id}", bind(refund_fetch))


def _call(simulator: PayFastSimulator, request: SimulatorRequest, endpoint: Callable[..., Result]) -> SimulatorResponse:
    merchant_id = request.header("merchant-id")
    version = request.header("version")
    timestamp = request.header("timestamp")
    signature = request.header("signature")
    if not (merchant_id and version and timestamp and signature) or merchant_id != simulator.merchant_id:
        return failed(401, "Merchant authorisation failed.")
    if version != "v1":
        return failed(400, f"Unsupported API version: {version}")
    try:
        dt.datetime.fromisoformat(timestamp.replace(" ", "+"))
    except ValueError:
        return failed(400, "Invalid timestamp: use ISO 8601 with an offset, e.g. 2026-11-22T10:00:00+02:00")
    try:
        body = json.loads(request.body) if request.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return failed(400, "The body is not valid JSON.")
    if not isinstance(body, dict):
        return failed(400, "The body must be a JSON object.")
    values: dict[str, object] = {"merchant-id": merchant_id, "version": version, "timestamp": timestamp}
    values.update(parse_qsl(request.query_string, keep_blank_values=True))
    values.update({name: value for name, value in body.items() if not isinstance(value, dict | list)})
    if api_signature(values, simulator.passphrase) != signature:
        return failed(401, "Merchant authorisation failed.")
    try:
        with simulator.lock:
            status, payload = endpoint(simulator, body, **request.params)
    except ApiFailure as failure:
        return failed(failure.code, failure.message)
    return SimulatorResponse.json(status, payload)


def _subscription(simulator: PayFastSimulator, token: str) -> Json:
    found = simulator.subscriptions.get(token)
    if found is None:
        raise ApiFailure(404, "Subscription not found")
    return found


def _view(subscription: Json) -> Json:
    run_date = dt.datetime.combine(dt.date.fromisoformat(subscription["run_date"]), dt.time(), tzinfo=SOUTH_AFRICA)
    return {
        "amount": subscription["amount_cents"],
        "cycles": subscription["cycles"],
        "cycles_complete": subscription["cycles_complete"],
        "frequency": subscription["frequency"],
        "run_date": run_date.isoformat(),
        "status": subscription["status"],
        "status_reason": subscription["status_reason"],
        "status_text": SUBSCRIPTION_STATUS[subscription["status"]],
        "token": subscription["token"],
    }


def fetch(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    return ok({"response": _view(_subscription(simulator, token))})


def _cents(body: Json, name: str, *, required: bool) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiFailure(400, f"Required field: {name} (integer cents)")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ApiFailure(400, f"Invalid {name}: must be a positive integer number of cents")
    return value


def adhoc(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    """Charge a tokenization agreement now; ``success`` or ``failed``, each with its ITN."""
    subscription = _subscription(simulator, token)
    if subscription["type"] != 2:
        raise ApiFailure(400, "Ad hoc charges are only possible on tokenization (subscription_type 2) agreements")
    if subscription["status"] != 1:
        raise ApiFailure(400, f"The agreement is {SUBSCRIPTION_STATUS[subscription['status']].lower()}")
    amount = _cents(body, "amount", required=True) or 0
    item_name = body.get("item_name")
    if not isinstance(item_name, str) or not item_name.strip():
        raise ApiFailure(400, "Required field: item_name")
    m_payment_id = str(body.get("m_payment_id") or "")
    status, message = simulator.scripted_adhoc.pop(0) if simulator.scripted_adhoc else ("success", "")
    transaction = simulator.new_transaction(
        m_payment_id=m_payment_id,
        amount=Decimal(amount) / 100,
        item_name=item_name,
        item_description=str(body.get("item_description") or ""),
        fields=subscription["fields"],
        status="COMPLETE" if status == "success" else "FAILED",
        token=token,
        billing_date=simulator.today().isoformat(),
        kind="adhoc",
    )
    simulator.adhoc_charges.append(
        {
            "token": token,
            "m_payment_id": m_payment_id,
            "amount": amount,
            "status": status,
            "pf_payment_id": transaction["pf_payment_id"],
            "at": simulator.clock.now(),
        }
    )
    if status == "success":
        simulator.send_itn(transaction, "COMPLETE", subscription["notify_url"])
        return ok(
            {"response": True, "message": "Transaction was successful", "pf_payment_id": transaction["pf_payment_id"]}
        )
    if simulator.itn_on_failed_adhoc:
        simulator.send_itn(transaction, "FAILED", subscription["notify_url"])
    return 200, {
        "code": 200,
        "status": "failed",
        "data": {
            "response": False,
            "message": message or "Transaction failed",
            "pf_payment_id": transaction["pf_payment_id"],
        },
    }


def cancel(simulator: PayFastSimulator, token: str) -> Json:
    subscription = _subscription(simulator, token)
    if subscription["status"] == 2:
        raise ApiFailure(400, "The subscription is already cancelled")
    subscription["status"] = 2
    original = simulator.transactions[subscription["pf_payment_id"]]
    simulator.send_itn(original, "CANCELLED", subscription["notify_url"])
    return subscription


def cancel_endpoint(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    return ok({"response": _view(cancel(simulator, token)), "message": "Subscription cancelled"})


def pause(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    subscription = _subscription(simulator, token)
    if subscription["status"] != 1:
        raise ApiFailure(400, "Only an active subscription can be paused")
    subscription["status"] = 3
    return ok({"response": _view(subscription)})


def unpause(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    subscription = _subscription(simulator, token)
    if subscription["status"] != 3:
        raise ApiFailure(400, "Only a paused subscription can be unpaused")
    subscription["status"] = 1
    return ok({"response": _view(subscription)})


def update(simulator: PayFastSimulator, body: Json, token: str) -> Result:
    subscription = _subscription(simulator, token)
    if "amount" in body:
        subscription["amount_cents"] = _cents(body, "amount", required=True)
    if "cycles" in body:
        if not isinstance(body["cycles"], int) or body["cycles"] < 0:
            raise ApiFailure(400, "Invalid cycles")
        subscription["cycles"] = body["cycles"]
    if "frequency" in body:
        if body["frequency"] not in (1, 2, 3, 4, 5, 6):
            raise ApiFailure(400, "Invalid frequency")
        subscription["frequency"] = body["frequency"]
    if "run_date" in body:
        try:
            subscription["run_date"] = dt.date.fromisoformat(str(body["run_date"])[:10]).isoformat()
        except ValueError as error:
            raise ApiFailure(400, "Invalid run_date: use YYYY-MM-DD") from error
    return ok({"response": _view(subscription)})


def bill_subscription(simulator: PayFastSimulator, token: str, *, succeed: bool) -> Json | None:
    subscription = simulator.subscriptions[token]
    if subscription["type"] != 1 or subscription["status"] != 1:
        raise ValueError(f"subscription {token} is not an active subscription_type=1 subscription")
    if not succeed:
        subscription["failed_debits"].append({"run_date": subscription["run_date"], "at": simulator.clock.now()})
        subscription["status_reason"] = "Failed: the recurring debit was declined"
        return None
    transaction = simulator.new_transaction(
        m_payment_id=subscription["m_payment_id"],
        amount=Decimal(subscription["amount_cents"]) / 100,
        item_name=subscription["item_name"],
        item_description=subscription["item_description"],
        fields=subscription["fields"],
        token=token,
        billing_date=subscription["run_date"],
        kind="subscription",
    )
    subscription["cycles_complete"] += 1
    subscription["status_reason"] = ""
    subscription["run_date"] = add_period(
        dt.date.fromisoformat(subscription["run_date"]), subscription["frequency"]
    ).isoformat()
    if subscription["cycles"] and subscription["cycles_complete"] >= subscription["cycles"]:
        subscription["status"] = 4
    simulator.send_itn(transaction, "COMPLETE", subscription["notify_url"])
    return transaction


def _transaction(simulator: PayFastSimulator, pf_payment_id: str) -> Json:
    found = simulator.transactions.get(pf_payment_id)
    if found is None or found["payment_status"] != "COMPLETE":
        raise ApiFailure(404, "Transaction not found")
    return found


def _available(transaction: Json) -> int:
    return int(transaction["amount_gross"] * 100) - int(transaction["refunded_cents"])


def refund_query(simulator: PayFastSimulator, body: Json, pf_payment_id: str) -> Result:
    transaction = _transaction(simulator, pf_payment_id)
    available = _available(transaction)
    if transaction["refunded_cents"] == 0:
        status = "FULL_REFUND_AVAILABLE"
    else:
        status = "PARTIAL_REFUND_AVAILABLE" if available > 0 else "NO_REFUND_AVAILABLE"
    return ok(
        {
            "response": {
                "pf_payment_id": pf_payment_id,
                "funding_type": "CC",
                "status": status,
                "amount": int(transaction["amount_gross"] * 100),
                "amount_available_for_refund": available,
            }
        }
    )


def refund_create(simulator: PayFastSimulator, body: Json, pf_payment_id: str) -> Result:
    transaction = _transaction(simulator, pf_payment_id)
    amount = _cents(body, "amount", required=True) or 0
    if not isinstance(body.get("reason"), str) or not body["reason"].strip():
        raise ApiFailure(400, "Required field: reason")
    available = _available(transaction)
    if available <= 0:
        raise ApiFailure(400, "The transaction has already been fully refunded")
    if amount > available:
        raise ApiFailure(400, f"Refund amount ({amount}) exceeds the amount available for refund ({available})")
    transaction["refunded_cents"] += amount
    refund = {
        "id": uuid4(),
        "pf_payment_id": pf_payment_id,
        "amount": amount,
        "reason": body["reason"],
        "notify_buyer": body.get("notify_buyer", 1),
        "status": "COMPLETE",
        "created": simulator.clock.now_datetime().astimezone(SOUTH_AFRICA).isoformat(),
    }
    simulator.refunds[refund["id"]] = refund
    return ok({"response": True, "message": "Refund successful", "refund_id": refund["id"]})


def refund_fetch(simulator: PayFastSimulator, body: Json, refund_id: str) -> Result:
    refund = simulator.refunds.get(refund_id)
    if refund is None:
        raise ApiFailure(404, "Refund not found")
    return ok({"response": dict(refund)})
