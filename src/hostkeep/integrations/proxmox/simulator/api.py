"""The ``/api2/json`` subset a VPS biller uses, with PVE's parameter verification and its habit
of putting error messages in the HTTP reason phrase.

Handlers run under the simulator's lock and return the ``data`` value; anything a real PVE does
in a worker returns a UPID and happens when the task finishes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .state import TaskFailed, VirtualMachine, format_size, mac_address, parse_size, with_size

if TYPE_CHECKING:
    from .simulator import ProxmoxSimulator

DNS_NAME = re.compile(
    r"^(?=.{1,255}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$"
)
DISK_NAME = re.compile(r"^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3]|efidisk0|tpmstate0)$")
SIZE_PATTERN = re.compile(r"^\+?\d+(\.\d+)?[KMGT]?$")
UPID = re.compile(
    r"^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s]+:[^:\s]*:[^:\s]+:$"
)
HOTPLUG_PENDING = {"cores", "sockets", "memory", "cpu", "balloon"}
MODIFIED = "detected modified configuration - file changed by other user? Try again."


class PveError(Exception):
    """An error answer: ``reason`` is the message PVE puts in the status line."""

    def __init__(self, status: int, reason: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.errors = errors


def parameter_errors(errors: dict[str, str]) -> PveError:
    return PveError(400, "Parameter verification failed.", errors)


def config_missing(node: str, vmid: int) -> PveError:
    return PveError(500, f"Configuration file 'nodes/{node}/qemu-server/{vmid}.conf' does not exist")


@dataclass(frozen=True)
class Param:
    kind: str = "string"  # string | integer | boolean | enum | pattern | memory
    optional: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    max_length: int | None = None


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def verify(args: dict[str, Any], schema: dict[str, Param]) -> dict[str, Any]:
    """PVE's JSON-schema check: every failure listed per parameter, all at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in args.items():
        param = schema.get(name)
        if param is None:
            errors[name] = "property is not defined in schema and the schema does not allow additional properties"
            continue
        text = str(int(raw) if isinstance(raw, bool) else raw)
        try:
            values[name] = _check(param, text)
        except ValueError as error:
            errors[name] = str(error)
    for name, param in schema.items():
        if not param.optional and name not in args:
            errors[name] = "property is missing and it is not optional"
    if errors:
        raise parameter_errors(errors)
    return values


def _check(param: Param, text: str) -> Any:
    if param.kind in ("integer", "memory"):
        number_text = text.removeprefix("current=") if param.kind == "memory" else text
        if not re.fullmatch(r"[+-]?\d+", number_text):
            raise ValueError(f"type check ('integer') failed - got '{text}'")
        number = int(number_text)
        if param.minimum is not None and number < param.minimum:
            raise ValueError(f"value must have a minimum value of {param.minimum}")
        if param.maximum is not None and number > param.maximum:
            raise ValueError(f"value must have a maximum value of {param.maximum}")
        return number
    if param.kind == "boolean":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(f"type check ('boolean') failed - got '{text}'")
    if param.kind == "enum" and text not in param.choices:
        raise ValueError(f"value '{text}' does not have a value in the enumeration '{', '.join(param.choices)}'")
    if param.kind == "dns-name" and not DNS_NAME.match(text):
        raise ValueError(f"value '{text}' does not look like a valid DNS name")
    if param.pattern is not None and not param.pattern.match(text):
        raise ValueError("value does not match the regex pattern")
    if param.max_length is not None and len(text) > param.max_length:
        raise ValueError(f"value may only be {param.max_length} characters long")
    return text


VMID = Param("integer", optional=False, minimum=100, maximum=999999999)
CONFIG_SCHEMA: dict[str, Param] = {
    "cores": Param("integer", minimum=1, maximum=1024),
    "sockets": Param("integer", minimum=1, maximum=4),
    "memory": Param("memory", minimum=16),
    "balloon": Param("integer", minimum=0),
    "name": Param("dns-name"),
    "description": Param(max_length=8192),
    "net0": Param(),
    "ipconfig0": Param(),
    "ipconfig1": Param(),
    "ciuser": Param(),
    "cipassword": Param(),
    "sshkeys": Param(),
    "nameserver": Param(),
    "searchdomain": Param(),
    "onboot": Param("boolean"),
    "agent": Param(),
    "cpu": Param(),
    "tags": Param(),
    "delete": Param(),
    "revert": Param(),
    "digest": Param(max_length=64),
    "skiplock": Param("boolean"),
}
CLONE_SCHEMA: dict[str, Param] = {
    "newid": VMID,
    "name": Param("dns-name"),
    "description": Param(),
    "full": Param("boolean"),
    "target": Param(),
    "storage": Param(),
    "pool": Param(),
    "format": Param("enum", choices=("raw", "qcow2", "vmdk")),
    "snapname": Param(),
    "bwlimit": Param("integer", minimum=0),
}
RESIZE_SCHEMA: dict[str, Param] = {
    "disk": Param("pattern", optional=False, pattern=DISK_NAME),
    "size": Param("pattern", optional=False, pattern=SIZE_PATTERN),
    "digest": Param(max_length=64),
    "skiplock": Param("boolean"),
}
POWER_SCHEMA: dict[str, Param] = {
    "skiplock": Param("boolean"),
    "timeout": Param("integer", minimum=0),
    "forceStop": Param("boolean"),
    "keepActive": Param("boolean"),
    "overrule-shutdown": Param("boolean"),
    "migratedfrom": Param(),
    "machine": Param(),
    "todisk": Param("boolean"),
}
DESTROY_SCHEMA: dict[str, Param] = {
    "purge": Param("boolean"),
    "destroy-unreferenced-disks": Param("boolean"),
    "skiplock": Param("boolean"),
}


class Call:
    """One request's view: the simulator, the path parameters and the merged arguments."""

    def __init__(self, sim: ProxmoxSimulator, params: dict[str, str], args: dict[str, Any]) -> None:
        self.sim = sim
        self.state = sim.db
        self.params = params
        self.args = args

    @property
    def user(self) -> str:
        return self.sim.token_id

    def node(self) -> str:
        name = self.params["node"]
        node = self.state.nodes.get(name)
        if node is None:
            raise PveError(
                500,
                f"hostname lookup '{name}' failed - failed to get address info for: {name}: Name or service not known",
            )
        if not node.online:
            raise PveError(595, "No route to host")
        return name

    def vm(self) -> VirtualMachine:
        node = self.node()
        raw = self.params["vmid"]
        if not raw.isdigit():
            raise parameter_errors({"vmid": f"type check ('integer') failed - got '{raw}'"})
        vm = self.state.vms.get(int(raw))
        if vm is None or vm.node != node:
            raise config_missing(node, int(raw))
        return vm


def _lock_check(vm: VirtualMachine, skiplock: bool = False) -> None:
    if vm.lock and not skiplock:
        raise TaskFailed(f"VM is locked ({vm.lock})")


def _vm_summary(sim: ProxmoxSimulator, vm: VirtualMachine) -> dict[str, Any]:
    running = vm.status == "running"
    summary: dict[str, Any] = {
        "vmid": vm.vmid,
        "name": vm.name,
        "status": vm.status,
        "cpus": vm.cpus,
        "maxmem": vm.memory_mib * 1024 * 1024,
        "mem": int(vm.memory_mib * 1024 * 1024 * 0.42) if running else 0,
        "maxdisk": vm.boot_disk_bytes,
        "disk": 0,
        "cpu": 0.013 if running else 0,
        "uptime": int(time.time() - vm.started_at) if running and vm.started_at else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    if vm.template:
        summary["template"] = 1
    if vm.lock:
        summary["lock"] = vm.lock
    if running and vm.pid:
        summary["pid"] = vm.pid
    return summary


# -- cluster and nodes ------------------------------------------------------------------------


def version(call: Call) -> Any:
    return {"version": "8.2.4", "release": "8.2", "repoid": "faa83925c9641325"}


def list_nodes(call: Call) -> Any:
    nodes = []
    for node in call.state.nodes.values():
        entry: dict[str, Any] = {"node": node.name, "id": f"node/{node.name}", "type": "node", "level": ""}
        if node.online:
            used = sum(
                vm.memory_mib for vm in call.state.vms.values() if vm.node == node.name and vm.status == "running"
            )
            entry |= {
                "status": "online",
                "cpu": 0.02,
                "maxcpu": node.maxcpu,
                "mem": used * 1024 * 1024,
                "maxmem": node.maxmem,
                "disk": 12 * 1024**3,
                "maxdisk": node.maxdisk,
                "uptime": int(time.time() - node.started_at),
                "ssl_fingerprint": "5A:1F:" + ":".join("00" for _ in range(30)),
            }
        else:
            entry["status"] = "offline"
        nodes.append(entry)
    return nodes


def next_id(call: Call) -> Any:
    values = verify(call.args, {"vmid": Param("integer", minimum=100, maximum=999999999)})
    if "vmid" in values:
        if values["vmid"] in call.state.vms:
            raise parameter_errors({"vmid": f"VM {values['vmid']} already exists"})
        return str(values["vmid"])
    return str(call.state.next_free_vmid())


def cluster_resources(call: Call) -> Any:
    values = verify(call.args, {"type": Param("enum", choices=("vm", "storage", "node", "sdn"))})
    wanted = values.get("type")
    resources: list[dict[str, Any]] = []
    if wanted in (None, "node"):
        resources.extend(
            {"id": f"node/{n.name}", "type": "node", "node": n.name, "status": "online" if n.online else "offline"}
            for n in call.state.nodes.values()
        )
    if wanted in (None, "vm"):
        for vm in sorted(call.state.vms.values(), key=lambda v: v.vmid):
            summary = _vm_summary(call.sim, vm)
            summary.pop("cpus")
            resources.append(
                {
                    "id": f"qemu/{vm.vmid}",
                    "type": "qemu",
                    "node": vm.node,
                    "maxcpu": vm.cpus,
                    **summary,
                    "template": 1 if vm.template else 0,
                }
            )
    if wanted in (None, "storage"):
        resources.extend(
            {"id": f"storage/{n.name}/local-lvm", "type": "storage", "node": n.name, "storage": "local-lvm"}
            for n in call.state.nodes.values()
        )
    return resources


def list_vms(call: Call) -> Any:
    node = call.node()
    vms = sorted((vm for vm in call.state.vms.values() if vm.node == node), key=lambda v: v.vmid)
    return [_vm_summary(call.sim, vm) for vm in vms]


def vm_index(call: Call) -> Any:
    call.vm()
    return [{"subdir": name} for name in ("config", "pending", "status", "clone", "resize", "snapshot")]


# -- clone ---------------------------------------------------------------------------------------


def clone_vm(call: Call) -> Any:
    source = call.vm()
    values = verify(call.args, CLONE_SCHEMA)
    state = call.state
    target = str(values.get("target") or source.node)
    if target not in state.nodes:
        raise PveError(500, f"no such cluster node '{target}'")
    newid = values["newid"]
    if newid in state.vms:
        raise PveError(500, f"VM {newid} already exists on node '{state.vms[newid].node}'")
    if source.lock and not source.template:
        raise PveError(500, f"VM is locked ({source.lock})")
    full = values.get("full", not source.template)
    config = {key: value for key, value in source.config.items() if key != "template"}
    config["name"] = values.get("name") or f"Copy-of-VM-{source.name}"
    if "description" in values:
        config["description"] = values["description"]
    for key, value in list(config.items()):
        if DISK_NAME.match(key) and "size=" in str(value):
            base = re.sub(r"^[^:]+:", "", str(value).split(",")[0])
            size = format_size(source.disk_bytes(key))
            storage = values.get("storage") or str(value).split(":")[0]
            volume = f"vm-{newid}-disk-0" if full else f"{base}/vm-{newid}-disk-0"
            config[key] = f"{storage}:{volume},iothread=1,size={size}"
        elif "cloudinit" in str(value):
            config[key] = re.sub(r"vm-\d+-cloudinit", f"vm-{newid}-cloudinit", str(value))
        elif key.startswith("net"):
            config[key] = re.sub(r"=([0-9A-F]{2}:){5}[0-9A-F]{2}", "=" + mac_address(), str(value), count=1)
    config["smbios1"] = f"uuid={uuid.uuid4()}"
    config["vmgenid"] = str(uuid.uuid4())
    clone = VirtualMachine(newid, target, config, lock="clone")
    state.vms[newid] = clone

    def finish() -> None:
        clone.lock = None

    def undo() -> None:
        if state.vms.get(newid) is clone:
            del state.vms[newid]

    task = state.start_task(source.node, "qmclone", str(source.vmid), call.user, call.sim.clone_seconds, finish, undo)
    kind = "full" if full else "linked"
    task.log.append(f"create {kind} clone of drive scsi0 ({source.config.get('scsi0', '')})")
    return task.upid


# -- configuration ---------------------------------------------------------------------------------


def get_config(call: Call) -> Any:
    vm = call.vm()
    values = verify(call.args, {"current": Param("boolean"), "snapshot": Param()})
    config = dict(vm.config) if values.get("current") else {**vm.config, **vm.pending}
    if "cipassword" in config:
        config["cipassword"] = "**********"
    if vm.lock:
        config["lock"] = vm.lock
    config["digest"] = vm.digest()
    return config


def _config_change(call: Call, vm: VirtualMachine, values: dict[str, Any]) -> Callable[[], None]:
    def apply() -> None:
        if call.state.vms.get(vm.vmid) is not vm:
            raise TaskFailed(f"Configuration file 'nodes/{vm.node}/qemu-server/{vm.vmid}.conf' does not exist")
        _lock_check(vm, bool(values.get("skiplock")))
        if values.get("digest") and values["digest"] != vm.digest():
            raise TaskFailed(MODIFIED)
        changes = {k: v for k, v in values.items() if k not in ("digest", "skiplock", "delete", "revert")}
        if "memory" in changes:
            changes["memory"] = str(changes["memory"])
        for key, value in changes.items():
            if vm.status == "running" and key in HOTPLUG_PENDING:
                vm.pending[key] = value
            else:
                vm.config[key] = value
        for key in [k.strip() for k in str(values.get("delete") or "").split(",") if k.strip()]:
            vm.config.pop(key, None)
            vm.pending.pop(key, None)

    return apply


def set_config_sync(call: Call) -> Any:
    vm = call.vm()
    apply = _config_change(call, vm, verify(call.args, CONFIG_SCHEMA))
    try:
        apply()
    except TaskFailed as error:
        raise PveError(500, str(error)) from error
    return None


def set_config_async(call: Call) -> Any:
    vm = call.vm()
    apply = _config_change(call, vm, verify(call.args, CONFIG_SCHEMA))
    return call.state.start_task(vm.node, "qmconfig", str(vm.vmid), call.user, call.sim.task_seconds, apply).upid


def resize_disk(call: Call) -> Any:
    vm = call.vm()
    values = verify(call.args, RESIZE_SCHEMA)

    def resize() -> None:
        _lock_check(vm, bool(values.get("skiplock")))
        disk = values["disk"]
        if disk not in vm.config:
            raise TaskFailed(f"disk '{disk}' does not exist")
        current = vm.disk_bytes(disk)
        relative, amount = parse_size(values["size"])
        wanted = current + amount if relative else amount
        if wanted < current:
            raise TaskFailed("shrinking disks is not supported")
        vm.config[disk] = with_size(str(vm.config[disk]), wanted)

    task = call.state.start_task(vm.node, "resize", str(vm.vmid), call.user, call.sim.task_seconds, resize)
    return task.upid


# -- power and state ---------------------------------------------------------------------------------


def current_status(call: Call) -> Any:
    vm = call.vm()
    summary = _vm_summary(call.sim, vm)
    summary["qmpstatus"] = "paused" if vm.status == "running" and vm.paused else vm.status
    summary["ha"] = {"managed": 0}
    summary["agent"] = 1 if str(vm.config.get("agent", "0")).startswith("1") else 0
    if vm.status == "running":
        summary["running-machine"] = "pc-i440fx-8.1+pve0"
        summary["running-qemu"] = "8.1.5"
    return summary


def power(call: Call) -> Any:
    vm = call.vm()
    action = call.params["action"]
    values = verify(call.args, POWER_SCHEMA)
    if action == "start" and vm.template:
        raise PveError(500, "you can't start a vm if it's a template")
    skiplock = bool(values.get("skiplock"))

    def start() -> None:
        _lock_check(vm, skiplock)
        if vm.status == "running":
            raise TaskFailed(f"VM {vm.vmid} already running")
        vm.status, vm.started_at, vm.pid = "running", time.time(), call.state.next_pid()

    def stop() -> None:
        _lock_check(vm, skiplock)
        if action == "shutdown" and vm.status != "running":
            raise TaskFailed(f"VM {vm.vmid} not running")
        vm.status, vm.started_at, vm.pid, vm.paused = "stopped", None, None, False
        vm.config.update(vm.pending)
        vm.pending.clear()

    def restart() -> None:
        _lock_check(vm, skiplock)
        if vm.status != "running":
            raise TaskFailed(f"VM {vm.vmid} not running")
        vm.config.update(vm.pending)
        vm.pending.clear()
        vm.started_at = time.time()

    def pause(paused: bool) -> Callable[[], None]:
        def run() -> None:
            _lock_check(vm, skiplock)
            if vm.status != "running":
                raise TaskFailed(f"VM {vm.vmid} not running")
            vm.paused = paused

        return run

    work: dict[str, Callable[[], None]] = {
        "start": start,
        "stop": stop,
        "shutdown": stop,
        "reboot": restart,
        "reset": restart,
        "suspend": pause(True),
        "resume": pause(False),
    }
    task = call.state.start_task(vm.node, f"qm{action}", str(vm.vmid), call.user, call.sim.task_seconds, work[action])
    return task.upid


def destroy_vm(call: Call) -> Any:
    vm = call.vm()
    values = verify(call.args, DESTROY_SCHEMA)
    if vm.lock and not values.get("skiplock"):
        raise PveError(500, f"VM is locked ({vm.lock})")
    if vm.status == "running":
        raise PveError(500, f"VM {vm.vmid} is running - destroy failed")

    def destroy() -> None:
        if call.state.vms.get(vm.vmid) is vm:
            del call.state.vms[vm.vmid]

    return call.state.start_task(vm.node, "qmdestroy", str(vm.vmid), call.user, call.sim.task_seconds, destroy).upid


# -- tasks ---------------------------------------------------------------------------------------------


def _task(call: Call) -> Any:
    node = call.node()
    upid = call.params["upid"]
    if not UPID.match(upid):
        raise parameter_errors({"upid": f"unable to parse worker upid '{upid}'"})
    task = call.state.tasks.get(upid)
    if task is None or task.node != node:
        raise PveError(500, "no such task")
    return task


def task_status(call: Call) -> Any:
    task = _task(call)
    user, _, token = task.user.partition("!")
    status: dict[str, Any] = {
        "upid": task.upid,
        "node": task.node,
        "pid": task.pid,
        "pstart": task.pstart,
        "starttime": task.starttime,
        "type": task.type,
        "id": task.id,
        "user": user,
        "status": task.status,
    }
    if token:
        status["tokenid"] = token
    if task.status == "stopped":
        status["exitstatus"] = task.exitstatus
    return status


def task_log(call: Call) -> Any:
    task = _task(call)
    return [{"n": index + 1, "t": line} for index, line in enumerate(task.log)]


ROUTES: list[tuple[str, str, Callable[[Call], Any]]] = [
    ("GET", "/version", version),
    ("GET", "/nodes", list_nodes),
    ("GET", "/cluster/nextid", next_id),
    ("GET", "/cluster/resources", cluster_resources),
    ("GET", "/nodes/{node}/qemu", list_vms),
    ("GET", "/nodes/{node}/qemu/{vmid}", vm_index),
    ("POST", "/nodes/{node}/qemu/{vmid}/clone", clone_vm),
    ("GET", "/nodes/{node}/qemu/{vmid}/config", get_config),
    ("POST", "/nodes/{node}/qemu/{vmid}/config", set_config_async),
    ("PUT", "/nodes/{node}/qemu/{vmid}/config", set_config_sync),
    ("PUT", "/nodes/{node}/qemu/{vmid}/resize", resize_disk),
    ("GET", "/nodes/{node}/qemu/{vmid}/status/current", current_status),
    ("POST", "/nodes/{node}/qemu/{vmid}/status/{action:start|stop|shutdown|reboot|reset|suspend|resume}", power),
    ("DELETE", "/nodes/{node}/qemu/{vmid}", destroy_vm),
    ("GET", "/nodes/{node}/tasks/{upid}/status", task_status),
    ("GET", "/nodes/{node}/tasks/{upid}/log", task_log),
]
