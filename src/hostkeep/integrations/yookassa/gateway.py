"""YooKassa (Russia): payments confirmed on YooKassa's page, saved methods charged with an
``Idempotence-Key``, 54-FZ receipts when the account sends them, refunds.

Notifications are unsigned, so nothing in one is believed: it must come from YooKassa's
published networks, and the payment's status is then fetched from the API; only what the API
says is applied. A forged notification therefore changes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from hostkeep.core.money import Money
from hostkeep.integrations.yookassa.client import call
from hostkeep.integrations.yookassa.schemas import YooKassaConfig
from hostkeep.payments.interface import (
    Capability,
    Gateway,
    GatewayEvent,
    IncomingRequest,
    Outcome,
    PaymentRequest,
    PaymentState,
    Redirect,
    RefundResult,
    SavedMethodData,
    WebhookRejected,
    gateways,
    notification_source,
    source_allowed,
)

METADATA_KEY = "hostkeep_payment"


def _amount(money: Money) -> dict[str, str]:
    return {"value": money.display_amount(), "currency": money.currency}


def _state(payment: dict[str, Any]) -> PaymentState:
    metadata = payment.get("metadata") or {}
    our_id = metadata.get(METADATA_KEY)
    common: dict[str, Any] = {
        "payment_id": int(our_id) if our_id and str(our_id).isdigit() else None,
        "gateway_payment_id": str(payment["id"]),
    }
    status = payment.get("status")
    if status == "succeeded":
        method = payment.get("payment_method") or {}
        saved = None
        if method.get("saved"):
            card = method.get("card") or {}
            label = method.get("title") or f"{card.get('card_type', 'Card')} •••• {card.get('last4', '????')}"
            saved = SavedMethodData(token=str(method["id"]), label=str(label))
        amount = payment["amount"]
        return PaymentState(
            outcome=Outcome.SUCCEEDED,
            transaction_id=str(payment["id"]),
            amount=Money(Decimal(str(amount["value"])), str(amount["currency"])),
            saved_method=saved,
            **common,
        )
    if status == "canceled":
        reason = str((payment.get("cancellation_details") or {}).get("reason") or "canceled")
        return PaymentState(outcome=Outcome.FAILED, reason=reason, **common)
    return PaymentState(outcome=Outcome.PENDING, **common)


@gateways.register
class YooKassaGateway(Gateway):
    name = "yookassa"
    label = _("YooKassa (bank card)")
    capabilities = frozenset({Capability.CHECKOUT, Capability.REFUND, Capability.SAVED_METHODS, Capability.QUERY})
    config_fields = ("api_base", "notify_networks", "trust_forwarded_for", "send_receipts", "vat_code")
    sensitive_fields = ("shop_id", "secret_key")

    @property
    def config(self) -> YooKassaConfig:
        return YooKassaConfig.from_context(self.context)

    def _receipt(self, amount: Money, description: str, email: str) -> dict[str, Any]:
        return {
            "customer": {"email": email},
            "items": [
                {
                    "description": description[:128] or "Hostkeep",
                    "quantity": "1.00",
                    "amount": _amount(amount),
                    "vat_code": self.config.vat_code,
                    "payment_mode": "full_payment",
                    "payment_subject": "service",
                }
            ],
        }

    def start_payment(self, request: PaymentRequest) -> Redirect:
        config = self.config
        body: dict[str, Any] = {
            "amount": _amount(request.amount),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "description": request.description[:128],
            "metadata": {METADATA_KEY: str(request.payment_id)},
        }
        if request.save_method:
            body["save_payment_method"] = True
        if config.send_receipts and request.customer_email:
            body["receipt"] = self._receipt(request.amount, request.description, request.customer_email)
        payment = call(config, "POST", "/payments", body=body, key=request.idempotency_key)
        return Redirect(
            url=str((payment.get("confirmation") or {}).get("confirmation_url", "")),
            gateway_payment_id=str(payment["id"]),
        )

    def query_payment(self, *, gateway_payment_id: str, payment_id: int) -> PaymentState:
        return _state(call(self.config, "GET", f"/payments/{gateway_payment_id}"))

    def parse_notification(self, request: IncomingRequest) -> list[GatewayEvent]:
        config = self.config
        source = notification_source(request, trust_forwarded_for=config.trust_forwarded_for)
        if not source_allowed(source, config.notify_networks):
            raise WebhookRejected(f"notification from {source}, outside YooKassa's networks")
        try:
            notification = json.loads(request.body)
            event = str(notification["event"])
            obj = notification["object"]
            object_id = str(obj["id"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("unreadable notification") from None
        event_id = f"{object_id}:{event}"
        if event.startswith("payment."):
            # Believe the API, not the notification.
            state = _state(call(config, "GET", f"/payments/{object_id}"))
            claimed = {"payment.succeeded": Outcome.SUCCEEDED, "payment.canceled": Outcome.FAILED}.get(event)
            if claimed is not None and claimed != state.outcome:
                raise WebhookRejected(f"{event} is not confirmed by the API (status: {state.outcome})")
        elif event == "refund.succeeded":
            refund = call(config, "GET", f"/refunds/{object_id}")
            state = PaymentState(
                outcome=Outcome.REFUNDED if refund.get("status") == "succeeded" else Outcome.IGNORED,
                transaction_id=str(refund.get("payment_id", "")),
                refund_id=object_id,
            )
        else:
            state = PaymentState(outcome=Outcome.IGNORED)
        return [GatewayEvent(event_id=event_id, event_type=event, state=state)]

    def refund(
        self,
        *,
        transaction_id: str,
        gateway_payment_id: str,
        amount: Money,
        idempotency_key: str,
        reason: str,
        customer_email: str = "",
    ) -> RefundResult:
        body: dict[str, Any] = {
            "payment_id": transaction_id or gateway_payment_id,
            "amount": _amount(amount),
            "description": reason[:250],
        }
        if self.config.send_receipts and customer_email:
            body["receipt"] = self._receipt(amount, reason or "refund", customer_email)
        refund = call(self.config, "POST", "/refunds", body=body, key=idempotency_key)
        outcome = {"succeeded": Outcome.REFUNDED, "pending": Outcome.PENDING}.get(
            str(refund.get("status")), Outcome.REFUND_FAILED
        )
        return RefundResult(refund_id=str(refund["id"]), outcome=outcome)

    def charge_saved_method(
        self,
        *,
        method: SavedMethodData,
        amount: Money,
        payment_id: int,
        description: str,
        idempotency_key: str,
        customer_email: str = "",
    ) -> PaymentState:
        body: dict[str, Any] = {
            "amount": _amount(amount),
            "capture": True,
            "payment_method_id": method.token,
            "description": description[:128],
            "metadata": {METADATA_KEY: str(payment_id)},
        }
        if self.config.send_receipts and customer_email:
            body["receipt"] = self._receipt(amount, description, customer_email)
        payment = call(self.config, "POST", "/payments", body=body, key=idempotency_key)
        state = _state(payment)
        return PaymentState(**{**state.__dict__, "saved_method": None})
