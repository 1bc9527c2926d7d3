"""PayFast's hosted payment form (``POST /eng/process``) and ITN validation (``/eng/query/validate``).

The merchant's page auto-submits a signed form; a bad form gets an HTML error page, a good one
lands on the hosted payment page where the buyer (or a test) pays, is declined, or cancels.
Paying makes a COMPLETE transaction and POSTs the ITN to ``notify_url``, then sends the
buyer to ``return_url``; as at PayFast, the ITN usually arrives first.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from html import escape
from typing import TYPE_CHECKING, Any

from hostkeep.integrations.gatewaysim.identifiers import uuid4
from hostkeep.integrations.gatewaysim.pages import button, page, rows
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.payfast.simulator.dates import add_period
from hostkeep.integrations.payfast.simulator.signature import checkout_signature

if TYPE_CHECKING:
    from hostkeep.integrations.payfast.simulator.simulator import PayFastSimulator

_LIMITS = {
    "name_first": 100, "name_last": 100, "email_address": 100, "cell_number": 100, "m_payment_id": 100,
    "item_name": 100, "item_description": 255, "custom_str1": 255, "custom_str2": 255, "custom_str3": 255,
    "custom_str4": 255, "custom_str5": 255,
}  # fmt: skip
MINIMUM_AMOUNT = Decimal("5.00")


def register(simulator: PayFastSimulator, router: Router) -> None:
    router.add("POST", "/eng/process", lambda request: _submit_form(simulator, request))
    router.add("GET", "/eng/process", lambda request: _error_page(simulator, ["No payment data was posted."]))
    router.add("GET", "/eng/process/{id}", lambda request: _payment_page(simulator, request))
    router.add("POST", "/eng/process/{id}", lambda request: _payment_action(simulator, request))
    router.add("POST", "/eng/query/validate", lambda request: _validate(simulator, request))


def _error_page(simulator: PayFastSimulator, errors: list[str]) -> SimulatorResponse:
    items = "".join(f"<li>{escape(error)}</li>" for error in errors)
    body = f"<p class='error'>Unable to process this payment.</p><ul>{items}</ul>"
    return SimulatorResponse.html(400, page("Payment error", body, gateway=simulator.name))


def validate_form(simulator: PayFastSimulator, fields: dict[str, str]) -> list[str]:
    """Everything PayFast would refuse about a checkout form, as human-readable lines."""
    errors: list[str] = []
    if fields.get("merchant_id") != simulator.merchant_id or fields.get("merchant_key") != simulator.merchant_key:
        errors.append("merchant_id / merchant_key: the merchant is invalid.")
    for name, limit in _LIMITS.items():
        if len(fields.get(name, "")) > limit:
            errors.append(f"{name}: at most {limit} characters.")
    if not fields.get("item_name", "").strip():
        errors.append("item_name: required.")
    for index in range(1, 6):
        value = fields.get(f"custom_int{index}", "")
        if value and not value.isdigit():
            errors.append(f"custom_int{index}: must be an integer.")
    if fields.get("email_address") and "@" not in fields["email_address"]:
        errors.append("email_address: not a valid e-mail address.")
    if fields.get("currency", "ZAR") != "ZAR":
        errors.append("currency: only ZAR is accepted.")
    subscription_type = fields.get("subscription_type", "")
    if subscription_type not in ("", "1", "2"):
        errors.append("subscription_type: must be 1 (subscription) or 2 (tokenization).")
    amount = _amount(fields.get("amount", ""), "amount", errors)
    if amount is not None and (amount < MINIMUM_AMOUNT and not (subscription_type and amount == 0)):
        errors.append("amount: the minimum amount is R5.00.")
    if subscription_type:
        if not simulator.passphrase:
            errors.append("passphrase: subscriptions and tokenization require a passphrase on the account.")
        if fields.get("billing_date"):
            try:
                dt.date.fromisoformat(fields["billing_date"])
            except ValueError:
                errors.append("billing_date: must be YYYY-MM-DD.")
    if subscription_type == "1":
        if fields.get("frequency", "") not in ("1", "2", "3", "4", "5", "6"):
            errors.append("frequency: required, 1 (daily) to 6 (annual).")
        if not fields.get("cycles", "").isdigit():
            errors.append("cycles: required, 0 for indefinite.")
        recurring = _amount(fields.get("recurring_amount", ""), "recurring_amount", errors, required=False)
        if (recurring if recurring is not None else amount or 0) < MINIMUM_AMOUNT:
            errors.append("recurring_amount: the minimum recurring amount is R5.00.")
    errors.extend(_signature_errors(simulator, fields))
    return errors


def _amount(value: str, name: str, errors: list[str], *, required: bool = True) -> Decimal | None:
    if not value:
        if required:
            errors.append(f"{name}: required.")
        return None
    if not re.fullmatch(r"\d+(\.\d{1,2})?", value):
        errors.append(f"{name}: must be rand with at most two decimals, e.g. 99.00.")
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        errors.append(f"{name}: not a number.")
        return None


def _signature_errors(simulator: PayFastSimulator, fields: dict[str, str]) -> list[str]:
    submitted = fields.get("signature")
    if not submitted:
        return ["signature: required when the account has a passphrase."] if simulator.passphrase else []
    candidates = {
        checkout_signature(fields, simulator.passphrase),
        checkout_signature(fields, simulator.passphrase, skip_php_empty=True),
    }
    if submitted not in candidates:
        return ["signature: the generated signature does not match the submitted signature."]
    return []


def _submit_form(simulator: PayFastSimulator, request: SimulatorRequest) -> SimulatorResponse:
    pairs = request.form_pairs()
    fields = dict(pairs)
    errors = validate_form(simulator, fields)
    if errors:
        return _error_page(simulator, errors)
    with simulator.lock:
        checkout_id = uuid4()
        simulator.checkouts[checkout_id] = {
            "id": checkout_id,
            "fields": fields,
            "posted_order": [name for name, _ in pairs],
            "status": "pending",
            "pf_payment_id": None,
            "created": simulator.clock.now(),
        }
    return SimulatorResponse.redirect(f"{simulator.url}/eng/process/{checkout_id}")


def _payment_page(simulator: PayFastSimulator, request: SimulatorRequest, note: str = "") -> SimulatorResponse:
    with simulator.lock:
        found = simulator.checkouts.get(request.params["id"])
        if found is None:
            return SimulatorResponse.html(404, page("Payment not found", "", gateway=simulator.name))
        fields = found["fields"]
        status = found["status"]
    if status not in ("pending", "declined"):
        return SimulatorResponse.html(
            200, page("PayFast", f"<p>This payment is {escape(status)}.</p>", gateway=simulator.name)
        )
    summary = [
        ("Merchant", simulator.merchant_id),
        ("Item", fields.get("item_name", "")),
        ("Amount", f"R {fields.get('amount', '')}"),
    ]
    if fields.get("subscription_type") == "1":
        summary.append(("Subscription", f"R {fields.get('recurring_amount') or fields.get('amount')} recurring"))
    if fields.get("subscription_type") == "2":
        summary.append(("Card", "will be kept for future charges (tokenization)"))
    warning = f"<p class='error'>{escape(note)}</p>" if note or status == "declined" else ""
    if status == "declined" and not note:
        warning = "<p class='error'>Your card was declined. Try another card.</p>"
    body = (
        f"<div class='box'>{rows(summary)}</div>{warning}<form method='post'>"
        f"{button('pay', 'Pay now (card succeeds)')}{button('decline', 'Pay (card is declined)')}"
        f"{button('cancel', 'Cancel and return to merchant')}</form>"
    )
    return SimulatorResponse.html(200, page("Pay with PayFast", body, gateway=simulator.name))


def _payment_action(simulator: PayFastSimulator, request: SimulatorRequest) -> SimulatorResponse:
    checkout_id = request.params["id"]
    action = dict(request.form_pairs()).get("action")
    with simulator.lock:
        found = simulator.checkouts.get(checkout_id)
        if found is None or found["status"] not in ("pending", "declined"):
            return _payment_page(simulator, request)
        fields = found["fields"]
        if action == "cancel":
            found["status"] = "cancelled"
            target = fields.get("cancel_url")
        elif action == "decline":
            decline(simulator, checkout_id)
            target = None
        else:
            complete(simulator, checkout_id)
            target = fields.get("return_url")
    if action == "decline":
        return _payment_page(simulator, request)
    if target:
        return SimulatorResponse.redirect(target)
    return SimulatorResponse.html(200, page("Thank you", "<p>You may close this page.</p>", gateway=simulator.name))


def complete(simulator: PayFastSimulator, checkout_id: str) -> dict[str, Any]:
    found = simulator.checkouts[checkout_id]
    if found["status"] not in ("pending", "declined"):
        raise ValueError(f"checkout {checkout_id} is {found['status']}")
    fields = found["fields"]
    amount = Decimal(fields["amount"])
    subscription_type = fields.get("subscription_type", "")
    token = uuid4() if subscription_type else None
    billing_date = None
    if subscription_type:
        billing_date = fields.get("billing_date") or simulator.today().isoformat()
    transaction = simulator.new_transaction(
        m_payment_id=fields.get("m_payment_id", ""),
        amount=amount,
        item_name=fields.get("item_name", ""),
        item_description=fields.get("item_description", ""),
        fields=fields,
        token=token,
        billing_date=billing_date,
        kind="checkout",
    )
    found["status"] = "paid"
    found["pf_payment_id"] = transaction["pf_payment_id"]
    if token is not None:
        recurring = fields.get("recurring_amount") or fields["amount"]
        simulator.subscriptions[token] = {
            "token": token,
            "type": int(subscription_type),
            "status": 1,
            "status_reason": "",
            "amount_cents": int(Decimal(recurring) * 100),
            "frequency": int(fields.get("frequency") or 0),
            "cycles": int(fields.get("cycles") or 0),
            "cycles_complete": 1 if subscription_type == "1" and amount > 0 else 0,
            "run_date": billing_date,
            "item_name": fields.get("item_name", ""),
            "item_description": fields.get("item_description", ""),
            "m_payment_id": fields.get("m_payment_id", ""),
            "notify_url": fields.get("notify_url") or simulator.default_notify_url,
            "fields": dict(fields),
            "pf_payment_id": transaction["pf_payment_id"],
            "failed_debits": [],
        }
        first_run = str(billing_date)
        if subscription_type == "1" and amount > 0 and first_run <= simulator.today().isoformat():
            next_run = add_period(dt.date.fromisoformat(first_run), int(fields["frequency"]))
            simulator.subscriptions[token]["run_date"] = next_run.isoformat()
    simulator.send_itn(transaction, "COMPLETE", fields.get("notify_url"))
    return transaction


def decline(simulator: PayFastSimulator, checkout_id: str) -> None:
    found = simulator.checkouts[checkout_id]
    if found["status"] not in ("pending", "declined"):
        raise ValueError(f"checkout {checkout_id} is {found['status']}")
    found["status"] = "declined"


def _validate(simulator: PayFastSimulator, request: SimulatorRequest) -> SimulatorResponse:
    """``VALID`` only for the exact parameter string of an ITN that was posted."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    with simulator.lock:
        valid = simulator.is_validatable(text)
    return SimulatorResponse.text(200, "VALID" if valid else "INVALID", "text/html; charset=utf-8")
