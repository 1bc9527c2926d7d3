"""PayFast (South Africa): a signed form posted to PayFast's page; the ITN is trusted only after
PayFast's four checks (signature, source address, amount, server-side validation); a card kept
as a tokenization agreement is charged ad hoc; refunds through the REST API.

PayFast's ITN has no timestamp, so there is no replay window to check: a replayed ITN is
stopped by the event id ``pf_payment_id:payment_status`` (unique per account) and by the
server-side validation. Ad hoc charges have no idempotency key, so a lost answer is never
charged again (``idempotent_charges = False``): the ITN settles it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from django.utils.translation import gettext_lazy as _

from hostkeep.core.money import Money
from hostkeep.integrations.payfast.client import api_request, form_fields, itn_signature_valid, itn_validate
from hostkeep.integrations.payfast.schemas import PayFastConfig
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


def _our_id(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@gateways.register
class PayFastGateway(Gateway):
    name = "payfast"
    label = _("PayFast (South Africa)")
    capabilities = frozenset({Capability.CHECKOUT, Capability.REFUND, Capability.SAVED_METHODS})
    config_fields = ("site_base", "api_base", "notify_networks", "trust_forwarded_for")
    sensitive_fields = ("merchant_id", "merchant_key", "passphrase")
    currencies = ("ZAR",)
    idempotent_charges = False

    @property
    def config(self) -> PayFastConfig:
        return PayFastConfig.from_context(self.context)

    def start_payment(self, request: PaymentRequest) -> Redirect:
        config = self.config
        fields = {
            "merchant_id": config.merchant_id,
            "merchant_key": config.merchant_key,
            "return_url": request.return_url,
            "cancel_url": request.cancel_url,
            "notify_url": self.context.notify_url(),
            "email_address": request.customer_email,
            "m_payment_id": str(request.payment_id),
            "amount": request.amount.display_amount(),
            "item_name": request.description[:100] or "Hostkeep",
            "custom_int1": str(request.customer_id),
        }
        if request.save_method:
            fields["subscription_type"] = "2"  # tokenization: the card is kept for ad hoc charges
        return Redirect(url=config.process_url, form_fields=form_fields(fields, config.passphrase))

    def parse_notification(self, request: IncomingRequest) -> list[GatewayEvent]:
        config = self.config
        pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        data = dict(pairs)
        if not itn_signature_valid(pairs, config.passphrase):
            raise WebhookRejected("ITN signature does not match")
        source = notification_source(request, trust_forwarded_for=config.trust_forwarded_for)
        if not source_allowed(source, config.notify_networks):
            raise WebhookRejected(f"ITN from {source}, outside PayFast's networks")
        if data.get("merchant_id") != config.merchant_id:
            raise WebhookRejected("ITN for another merchant")
        if not itn_validate(config, pairs):
            raise WebhookRejected("PayFast did not confirm this ITN")
        status = data.get("payment_status", "")
        pf_payment_id = data.get("pf_payment_id", "")
        try:
            amount = Money(Decimal(data.get("amount_gross", "0")), "ZAR")
        except (InvalidOperation, ValueError):
            raise WebhookRejected("ITN amount cannot be read") from None
        common: dict[str, Any] = {
            "payment_id": _our_id(data.get("m_payment_id", "")),
            "gateway_payment_id": pf_payment_id,
        }
        if status == "COMPLETE":
            token = data.get("token", "")
            state = PaymentState(
                outcome=Outcome.SUCCEEDED,
                transaction_id=pf_payment_id,
                amount=amount,
                saved_method=SavedMethodData(token=token, label=str(_("Card kept by PayFast"))) if token else None,
                **common,
            )
        elif status == "FAILED":
            state = PaymentState(outcome=Outcome.FAILED, reason=str(_("Declined at PayFast")), **common)
        else:
            state = PaymentState(outcome=Outcome.IGNORED, **common)
        return [GatewayEvent(event_id=f"{pf_payment_id}:{status}", event_type=f"itn.{status.lower()}", state=state)]

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
        cents = int(amount.rounded().amount * 100)
        answer = api_request(
            self.config, "POST", f"/refunds/{transaction_id}", {"amount": cents, "reason": reason[:200] or "refund"}
        )
        data = answer.get("data") or {}
        return RefundResult(refund_id=str(data.get("refund_id", "")), outcome=Outcome.REFUNDED)

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
        cents = int(amount.rounded().amount * 100)
        answer = api_request(
            self.config,
            "POST",
            f"/subscriptions/{method.token}/adhoc",
            {"amount": cents, "item_name": description[:100] or "Hostkeep", "m_payment_id": str(payment_id)},
        )
        data = answer.get("data") or {}
        pf_payment_id = str(data.get("pf_payment_id", ""))
        if answer.get("status") == "success":
            return PaymentState(
                outcome=Outcome.SUCCEEDED,
                payment_id=payment_id,
                gateway_payment_id=pf_payment_id,
                transaction_id=pf_payment_id,
                amount=amount,
            )
        return PaymentState(
            outcome=Outcome.FAILED, payment_id=payment_id, reason=str(data.get("message") or "declined")
        )
