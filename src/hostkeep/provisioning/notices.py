"""What provisioning tells people, registered in the notifications catalogue: a failed
creation (the customer) and a task for staff (the engineers).

A server that is ready is told once, by services' "service active" message, whose reason
carries the address ("Created on the panel: 203.0.113.10:25565"); ``service.created`` stays an
outbox event for subscribers, not a second message to the customer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hostkeep.notifications.catalogue import Audience, EventCategory, EventDescription, EventType, event_type_register
from hostkeep.provisioning.models import ProvisioningTask
from hostkeep.services.models import Service


def describe_failed(payload: dict[str, Any]) -> EventDescription | None:
    service = Service.objects.select_related("product").filter(pk=int(payload["service_id"])).first()
    if service is None:
        return None
    return EventDescription(
        customer_id=service.customer_id,
        context={
            "service_id": service.pk,
            "service": str(service),
            "product": service.product.name,
            "credited": str(payload.get("credited", "0")),
            "currency": service.currency,
        },
        link=f"/portal/services/{service.pk}/",
    )


def describe_task(payload: dict[str, Any]) -> EventDescription | None:
    task = ProvisioningTask.objects.select_related("service").filter(pk=int(payload["task_id"])).first()
    if task is None:
        return None
    return EventDescription(
        customer_id=None,
        context={"task_id": task.pk, "title": task.title, "service_id": task.service_id, "detail": task.detail[:500]},
        link=f"/staff/provisioning/services/{task.service_id}/",
    )


def register() -> None:
    event_type_register(
        EventType(
            topic="provisioning.failed",
            label=_("Service could not be set up"),
            category=EventCategory.SERVICES,
            audience=(Audience.CONTACT_TECHNICAL, Audience.CONTACT_OWNER),
            describe=describe_failed,
            sample={"service_id": 1, "action_id": 1, "credited": "149.99"},
        )
    )
    event_type_register(
        EventType(
            topic="provisioning.task_created",
            label=_("Provisioning task for staff"),
            category=EventCategory.SERVICES,
            audience=(Audience.STAFF_ENGINEER,),
            describe=describe_task,
            sample={"task_id": 1, "service_id": 1},
        )
    )
