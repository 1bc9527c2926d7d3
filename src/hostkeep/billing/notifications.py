# ruff: noqa: RUF001 - Russian wording
"""Billing's events in the notifications catalogue: what each says, to whom, in which words.

Registered from ``BillingConfig.ready()``. Each ``describe`` reads billing's own tables and
hands notifications plain values only. Suspension and termination for debt reach customers
through services' ``service.suspended`` / ``service.terminated`` (their reason says why), so
the dunning steps for those go to the accountants only and nobody hears of it twice.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hostkeep.billing.models import Invoice, PromisedPayment
from hostkeep.core.money import Money
from hostkeep.notifications.catalogue import (
    Audience,
    DefaultTemplate,
    EventCategory,
    EventDescription,
    EventType,
    event_type_register,
    payload_id,
)
from hostkeep.services.models import Service

BILLING_CONTACTS = (Audience.CONTACT_BILLING,)
INVOICE_SAMPLE = {"invoice_number": "TVP-2026-000042", "total": "199.00 ZAR", "due_date": "2026-12-01"}
PROMISE_SAMPLE = {"amount": "300.00 ZAR", "expires_at": "2026-12-01 10:00 SAST"}
SERVICE_SAMPLE = {"service": "Minecraft Iron #12", "due_date": "2026-12-01", "amount": "199.00 ZAR"}


def _invoice_link(invoice_id: int) -> str:
    return reverse("portal:invoice_detail", args=[invoice_id])


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_number": invoice.number or f"#{invoice.pk}",
        "total": str(Money(invoice.total, invoice.currency)),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
    }


def _invoice_event(topic: str, payload: dict[str, Any]) -> EventDescription | None:
    invoice = Invoice.objects.filter(pk=payload_id(payload, "invoice_id")).first()
    if invoice is None:
        return None
    return EventDescription(
        customer_id=invoice.customer_id,
        context=_invoice_context(invoice),
        link=_invoice_link(invoice.pk),
        key=f"{topic}:{invoice.pk}",
    )


def describe_invoice_issued(payload: dict[str, Any]) -> EventDescription | None:
    return _invoice_event("invoice.issued", payload)


def describe_invoice_paid(payload: dict[str, Any]) -> EventDescription | None:
    return _invoice_event("invoice.paid", payload)


def describe_dunning(payload: dict[str, Any]) -> EventDescription | None:
    """Every dunning step: the invoice and/or service concerned; the step's key is unique."""
    invoice = (
        Invoice.objects.filter(pk=payload_id(payload, "invoice_id")).first() if payload.get("invoice_id") else None
    )
    service = (
        Service.objects.select_related("plan").filter(pk=payload_id(payload, "service_id")).first()
        if payload.get("service_id")
        else None
    )
    if invoice is None and service is None:
        return None
    context: dict[str, Any] = _invoice_context(invoice) if invoice else {}
    if service is not None:
        context.update(
            service=str(service),
            due_date=service.next_due_date.isoformat(),
            amount=str(Money(service.recurring_amount, service.currency)),
        )
    customer_id = invoice.customer_id if invoice else service.customer_id if service else None
    return EventDescription(
        customer_id=customer_id,
        context=context,
        link=_invoice_link(invoice.pk) if invoice else reverse("portal:billing"),
        key=f"billing.dunning:{payload.get('key', '')}",
    )


def _promise_event(topic: str, payload: dict[str, Any]) -> EventDescription | None:
    promise = PromisedPayment.objects.filter(pk=payload_id(payload, "promised_payment_id")).first()
    if promise is None:
        return None
    return EventDescription(
        customer_id=promise.customer_id,
        context={
            "amount": str(Money(promise.amount, promise.currency)),
            "expires_at": promise.expires_at,
        },
        link=reverse("portal:billing"),
        key=f"{topic}:{promise.pk}",
    )


def describe_promise_taken(payload: dict[str, Any]) -> EventDescription | None:
    return _promise_event("billing.promised_payment_taken", payload)


def describe_promise_expiring(payload: dict[str, Any]) -> EventDescription | None:
    return _promise_event("billing.promised_payment_expiring", payload)


def describe_promise_expired(payload: dict[str, Any]) -> EventDescription | None:
    return _promise_event("billing.promised_payment_expired", payload)


def _t(subject: str, text: str) -> DefaultTemplate:
    return DefaultTemplate(subject=subject, text=text)


EVENTS = [
    EventType(
        topic="invoice.issued",
        label=_("Invoice issued"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_invoice_issued,
        sample=INVOICE_SAMPLE,
        templates={
            "en": _t(
                "Invoice {{ invoice_number }}",
                "Hello {{ recipient_name }},\n\ninvoice {{ invoice_number }} for {{ total }} is issued, "
                "due {{ due_date }}.\n\n{{ link }}",
            ),
            "ru": _t(
                "Счёт {{ invoice_number }}",
                "Здравствуйте, {{ recipient_name }}!\n\nВыставлен счёт {{ invoice_number }} на {{ total }}, "
                "срок оплаты {{ due_date }}.\n\n{{ link }}",
            ),
            "es": _t(
                "Factura {{ invoice_number }}",
                "Hola, {{ recipient_name }}:\n\nse ha emitido la factura {{ invoice_number }} por {{ total }}, "
                "con vencimiento el {{ due_date }}.\n\n{{ link }}",
            ),
        },
    ),
    EventType(
        topic="invoice.paid",
        label=_("Invoice paid"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_invoice_paid,
        sample=INVOICE_SAMPLE,
        templates={
            "en": _t(
                "Invoice {{ invoice_number }} is paid",
                "Hello {{ recipient_name }},\n\nthank you: invoice {{ invoice_number }} ({{ total }}) is paid."
                "\n\n{{ link }}",
            ),
            "ru": _t(
                "Счёт {{ invoice_number }} оплачен",
                "Здравствуйте, {{ recipient_name }}!\n\nСпасибо: счёт {{ invoice_number }} ({{ total }}) оплачен."
                "\n\n{{ link }}",
            ),
            "es": _t(
                "Factura {{ invoice_number }} pagada",
                "Hola, {{ recipient_name }}:\n\ngracias, la factura {{ invoice_number }} ({{ total }}) está pagada."
                "\n\n{{ link }}",
            ),
        },
    ),
    EventType(
        topic="billing.dunning.reminder",
        label=_("Renewal due and the balance is short"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_dunning,
        sample=SERVICE_SAMPLE,
        templates={
            "en": _t(
                "{{ service }} renews on {{ due_date }}",
                "Hello {{ recipient_name }},\n\n{{ service }} renews on {{ due_date }} for {{ amount }}, and your "
                "balance does not cover it yet. Please top up to keep it running.\n\n{{ link }}",
            ),
            "ru": _t(
                "{{ service }} продлевается {{ due_date }}",
                "Здравствуйте, {{ recipient_name }}!\n\n{{ service }} продлевается {{ due_date }} за {{ amount }}, "
                "а на балансе пока не хватает средств. Пополните баланс, чтобы услуга продолжила работу."
                "\n\n{{ link }}",
            ),
            "es": _t(
                "{{ service }} se renueva el {{ due_date }}",
                "Hola, {{ recipient_name }}:\n\n{{ service }} se renueva el {{ due_date }} por {{ amount }} y su "
                "saldo todavía no lo cubre. Recargue el saldo para mantenerlo activo.\n\n{{ link }}",
            ),
        },
    ),
    EventType(
        topic="billing.dunning.overdue",
        label=_("Invoice overdue"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_dunning,
        critical=True,
        sample=INVOICE_SAMPLE,
        templates={
            "en": _t(
                "Invoice {{ invoice_number }} is overdue",
                "Hello {{ recipient_name }},\n\ninvoice {{ invoice_number }} for {{ total }} was due on "
                "{{ due_date }}. Services it bills will be suspended if it stays unpaid.\n\n{{ link }}",
            ),
            "ru": _t(
                "Счёт {{ invoice_number }} просрочен",
                "Здравствуйте, {{ recipient_name }}!\n\nСрок оплаты счёта {{ invoice_number }} на {{ total }} истёк "
                "{{ due_date }}. Если счёт останется неоплаченным, услуги будут приостановлены.\n\n{{ link }}",
            ),
            "es": _t(
                "La factura {{ invoice_number }} está vencida",
                "Hola, {{ recipient_name }}:\n\nla factura {{ invoice_number }} por {{ total }} venció el "
                "{{ due_date }}. Si sigue sin pagarse, los servicios se suspenderán.\n\n{{ link }}",
            ),
        },
    ),
    *[
        EventType(
            topic=f"billing.dunning.{kind}",
            label=label,
            category=EventCategory.BILLING,
            audience=(Audience.STAFF_ACCOUNTANT,),
            describe=describe_dunning,
            sample={**INVOICE_SAMPLE, **SERVICE_SAMPLE},
        )
        for kind, label in (
            ("suspended", _("Service suspended for debt")),
            ("terminated", _("Service terminated for debt")),
            ("unsuspended", _("Service unsuspended after payment")),
        )
    ],
    EventType(
        topic="billing.promised_payment_taken",
        label=_("Promised payment taken"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_promise_taken,
        sample=PROMISE_SAMPLE,
        templates={
            "en": _t(
                "Promised payment of {{ amount }}",
                "Hello {{ recipient_name }},\n\n{{ amount }} is credited to your balance until {{ expires_at }}. "
                "Top up before then to keep your services running.\n\n{{ link }}",
            ),
            "ru": _t(
                "Обещанный платёж {{ amount }}",
                "Здравствуйте, {{ recipient_name }}!\n\n{{ amount }} зачислены на баланс до {{ expires_at }}. "
                "Пополните баланс до этого срока, чтобы услуги продолжили работу.\n\n{{ link }}",
            ),
            "es": _t(
                "Pago prometido de {{ amount }}",
                "Hola, {{ recipient_name }}:\n\nse han acreditado {{ amount }} a su saldo hasta {{ expires_at }}. "
                "Recargue antes de esa fecha para mantener sus servicios.\n\n{{ link }}",
            ),
        },
    ),
    EventType(
        topic="billing.promised_payment_expiring",
        label=_("Promised payment expiring"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_promise_expiring,
        critical=True,
        sample=PROMISE_SAMPLE,
        templates={
            "en": _t(
                "Your promised payment ends {{ expires_at }}",
                "Hello {{ recipient_name }},\n\nyour promised payment of {{ amount }} ends {{ expires_at }}. "
                "Top up before then, or your services may be suspended.\n\n{{ link }}",
            ),
            "ru": _t(
                "Обещанный платёж заканчивается {{ expires_at }}",
                "Здравствуйте, {{ recipient_name }}!\n\nОбещанный платёж {{ amount }} заканчивается {{ expires_at }}. "
                "Пополните баланс до этого срока, иначе услуги могут быть приостановлены.\n\n{{ link }}",
            ),
            "es": _t(
                "Su pago prometido vence el {{ expires_at }}",
                "Hola, {{ recipient_name }}:\n\nsu pago prometido de {{ amount }} vence el {{ expires_at }}. "
                "Recargue antes o sus servicios podrían suspenderse.\n\n{{ link }}",
            ),
        },
    ),
    EventType(
        topic="billing.promised_payment_expired",
        label=_("Promised payment expired"),
        category=EventCategory.BILLING,
        audience=BILLING_CONTACTS,
        describe=describe_promise_expired,
        critical=True,
        sample=PROMISE_SAMPLE,
        templates={
            "en": _t(
                "Your promised payment has ended",
                "Hello {{ recipient_name }},\n\nyour promised payment of {{ amount }} has ended. What the balance "
                "did not cover is now an invoice due at once.\n\n{{ link }}",
            ),
            "ru": _t(
                "Обещанный платёж закончился",
                "Здравствуйте, {{ recipient_name }}!\n\nОбещанный платёж {{ amount }} закончился. Непокрытая "
                "балансом сумма выставлена счётом к немедленной оплате.\n\n{{ link }}",
            ),
            "es": _t(
                "Su pago prometido ha vencido",
                "Hola, {{ recipient_name }}:\n\nsu pago prometido de {{ amount }} ha vencido. Lo que el saldo no "
                "cubría es ahora una factura con vencimiento inmediato.\n\n{{ link }}",
            ),
        },
    ),
]


def register() -> None:
    for event_type in EVENTS:
        event_type_register(event_type)
