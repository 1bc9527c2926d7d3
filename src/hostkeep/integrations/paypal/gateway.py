"""PayPal: an order the buyer approves on PayPal's page, captured when they come back (or by
reconciliation if they never do), with ``PayPal-Request-Id`` so a repeated capture is the same
capture; webhooks verified by PayPal's verify-webhook-signature API and refused when their
transmission time is older than five minutes; refunds on the capture."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from hostkeep.core.money import Money, minor_units
from hostkeep.integrations.paypal.client import PayPalClient, PayPalError
from hostkeep.integrations.paypal.schemas import REPLAY_WINDOW_SECONDS, PayPalConfig
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
    WebhookRejected,
    gateways,
)


def _value(amount: Money) -> str:
    return amount.display_amount() if minor_units(amount.currency) else str(int(amount.rounded().amount))


def _money(raw: dict[str, Any]) -> Money:
    return Money(Decimal(str(raw["value"])), str(raw["currency_code"]))


def _our_id(value: Any) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _capture_state(capture: dict[str, Any], *, order_id: str = "") -> PaymentState:
    status = capture.get("status")
    common: dict[str, Any] = {
        "payment_id": _our_id(capture.get("custom_id")),
        "gateway_payment_id": order_id
        or str(((capture.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id") or ""),
    }
    if status in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
        return PaymentState(
            outcome=Outcome.SUCCEEDED, transaction_id=str(capture["id"]), amount=_money(capture["amount"]), **common
        )
    if status in ("DECLINED", "FAILED"):
        return PaymentState(outcome=Outcome.FAILED, reason=f"PayPal: {status.lower()}", **common)
    return PaymentState(outcome=Outcome.PENDING, **common)


def _order_state(order: dict[str, Any]) -> PaymentState:
    for unit in order.get("purchase_units") or []:
        captures = (unit.get("payments") or {}).get("captures") or []
        if captures:
            capture = {**captures[-1], "custom_id": captures[-1].get("custom_id") or unit.get("custom_id")}
            return _capture_state(capture, order_id=str(order["id"]))
    return PaymentState(outcome=Outcome.PENDING, gateway_payment_id=str(order.get("id", "")))


@gateways.register
class PayPalGateway(Gateway):
    name = "paypal"
    label = _("PayPal")
    capabilities = frozenset({Capability.CHECKOUT, Capability.REFUND, Capability.QUERY})
    config_fields = ("api_base", "webhook_id")
    sensitive_fields = ("client_id", "client_secret")

    @property
    def config(self) -> PayPalConfig:
        return PayPalConfig.from_context(self.context)

    def _client(self) -> PayPalClient:
        return PayPalClient(self.config)

    def start_payment(self, request: PaymentRequest) -> Redirect:
        order = self._client().request(
            "POST",
            "/v2/checkout/orders",
            request_id=request.idempotency_key,
            body={
                "intent": "CAPTURE",
                "purchase_units": [
                    {
                        "reference_id": f"hk-{request.payment_id}",
                        "custom_id": str(request.payment_id),
                        "description": request.description[:127],
                        "amount": {"currency_code": request.amount.currency, "value": _value(request.amount)},
                    }
                ],
                "application_context": {
                    "return_url": request.return_url,
                    "cancel_url": request.cancel_url,
                    "user_action": "PAY_NOW",
                },
            },
        )
        approve = next(
            (link["href"] for link in order.get("links", []) if link.get("rel") in ("approve", "payer-action")), ""
        )
        return Redirect(url=approve, gateway_payment_id=str(order["id"]))

    def complete_payment(self, *, gateway_payment_id: str, payment_id: int, idempotency_key: str) -> PaymentState:
        """Capture the approved order (the same request id makes a repeat the same capture)."""
        client = self._client()
        try:
            order = client.request(
                "POST", f"/v2/checkout/orders/{gateway_payment_id}/capture", body={}, request_id=idempotency_key
            )
        except PayPalError as error:
            if error.issue in ("ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED"):
                return PaymentState(outcome=Outcome.PENDING, gateway_payment_id=gateway_payment_id)
            if error.issue == "ORDER_ALREADY_CAPTURED":
                return self.query_payment(gateway_payment_id=gateway_payment_id, payment_id=payment_id)
            return PaymentState(outcome=Outcome.FAILED, gateway_payment_id=gateway_payment_id, reason=error.message)
        return _order_state(order)

    def query_payment(self, *, gateway_payment_id: str, payment_id: int) -> PaymentState:
        return _order_state(self._client().request("GET", f"/v2/checkout/orders/{gateway_payment_id}"))

    def parse_notification(self, request: IncomingRequest) -> list[GatewayEvent]:
        config = self.config
        names = ("transmission-id", "transmission-time", "transmission-sig", "cert-url", "auth-algo")
        headers = {name: request.header(f"paypal-{name}") for name in names}
        if not all(headers.values()):
            raise WebhookRejected("missing PayPal transmission headers")
        try:
            sent = dt.datetime.fromisoformat(headers["transmission-time"].replace("Z", "+00:00"))
            event = json.loads(request.body)
        except ValueError:
            raise WebhookRejected("unreadable notification") from None
        age = (dt.datetime.now(dt.UTC) - sent).total_seconds()
        if age > REPLAY_WINDOW_SECONDS:
            raise WebhookRejected(f"transmission is {int(age)} s old")
        answer = self._client().request(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            body={
                "auth_algo": headers["auth-algo"],
                "cert_url": headers["cert-url"],
                "transmission_id": headers["transmission-id"],
                "transmission_sig": headers["transmission-sig"],
                "transmission_time": headers["transmission-time"],
                "webhook_id": config.webhook_id,
                "webhook_event": event,
            },
        )
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookRejected("PayPal did not verify the signature")
        kind = str(event.get("event_type", ""))
        resource = event.get("resource") or {}
        if kind.startswith("PAYMENT.CAPTURE.") and kind != "PAYMENT.CAPTURE.REFUNDED":
            state = _capture_state(resource)
            if kind in ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"):
                state = PaymentState(outcome=Outcome.FAILED, payment_id=state.payment_id, reason=kind)
            elif kind == "PAYMENT.CAPTURE.REVERSED":
                state = PaymentState(outcome=Outcome.IGNORED, payment_id=state.payment_id)
        elif kind == "PAYMENT.CAPTURE.REFUNDED":
            capture_link = next((x["href"] for x in resource.get("links", []) if x.get("rel") == "up"), "")
            state = PaymentState(
                outcome=Outcome.REFUNDED if resource.get("status") == "COMPLETED" else Outcome.IGNORED,
                transaction_id=capture_link.rstrip("/").rsplit("/", 1)[-1],
                refund_id=str(resource.get("id", "")),
            )
        else:
            state = PaymentState(outcome=Outcome.IGNORED, gateway_payment_id=str(resource.get("id", "")))
        return [GatewayEvent(event_id=str(event["id"]), event_type=kind, state=state)]

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
        refund = self._client().request(
            "POST",
            f"/v2/payments/captures/{transaction_id}/refund",
            request_id=idempotency_key,
            body={"amount": {"currency_code": amount.currency, "value": _value(amount)}, "note_to_payer": reason[:255]},
        )
        outcome = {"COMPLETED": Outcome.REFUNDED, "PENDING": Outcome.PENDING}.get(
            str(refund.get("status")), Outcome.REFUND_FAILED
        )
        return RefundResult(refund_id=str(refund["id"]), outcome=outcome)
