"""What payments tells people: the events it registers in the notifications catalogue, and
how each payload becomes plain values for the templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hostkeep.core.money import Money
from hostkeep.notifications.catalogue import Audience, EventCategory, EventDescription, EventType, event_type_register
from hostkeep.payments.models import Payment

SAMPLE = {"payment_id": 1, "customer_id": 1, "amount": "150.00", "currency": "ZAR", "reference": "invoice:1"}


def _describe(payload: dict[str, Any], *, link_name: str) -> EventDescription | None:
    payment_id = payload.get("payment_id")
    if not isinstance(payment_id, int):
        return None
    payment = Payment.objects.select_related("account").filter(pk=payment_id).first()
    if payment is None:
        return None
    amount = Money(Decimal(str(payload.get("amount", payment.amount))), str(payload.get("currency", payment.currency)))
    context: dict[str, Any] = {
        "payment_number": payment.number,
        "amount": str(amount),
        "gateway": str(payment.account.label),
        "reference": payment.reference,
        "status": str(payment.get_status_display()),
        "reason": str(payload.get("reason", payment.decline_reason or "")),
    }
    if "received" in payload:
        context["received"] = str(Money(Decimal(str(payload["received"])), str(payload["received_currency"])))
    return EventDescription(
        customer_id=payment.customer_id, context=context, link=reverse(link_name, args=[payment.pk])
    )


def describe_customer(payload: dict[str, Any]) -> EventDescription | None:
    return _describe(payload, link_name="portal:payment_detail")


def describe_staff(payload: dict[str, Any]) -> EventDescription | None:
    return _describe(payload, link_name="staff:payment_detail")


def register_events() -> None:
    for topic, label in (
        ("payment.received", _("Payment received")),
        ("payment.declined", _("Payment declined")),
        ("payment.refunded", _("Payment refunded")),
    ):
        event_type_register(
            EventType(
                topic=topic,
                label=label,
                category=EventCategory.BILLING,
                audience=(Audience.CONTACT_BILLING,),
                describe=describe_customer,
                critical=topic == "payment.declined",
                sample=SAMPLE,
            )
        )
    event_type_register(
        EventType(
            topic="payment.held_for_review",
            label=_("Payment held for review"),
            category=EventCategory.BILLING,
            audience=(Audience.STAFF_ACCOUNTANT,),
            describe=describe_staff,
            sample={**SAMPLE, "received": "140.00", "received_currency": "ZAR"},
        )
    )
