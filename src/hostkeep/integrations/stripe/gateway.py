"""Stripe: Checkout Sessions for paying, webhooks signed with ``Stripe-Signature`` (checked by
the SDK, older than five minutes refused), saved PaymentMethods charged off-session with an
idempotency key, refunds."""

from __future__ import annotations

from typing import Any

import stripe
from django.utils.translation import gettext_lazy as _

from hostkeep.core.money import Money
from hostkeep.integrations.stripe.client import as_dict, call, from_minor, make_client, to_minor
from hostkeep.integrations.stripe.schemas import REPLAY_WINDOW_SECONDS, StripeConfig
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
)

METADATA_KEY = "hostkeep_payment"


def _our_id(metadata: Any) -> int | None:
    value = (metadata or {}).get(METADATA_KEY)
    return int(value) if value and str(value).isdigit() else None


@gateways.register
class StripeGateway(Gateway):
    name = "stripe"
    label = _("Card (Stripe)")
    capabilities = frozenset({Capability.CHECKOUT, Capability.REFUND, Capability.SAVED_METHODS, Capability.QUERY})
    config_fields = ("api_base",)
    sensitive_fields = ("secret_key", "webhook_secret")

    @property
    def config(self) -> StripeConfig:
        return StripeConfig.from_context(self.context)

    def _client(self) -> stripe.StripeClient:
        return make_client(self.config)

    def _customer(self, client: stripe.StripeClient, request: PaymentRequest) -> str:
        if request.gateway_customer_id:
            return request.gateway_customer_id
        params: dict[str, Any] = {"metadata": {"hostkeep_customer": str(request.customer_id)}}
        if request.customer_email:
            params["email"] = request.customer_email
        created = call(
            lambda: client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"hk-customer-{self.context.account_id}-{request.customer_id}"},
            )
        )
        return str(created.id)

    def start_payment(self, request: PaymentRequest) -> Redirect:
        client = self._client()
        customer = self._customer(client, request) if request.save_method else ""
        metadata = {METADATA_KEY: str(request.payment_id)}
        intent_data: dict[str, Any] = {"metadata": metadata, "description": request.description[:300]}
        if request.save_method:
            intent_data["setup_future_usage"] = "off_session"
        params: dict[str, Any] = {
            "mode": "payment",
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": str(request.payment_id),
            "metadata": metadata,
            "payment_intent_data": intent_data,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.lower(),
                        "unit_amount": to_minor(request.amount),
                        "product_data": {"name": request.description[:200] or "Hostkeep"},
                    },
                }
            ],
        }
        if customer:
            params["customer"] = customer
        elif request.customer_email:
            params["customer_email"] = request.customer_email
        session = call(
            lambda: client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key} if request.idempotency_key else {},
            )
        )
        return Redirect(url=str(session.url), gateway_payment_id=str(session.id), gateway_customer_id=customer)

    def _method(self, client: stripe.StripeClient, intent: dict[str, Any]) -> SavedMethodData | None:
        method = intent.get("payment_method")
        if not method or not intent.get("setup_future_usage"):
            return None
        if isinstance(method, str):
            method_id = method
            method = as_dict(call(lambda: client.v1.payment_methods.retrieve(method_id)))
        card = method.get("card") or {}
        label = f"{str(card.get('brand', 'card')).title()} •••• {card.get('last4', '????')}"
        return SavedMethodData(
            token=str(method["id"]), label=label, gateway_customer_id=str(intent.get("customer") or "")
        )

    def _intent_state(
        self, client: stripe.StripeClient, intent: dict[str, Any], *, session_id: str = ""
    ) -> PaymentState:
        status = intent.get("status")
        amount = from_minor(int(intent.get("amount_received") or intent.get("amount") or 0), str(intent["currency"]))
        common: dict[str, Any] = {
            "payment_id": _our_id(intent.get("metadata")),
            "gateway_payment_id": session_id,
            "transaction_id": str(intent["id"]),
        }
        if status == "succeeded":
            return PaymentState(
                outcome=Outcome.SUCCEEDED, amount=amount, saved_method=self._method(client, intent), **common
            )
        if status == "requires_payment_method" and intent.get("last_payment_error"):
            reason = str(intent["last_payment_error"].get("message") or "declined")
            return PaymentState(outcome=Outcome.FAILED, reason=reason, **{**common, "transaction_id": ""})
        if status == "canceled":
            return PaymentState(outcome=Outcome.FAILED, reason="canceled", **{**common, "transaction_id": ""})
        return PaymentState(outcome=Outcome.PENDING, **{**common, "transaction_id": ""})

    def parse_notification(self, request: IncomingRequest) -> list[GatewayEvent]:
        signature = request.header("stripe-signature")
        if not signature:
            raise WebhookRejected("missing Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(
                request.body.decode("utf-8"), signature, self.config.webhook_secret, tolerance=REPLAY_WINDOW_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookRejected(f"signature: {error}") from error
        data = as_dict(event)
        obj: dict[str, Any] = data["data"]["object"]
        kind = str(data["type"])
        if kind in ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"):
            state = self._intent_state(self._client(), obj)
            if kind != "payment_intent.succeeded" and state.outcome != Outcome.FAILED:
                state = PaymentState(outcome=Outcome.FAILED, payment_id=state.payment_id, reason=kind)
        elif kind in ("refund.updated", "refund.created") and obj.get("status") in ("succeeded", "failed", "canceled"):
            state = PaymentState(
                outcome=Outcome.REFUNDED if obj["status"] == "succeeded" else Outcome.REFUND_FAILED,
                transaction_id=str(obj.get("payment_intent") or ""),
                refund_id=str(obj["id"]),
                reason=str(obj.get("failure_reason") or ""),
            )
        else:
            state = PaymentState(outcome=Outcome.IGNORED, payment_id=_our_id(obj.get("metadata")))
        return [GatewayEvent(event_id=str(data["id"]), event_type=kind, state=state)]

    def query_payment(self, *, gateway_payment_id: str, payment_id: int) -> PaymentState:
        client = self._client()
        if gateway_payment_id.startswith("cs_"):
            session = as_dict(
                call(
                    lambda: client.v1.checkout.sessions.retrieve(
                        gateway_payment_id, params={"expand": ["payment_intent", "payment_intent.payment_method"]}
                    )
                )
            )
            intent = session.get("payment_intent")
            if isinstance(intent, dict):
                return self._intent_state(client, intent, session_id=gateway_payment_id)
            if session.get("status") == "expired":
                return PaymentState(outcome=Outcome.FAILED, reason="expired", gateway_payment_id=gateway_payment_id)
            return PaymentState(outcome=Outcome.PENDING, gateway_payment_id=gateway_payment_id)
        intent = as_dict(call(lambda: client.v1.payment_intents.retrieve(gateway_payment_id)))
        return self._intent_state(client, intent)

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
        client = self._client()
        refund = as_dict(
            call(
                lambda: client.v1.refunds.create(
                    params={
                        "payment_intent": transaction_id,
                        "amount": to_minor(amount),
                        "metadata": {"reason": reason[:450]},
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        )
        outcome = {"succeeded": Outcome.REFUNDED, "pending": Outcome.PENDING}.get(
            str(refund.get("status")), Outcome.REFUND_FAILED
        )
        return RefundResult(
            refund_id=str(refund["id"]), outcome=outcome, reason=str(refund.get("failure_reason") or "")
        )

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
        client = self._client()
        params: dict[str, Any] = {
            "amount": to_minor(amount),
            "currency": amount.currency.lower(),
            "payment_method": method.token,
            "off_session": True,
            "confirm": True,
            "description": description[:300],
            "metadata": {METADATA_KEY: str(payment_id)},
        }
        if method.gateway_customer_id:
            params["customer"] = method.gateway_customer_id
        intent = as_dict(
            call(
                lambda: client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            )
        )
        state = self._intent_state(client, intent)
        return PaymentState(**{**state.__dict__, "gateway_payment_id": str(intent["id"]), "saved_method": None})
