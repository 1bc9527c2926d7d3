"""The manual module: nothing is called; staff do the work. Creating opens a task for staff
and the service becomes active when they confirm it; every later change is a task too."""

from __future__ import annotations

from typing import Any, ClassVar

from hostkeep.provisioning.interface import (
    ProvisioningModule,
    RemoteServer,
    RemoteState,
    ServerRecord,
    ServiceSpec,
)
from hostkeep.provisioning.registry import modules

PRODUCT_SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connection": {"type": "string"},
        "instructions": {"type": "string", "maxLength": 4000},
        "limits": {"type": "object"},
    },
}


@modules.register
class ManualModule(ProvisioningModule):
    name = "manual"
    label = "Manual (staff set it up)"
    product_settings_schema: ClassVar[dict[str, Any]] = PRODUCT_SETTINGS
    connection_settings_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def _waiting(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        return RemoteServer(
            remote_id=record.remote_id,
            state=RemoteState.AWAITING_STAFF,
            details={"instructions": str(spec.product_settings.get("instructions", ""))},
        )

    def create(self, spec: ServiceSpec, record: ServerRecord, *, retry: bool) -> RemoteServer:
        return self._waiting(spec, record)

    def status(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        return self._waiting(spec, record)

    def suspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        return self._waiting(spec, record)

    def unsuspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        return self._waiting(spec, record)

    def terminate(self, spec: ServiceSpec, record: ServerRecord, *, force: bool = False) -> None:
        return None

    def change_package(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        return self._waiting(spec, record)
