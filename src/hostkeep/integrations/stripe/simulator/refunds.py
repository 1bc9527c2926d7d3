"""Stripe refunds: partial and full, over-refund errors, ``charge.refunded`` and ``refund.*`` events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid
from hostkeep.integrations.stripe.simulator.forms import (
    get_enum,
    get_int,
    get_str,
    metadata_from,
    reject_unknown,
)

if TYPE_CHECKING:
    from hostkeep.integrations.stripe.simulator.simulator import ApiCall, StripeSimulator

Json = dict[str, Any]

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


# -- refunds ----------------------------------------------------------------------------------------


def create_refund(simulator: StripeSimulator, call: ApiCall) -> Json:
    params = call.params
    reject_unknown(
        params,
        (
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
        ),
    )
    intent_id = get_str(params, "payment_intent")
    charge_id = get_str(params, "charge")
    if (intent_id is None) == (charge_id is None):
        raise StripeError(
            400,
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
        )
    if intent_id is not None:
        intent = simulator.require(intent_id, "payment_intent", "payment_intent", "payment_intent")
        charge = simulator.objects.get(intent["latest_charge"] or "")
        if charge is None or charge["status"] != "succeeded" or not charge["captured"]:
            raise invalid(
                "payment_intent", f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
            )
    else:
        charge = simulator.require(charge_id, "charge", "charge", "charge")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise invalid("charge", f"Charge {charge_id} has not been captured or has failed and cannot be refunded.")
    reason = get_enum(params, "reason", REFUND_REASONS)
    metadata = metadata_from(params)
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = get_int(params, "amount")
    if amount is None:
        amount = remaining
    if amount < 1:
        raise invalid("amount", "Invalid positive integer", code="parameter_invalid_integer")
    if amount > remaining:
        raise StripeError(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            code="amount_too_large",
            param="amount",
        )
    status = simulator.scripted_refund_statuses.pop(0) if simulator.scripted_refund_statuses else "succeeded"
    refund = {
        "id": simulator.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": simulator.new_id("txn") if status != "failed" else None,
        "charge": charge["id"],
        "created": simulator.clock.now_int(),
        "currency": charge["currency"],
        "destination_details": {
            "card": {"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"},
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }
    if status == "failed":
        refund["failure_reason"] = "unknown"
    simulator.store(refund)
    simulator.emit("refund.created", refund, call=call)
    if status != "failed":
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        simulator.emit("charge.refunded", charge, call=call)
    return refund


def retrieve_refund(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    return simulator.require(id, "refund", "refund")


def update_refund(simulator: StripeSimulator, call: ApiCall, id: str) -> Json:
    refund = simulator.require(id, "refund", "refund")
    reject_unknown(call.params, ("metadata",))
    previous = {"metadata": dict(refund["metadata"])}
    refund["metadata"] = metadata_from(call.params, current=refund["metadata"])
    simulator.emit("refund.updated", refund, call=call, previous_attributes=previous)
    return refund


def list_refunds(simulator: StripeSimulator, call: ApiCall) -> Json:
    intent = get_str(call.params, "payment_intent")
    charge = get_str(call.params, "charge")
    items = [
        obj
        for obj in simulator.objects.values()
        if obj.get("object") == "refund"
        and (intent is None or obj["payment_intent"] == intent)
        and (charge is None or obj["charge"] == charge)
    ]
    return simulator.list_response("/v1/refunds", items, call.params)


def settle_refund(simulator: StripeSimulator, refund_id: str, *, succeeded: bool) -> None:
    refund = simulator.objects.get(refund_id)
    if refund is None or refund.get("status") != "pending":
        raise ValueError(f"{refund_id} is not pending")
    refund["status"] = "succeeded" if succeeded else "failed"
    if not succeeded:
        refund["failure_reason"] = "unknown"
        charge = simulator.objects[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
    simulator.emit("refund.updated", refund, previous_attributes={"status": "pending"})


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/refunds", create_refund),
    ("GET", "/v1/refunds", list_refunds),
    ("GET", "/v1/refunds/{id}", retrieve_refund),
    ("POST", "/v1/refunds/{id}", update_refund),
]
