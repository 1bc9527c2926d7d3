# ruff: noqa: RUF001 - Russian wording
"""Services' events in the notifications catalogue: orders placed and a service's life
(active, suspended, terminated, cancelled). Registered from ``ServicesConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Order, Service

SERVICE_SAMPLE = {"service": "Minecraft Iron #12", "status": "Suspended", "reason": "Unpaid invoice", "previous": ""}


def describe_order_placed(payload: dict[str, Any]) -> EventDescription | None:
    order = Order.objects.filter(pk=payload_id(payload, "order_id")).first()
    if order is None:
        return None
    return EventDescription(
        customer_id=order.customer_id,
        context={"order_number": order.number, "total": str(Money(order.total, order.currency))},
        link=reverse("portal:orders"),
        key=f"order.placed:{order.pk}",
    )


def describe_service_state(payload: dict[str, Any]) -> EventDescription | None:
    """A service changed state; each change is its own outbox event (and so sent once)."""
    service = Service.objects.select_related("plan").filter(pk=payload_id(payload, "service_id")).first()
    if service is None:
        return None
    previous = str(payload.get("from") or "")
    return EventDescription(
        customer_id=service.customer_id,
        context={
            "service": str(service),
            "status": str(service.get_status_display()),
            "previous": str(ServiceStatus(previous).label) if previous in ServiceStatus.values else "",
            "reason": str(payload.get("reason") or ""),
        },
        link=reverse("portal:service_detail", args=[service.pk]),
    )


def _state_texts(en: tuple[str, str], ru: tuple[str, str], es: tuple[str, str]) -> dict[str, DefaultTemplate]:
    return {
        language: DefaultTemplate(subject=subject, text=text + "\n\n{{ link }}")
        for language, (subject, text) in (("en", en), ("ru", ru), ("es", es))
    }


def _service_event(state: str, label: Any, critical: bool, texts: dict[str, DefaultTemplate]) -> EventType:
    return EventType(
        topic=f"service.{state}",
        label=label,
        category=EventCategory.SERVICES,
        audience=(Audience.CONTACT_TECHNICAL, Audience.CONTACT_BILLING),
        describe=describe_service_state,
        critical=critical,
        sample=SERVICE_SAMPLE,
        templates=texts,
    )


EVENTS = [
    EventType(
        topic="order.placed",
        label=_("Order placed"),
        category=EventCategory.SERVICES,
        audience=(Audience.CONTACT_BILLING, Audience.STAFF_MANAGER),
        describe=describe_order_placed,
        sample={"order_number": "ORD-2026-00042", "total": "199.00 ZAR"},
        templates=_state_texts(
            (
                "Order {{ order_number }} received",
                "Hello {{ recipient_name }},\n\nwe have your order {{ order_number }} for {{ total }}.",
            ),
            (
                "Заказ {{ order_number }} принят",
                "Здравствуйте, {{ recipient_name }}!\n\nМы получили заказ {{ order_number }} на {{ total }}.",
            ),
            (
                "Pedido {{ order_number }} recibido",
                "Hola, {{ recipient_name }}:\n\nhemos recibido su pedido {{ order_number }} por {{ total }}.",
            ),
        ),
    ),
    _service_event(
        ServiceStatus.ACTIVE,
        _("Service active"),
        False,
        _state_texts(
            ("{{ service }} is active", "Hello {{ recipient_name }},\n\n{{ service }} is active now. {{ reason }}"),
            (
                "{{ service }} работает",
                "Здравствуйте, {{ recipient_name }}!\n\n{{ service }} теперь работает. {{ reason }}",
            ),
            ("{{ service }} está activo", "Hola, {{ recipient_name }}:\n\n{{ service }} ya está activo. {{ reason }}"),
        ),
    ),
    _service_event(
        ServiceStatus.SUSPENDED,
        _("Service suspended"),
        True,
        _state_texts(
            (
                "{{ service }} is suspended",
                "Hello {{ recipient_name }},\n\n{{ service }} is suspended. Why: {{ reason }}",
            ),
            (
                "{{ service }} приостановлена",
                "Здравствуйте, {{ recipient_name }}!\n\nУслуга {{ service }} приостановлена. Причина: {{ reason }}",
            ),
            (
                "{{ service }} está suspendido",
                "Hola, {{ recipient_name }}:\n\n{{ service }} está suspendido. Motivo: {{ reason }}",
            ),
        ),
    ),
    _service_event(
        ServiceStatus.TERMINATED,
        _("Service terminated"),
        True,
        _state_texts(
            (
                "{{ service }} is terminated",
                "Hello {{ recipient_name }},\n\n{{ service }} is terminated. Why: {{ reason }}",
            ),
            (
                "{{ service }} удалена",
                "Здравствуйте, {{ recipient_name }}!\n\nУслуга {{ service }} удалена. Причина: {{ reason }}",
            ),
            (
                "{{ service }} se ha dado de baja",
                "Hola, {{ recipient_name }}:\n\n{{ service }} se ha dado de baja. Motivo: {{ reason }}",
            ),
        ),
    ),
    _service_event(
        ServiceStatus.CANCELLED,
        _("Service cancelled"),
        False,
        _state_texts(
            ("{{ service }} is cancelled", "Hello {{ recipient_name }},\n\n{{ service }} is cancelled. {{ reason }}"),
            (
                "{{ service }} отменена",
                "Здравствуйте, {{ recipient_name }}!\n\nУслуга {{ service }} отменена. {{ reason }}",
            ),
            ("{{ service }} cancelado", "Hola, {{ recipient_name }}:\n\n{{ service }} se ha cancelado. {{ reason }}"),
        ),
    ),
]


def register() -> None:
    for event_type in EVENTS:
        event_type_register(event_type)
