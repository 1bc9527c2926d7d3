"""The Proxmox VE provisioning module (``specs/pterodactyl.md`` §12).

Create: take the next free VM id and save it (checkpoint) *before* cloning, so a crash or a
lost answer is reconciled by looking at that id; clone the template (the VM carries our
external id as its name), wait for the task, set cores and memory, grow the disk, start, wait.
Every step checks the VM first, so a retry continues where the last attempt stopped.
Suspend/unsuspend stop/start the VM; a change of package sets cores/memory and grows the disk;
terminate stops and deletes it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from hostkeep.core.errors import TerminalError
from hostkeep.integrations.proxmox.client import ProxmoxClient, ProxmoxRefused
from hostkeep.integrations.proxmox.schemas import CONNECTION_SETTINGS, PRODUCT_SETTINGS
from hostkeep.provisioning.interface import (
    CallLog,
    Capability,
    Checkpoint,
    Connection,
    ProvisioningModule,
    RemoteServer,
    RemoteState,
    ServerRecord,
    ServiceSpec,
)
from hostkeep.provisioning.registry import modules

SIZE = re.compile(r"size=(\d+)([KMGT]?)")
UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _disk_bytes(value: str) -> int:
    found = SIZE.search(value or "")
    return int(found.group(1)) * UNITS[found.group(2)] if found else 0


@modules.register
class ProxmoxModule(ProvisioningModule):
    name = "proxmox"
    label = "Proxmox VE"
    product_settings_schema: ClassVar[dict[str, Any]] = PRODUCT_SETTINGS
    connection_settings_schema: ClassVar[dict[str, Any]] = CONNECTION_SETTINGS
    sensitive_fields = ("token_value",)
    capabilities = frozenset({Capability.TEST_CONNECTION, Capability.LIST_SERVERS})

    def __init__(self, connection: Connection, log: CallLog, checkpoint: Checkpoint | None = None) -> None:
        super().__init__(connection, log, checkpoint)
        self.client = ProxmoxClient(
            connection.settings,
            str(connection.secrets.get("token_value", "")),
            timeout=connection.timeout_seconds,
            log=log,
        )
        self.api = self.client.api

    def _node(self, spec: ServiceSpec, record: ServerRecord) -> str:
        return str(record.details.get("node") or spec.product_settings["node"])

    def _vm(self, node: str, vmid: int) -> dict[str, Any] | None:
        try:
            return dict(
                self.client.call(
                    "GET",
                    f"/nodes/{node}/qemu/{vmid}/status/current",
                    lambda: self.api.nodes(node).qemu(vmid).status.current.get(),
                )
            )
        except ProxmoxRefused as error:
            if "does not exist" in str(error.message):
                return None
            raise

    def _present(
        self, node: str, vmid: int, status: dict[str, Any], config: dict[str, Any] | None = None
    ) -> RemoteServer:
        state = RemoteState.READY if status.get("status") == "running" else RemoteState.SUSPENDED
        if status.get("lock") == "clone":
            state = RemoteState.INSTALLING
        address = f"{node}/{vmid}"
        if config and "ipconfig0" in config:
            found = re.search(r"ip=([^/,]+)", str(config["ipconfig0"]))
            address = found.group(1) if found else address
        return RemoteServer(
            remote_id=str(vmid),
            state=state,
            address=address,
            resources={
                "cores": status.get("cpus"),
                "memory": int(status.get("maxmem", 0)) // (1024 * 1024),
                "disk_gib": int(status.get("maxdisk", 0)) // 1024**3,
            },
            details={"vmid": vmid, "node": node, "external_id": status.get("name")},
        )

    def _limit(self, spec: ServiceSpec, name: str, default: int) -> int:
        product = spec.product_settings.get("limits") or {}
        return int(spec.limits.get(name, product.get(name, default)))

    # -- create ----------------------------------------------------------------------------------

    def create(self, spec: ServiceSpec, record: ServerRecord, *, retry: bool) -> RemoteServer:
        node = self._node(spec, record)
        vmid = int(record.details.get("vmid") or 0)
        status = self._vm(node, vmid) if vmid else None
        if status is not None and status.get("name") != spec.external_id:
            # Our reserved id was taken by someone else's VM (nextid reserves nothing).
            vmid, status = 0, None
        if status is None:
            if not vmid or (record.details.get("vmid") and not retry):
                vmid = int(self.client.call("GET", "/cluster/nextid", lambda: self.api.cluster.nextid.get()))
            self.checkpoint({"vmid": vmid, "node": node})
            template = int(spec.product_settings["template_vmid"])
            params: dict[str, Any] = {
                "newid": vmid,
                "name": spec.external_id,
                "full": 1 if spec.product_settings.get("full_clone", True) else 0,
                "description": f"Hostkeep service {spec.service_id}",
            }
            if spec.product_settings.get("storage"):
                params["storage"] = spec.product_settings["storage"]
            upid = self.client.call(
                "POST",
                f"/nodes/{node}/qemu/{template}/clone",
                lambda: self.api.nodes(node).qemu(template).clone.post(**params),
                params,
            )
            self.client.wait_task(node, str(upid))
            status = self._vm(node, vmid)
            if status is None:
                raise TerminalError(f"VM {vmid} is missing after its clone finished.")
        elif status.get("lock") == "clone":
            return self._present(node, vmid, status)
        self._apply_limits(spec, node, vmid)
        status = self._vm(node, vmid) or {}
        if status.get("status") != "running":
            upid = self.client.call(
                "POST",
                f"/nodes/{node}/qemu/{vmid}/status/start",
                lambda: self.api.nodes(node).qemu(vmid).status.start.post(),
            )
            self.client.wait_task(node, str(upid))
            status = self._vm(node, vmid) or {}
        return self._present(node, vmid, status)

    def _apply_limits(self, spec: ServiceSpec, node: str, vmid: int) -> None:
        vm = self.api.nodes(node).qemu(vmid)
        values = {"cores": self._limit(spec, "cores", 1), "memory": self._limit(spec, "memory", 1024)}
        self.client.call("PUT", f"/nodes/{node}/qemu/{vmid}/config", lambda: vm.config.put(**values), values)
        config = self.client.call("GET", f"/nodes/{node}/qemu/{vmid}/config", lambda: vm.config.get())
        disk = str(spec.product_settings.get("disk", "scsi0"))
        wanted_gib = self._limit(spec, "disk_gib", 0)
        if wanted_gib and _disk_bytes(str(config.get(disk, ""))) < wanted_gib * 1024**3:
            params = {"disk": disk, "size": f"{wanted_gib}G"}
            upid = self.client.call("PUT", f"/nodes/{node}/qemu/{vmid}/resize", lambda: vm.resize.put(**params), params)
            self.client.wait_task(node, str(upid))

    # -- life ------------------------------------------------------------------------------------

    def _vmid(self, record: ServerRecord) -> int:
        vmid = int(record.details.get("vmid") or record.remote_id or 0)
        if not vmid:
            raise TerminalError("This service has no VM.")
        return vmid

    def status(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        node, vmid = self._node(spec, record), self._vmid(record)
        status = self._vm(node, vmid)
        if status is None or status.get("name") != spec.external_id:
            return RemoteServer(remote_id=str(vmid), state=RemoteState.MISSING)
        return self._present(node, vmid, status)

    def _power(self, node: str, vmid: int, action: str) -> None:
        upid = self.client.call(
            "POST",
            f"/nodes/{node}/qemu/{vmid}/status/{action}",
            lambda: getattr(self.api.nodes(node).qemu(vmid).status, action).post(),
        )
        self.client.wait_task(node, str(upid))

    def suspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        node, vmid = self._node(spec, record), self._vmid(record)
        status = self._vm(node, vmid)
        if status is None:
            raise TerminalError(f"VM {vmid} does not exist.")
        if status.get("status") == "running":
            self._power(node, vmid, "stop")
        return self._present(node, vmid, self._vm(node, vmid) or {})

    def unsuspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        node, vmid = self._node(spec, record), self._vmid(record)
        status = self._vm(node, vmid)
        if status is None:
            raise TerminalError(f"VM {vmid} does not exist.")
        if status.get("status") != "running":
            self._power(node, vmid, "start")
        return self._present(node, vmid, self._vm(node, vmid) or {})

    def terminate(self, spec: ServiceSpec, record: ServerRecord, *, force: bool = False) -> None:
        if not (record.details.get("vmid") or record.remote_id):
            return
        node, vmid = self._node(spec, record), self._vmid(record)
        status = self._vm(node, vmid)
        if status is None or status.get("name") != spec.external_id:
            return
        if status.get("status") == "running":
            self._power(node, vmid, "stop")
        try:
            upid = self.client.call(
                "DELETE", f"/nodes/{node}/qemu/{vmid}", lambda: self.api.nodes(node).qemu(vmid).delete(purge=1)
            )
        except ProxmoxRefused as error:
            if "does not exist" in error.message:
                return
            raise
        self.client.wait_task(node, str(upid))

    def change_package(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        node, vmid = self._node(spec, record), self._vmid(record)
        self._apply_limits(spec, node, vmid)
        return self._present(node, vmid, self._vm(node, vmid) or {})

    def test_connection(self) -> str:
        version = self.client.call("GET", "/version", lambda: self.api.version.get())
        nodes = self.client.call("GET", "/nodes", lambda: self.api.nodes.get())
        return f"Proxmox VE {version.get('version')}, {len(nodes)} nodes"

    def list_servers(self) -> list[RemoteServer]:
        found = []
        for item in self.client.call("GET", "/cluster/resources", lambda: self.api.cluster.resources.get(type="vm")):
            name = str(item.get("name", ""))
            if not name.startswith("service-"):
                continue
            state = RemoteState.READY if item.get("status") == "running" else RemoteState.SUSPENDED
            found.append(
                RemoteServer(
                    remote_id=str(item.get("vmid")),
                    state=state,
                    details={"external_id": name, "node": item.get("node"), "vmid": item.get("vmid")},
                )
            )
        return found
