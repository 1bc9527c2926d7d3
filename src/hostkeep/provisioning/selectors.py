"""Reads of provisioning: a service's server for its customer, and the staff lists (panel
connections, a service's action log with every call, open tasks, reconciliation drift)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.provisioning.choices import TaskStatus
from hostkeep.provisioning.models import (
    ModuleConnection,
    ProvisionedServer,
    ProvisioningAction,
    ProvisioningCall,
    ProvisioningTask,
    ReconciliationDrift,
)
from hostkeep.services.models import Service


def service_for_customer(actor: Actor, service_id: object, permission: CustomerPermission) -> Service:
    """The caller's own service (another account's id is not found)."""
    queryset = Service.objects.select_related("product", "customer")
    return get_scoped(customer_scope(queryset, actor, permission), service_id)


def server_for_service(service: Service) -> ProvisionedServer | None:
    return ProvisionedServer.objects.filter(service=service).select_related("connection").first()


def server_for_customer(actor: Actor, service_id: object) -> ProvisionedServer | None:
    return server_for_service(service_for_customer(actor, service_id, CustomerPermission.VIEW_SERVICES))


def connections_for_staff(actor: Actor) -> QuerySet[ModuleConnection]:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return ModuleConnection.objects.order_by("module", "name")


def connection_for_staff(actor: Actor, connection_id: object) -> ModuleConnection:
    return get_scoped(connections_for_staff(actor), connection_id)


def service_for_staff(actor: Actor, service_id: object) -> Service:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return get_scoped(Service.objects.select_related("product", "customer", "plan"), service_id)


def actions_for_service_staff(actor: Actor, service: Service) -> QuerySet[ProvisioningAction]:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return (
        ProvisioningAction.objects.filter(service=service)
        .select_related("credit_note")
        .prefetch_related(Prefetch("calls", queryset=ProvisioningCall.objects.order_by("pk")))
        .order_by("-pk")
    )


def tasks_for_staff(actor: Actor, *, status: str = TaskStatus.OPEN) -> QuerySet[ProvisioningTask]:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    queryset = ProvisioningTask.objects.select_related("service__customer", "service__product", "action")
    return queryset.filter(status=status) if status else queryset


def tasks_for_service_staff(actor: Actor, service: Service) -> QuerySet[ProvisioningTask]:
    return tasks_for_staff(actor, status="").filter(service=service)


def drift_for_staff(actor: Actor) -> QuerySet[ReconciliationDrift]:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return ReconciliationDrift.objects.select_related("connection", "service__customer")
