"""Outbox subscribers of provisioning (listed in settings.OUTBOX_HANDLER_MODULES): a paid
invoice starts creating its services; billing's state changes of a service are carried out
on its panel; a plan change becomes a change of package."""

from __future__ import annotations

from typing import Any

from hostkeep.core.outbox import Handler
from hostkeep.provisioning import actions
from hostkeep.provisioning.choices import ActionKind
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service, ServiceEvent


def start_paid_services(payload: dict[str, Any]) -> None:
    actions.provisioning_start_for_invoice(invoice_id=int(payload["invoice_id"]))


def start_order(payload: dict[str, Any]) -> None:
    actions.provisioning_start_for_order(order_id=int(payload["order_id"]))


def _request(payload: dict[str, Any], kind: str, to_status: str) -> None:
    """One action per transition: keyed by the service's latest event into that state, so a
    late delivery of an older event folds into the newer one (the panel converges anyway)."""
    service = Service.objects.select_related("product").filter(pk=payload["service_id"]).first()
    if service is None:
        return
    event_id = (
        ServiceEvent.objects.filter(service=service, to_status=to_status).order_by("-pk").values_list("pk", flat=True)
    ).first()
    actions.action_request(service=service, kind=kind, key=f"{kind}:{service.pk}:{event_id}")


def suspend_on_panel(payload: dict[str, Any]) -> None:
    _request(payload, ActionKind.SUSPEND, ServiceStatus.SUSPENDED)


def unsuspend_on_panel(payload: dict[str, Any]) -> None:
    if payload.get("from") == ServiceStatus.SUSPENDED:
        _request(payload, ActionKind.UNSUSPEND, ServiceStatus.ACTIVE)


def terminate_on_panel(payload: dict[str, Any]) -> None:
    service = Service.objects.select_related("product").filter(pk=payload["service_id"]).first()
    if service is not None:
        actions.action_request(service=service, kind=ActionKind.TERMINATE, key=f"terminate:{service.pk}")


def change_package_on_panel(payload: dict[str, Any]) -> None:
    service = Service.objects.select_related("product").filter(pk=payload["service_id"]).first()
    if service is None:
        return
    key = f"change_package:{service.pk}:{payload.get('change_id')}"
    actions.action_request(service=service, kind=ActionKind.CHANGE_PACKAGE, key=key)


HANDLERS: dict[str, list[Handler]] = {
    "invoice.paid": [start_paid_services],
    "order.placed": [start_order],
    "order.approved": [start_order],
    "service.suspended": [suspend_on_panel],
    "service.active": [unsuspend_on_panel],
    "service.terminated": [terminate_on_panel],
    "service.cancelled": [terminate_on_panel],
    "service.changed": [change_package_on_panel],
}
