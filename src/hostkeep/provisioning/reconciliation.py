"""Reconciliation: compare what billing thinks with what each panel reports, and list the
drift (it changes nothing; staff decide). Each run replaces the connection's earlier list."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from hostkeep.core import clock
from hostkeep.core.errors import HostkeepError
from hostkeep.provisioning.choices import DriftKind
from hostkeep.provisioning.interface import CallLog, Capability, RemoteServer, RemoteState
from hostkeep.provisioning.models import ModuleConnection, ProvisionedServer, ReconciliationDrift
from hostkeep.provisioning.registry import module_class
from hostkeep.provisioning.runner import connection_for_module
from hostkeep.services.choices import ServiceStatus

logger = logging.getLogger(__name__)

EXPECTED_REMOTE = {
    ServiceStatus.ACTIVE: {RemoteState.READY},
    ServiceStatus.SUSPENDED: {RemoteState.SUSPENDED},
}


def reconcile_connection(connection: ModuleConnection) -> list[ReconciliationDrift]:
    """List the drift of one panel; outside any transaction (it calls the panel)."""
    implementation = module_class(connection.module)
    if Capability.LIST_SERVERS not in implementation.capabilities:
        return []
    module = implementation(connection_for_module(connection), CallLog())
    remote_by_service: dict[int, RemoteServer] = {}
    strays: list[RemoteServer] = []
    for remote in module.list_servers():
        external = str(remote.details.get("external_id") or "")
        if external.startswith("service-") and external[8:].isdigit():
            remote_by_service[int(external[8:])] = remote
        elif external:
            strays.append(remote)
    now = clock.now()
    drift: list[ReconciliationDrift] = []
    known = ProvisionedServer.objects.filter(connection=connection).select_related("service")
    seen: set[int] = set()
    for server in known:
        service = server.service
        seen.add(service.pk)
        found: RemoteServer | None = remote_by_service.get(service.pk)
        expected = EXPECTED_REMOTE.get(ServiceStatus(service.status))
        if expected is not None and found is None:
            drift.append(
                ReconciliationDrift(
                    connection=connection,
                    service=service,
                    kind=DriftKind.MISSING_ON_PANEL,
                    remote_id=server.remote_id,
                    billing_state=service.status,
                    remote_state="",
                    found_at=now,
                )
            )
        elif expected is not None and found is not None and found.state not in expected:
            drift.append(
                ReconciliationDrift(
                    connection=connection,
                    service=service,
                    kind=DriftKind.STATE_MISMATCH,
                    remote_id=found.remote_id,
                    billing_state=service.status,
                    remote_state=found.state,
                    found_at=now,
                )
            )
        elif expected is None and found is not None and service.status != ServiceStatus.PROVISIONING:
            drift.append(
                ReconciliationDrift(
                    connection=connection,
                    service=service,
                    kind=DriftKind.UNKNOWN_ON_PANEL,
                    remote_id=found.remote_id,
                    billing_state=service.status,
                    remote_state=found.state,
                    found_at=now,
                )
            )
    for service_id, remote in remote_by_service.items():
        if service_id not in seen:
            strays.append(remote)
    drift.extend(
        ReconciliationDrift(
            connection=connection,
            service=None,
            kind=DriftKind.UNKNOWN_ON_PANEL,
            remote_id=remote.remote_id,
            remote_state=remote.state,
            detail=str(remote.details.get("external_id") or ""),
            found_at=now,
        )
        for remote in strays
    )
    with transaction.atomic():
        ReconciliationDrift.objects.filter(connection=connection).delete()
        ReconciliationDrift.objects.bulk_create(drift)
    return drift


def reconcile_all() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for connection in ModuleConnection.objects.filter(is_active=True).order_by("pk"):
        try:
            found[connection.name] = len(reconcile_connection(connection))
        except HostkeepError as error:
            logger.warning("reconciliation of %s failed: %s", connection.name, error.message)
            found[connection.name] = f"error: {error.message}"
    return found
