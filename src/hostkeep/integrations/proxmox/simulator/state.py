"""A small Proxmox VE cluster in memory: nodes, QEMU VMs (templates among them) and tasks.

Work that PVE does in a worker (clone, config via POST, resize, power, destroy) becomes a
``Task`` with a deadline; ``settle()`` finishes every due task in order, applying its effect or
its failure. It runs at the start of every request and whenever a test reads ``sim.state``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GIB = 1024**3
SIZE = re.compile(r"^(\+)?(\d+(?:\.\d+)?)([KMGT])?$")
UNITS = {None: 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class TaskFailed(Exception):
    """A worker died; the message becomes the task's ``exitstatus``."""


@dataclass
class PveNode:
    name: str
    online: bool = True
    maxcpu: int = 16
    maxmem: int = 128 * GIB
    maxdisk: int = 100 * GIB
    started_at: float = field(default_factory=time.time)


@dataclass
class VirtualMachine:
    """A QEMU guest; ``config`` holds PVE's config keys, ``pending`` the changes that wait for
    the next stop while it runs (cores and memory are not hot-pluggable by default)."""

    vmid: int
    node: str
    config: dict[str, Any]
    status: str = "stopped"
    lock: str | None = None
    pending: dict[str, Any] = field(default_factory=dict)
    started_at: float | None = None
    pid: int | None = None
    paused: bool = False

    @property
    def name(self) -> str:
        return str(self.config.get("name", f"VM {self.vmid}"))

    @property
    def template(self) -> bool:
        return bool(self.config.get("template"))

    @property
    def memory_mib(self) -> int:
        return int(str(self.config.get("memory", "512")).removeprefix("current="))

    @property
    def cpus(self) -> int:
        return int(self.config.get("cores", 1)) * int(self.config.get("sockets", 1))

    def disk_bytes(self, disk: str = "scsi0") -> int:
        return disk_size(str(self.config.get(disk, "")))

    @property
    def boot_disk_bytes(self) -> int:
        for name in ("scsi0", "virtio0", "sata0", "ide0"):
            if name in self.config:
                return self.disk_bytes(name)
        return 0

    def digest(self) -> str:
        canonical = json.dumps({**self.config, **self.pending}, sort_keys=True, default=str)
        return hashlib.sha1(canonical.encode()).hexdigest()  # noqa: S324 - PVE's config digest is SHA-1


@dataclass
class Task:
    """A worker; ``upid`` is ``UPID:node:pid:pstart:starttime:type:id:user:`` (hex numbers)."""

    upid: str
    node: str
    type: str
    id: str
    user: str
    pid: int
    pstart: int
    starttime: int
    due: float
    work: Callable[[], None] | None = None
    on_failure: Callable[[], None] | None = None
    planned_failure: str | None = None
    status: str = "running"
    exitstatus: str | None = None
    log: list[str] = field(default_factory=list)
    endtime: int | None = None


@dataclass
class PlannedFailure:
    message: str
    count: int
    task_type: str | None = None


@dataclass
class ProxmoxState:
    nodes: dict[str, PveNode] = field(default_factory=dict)
    vms: dict[int, VirtualMachine] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    planned_failures: list[PlannedFailure] = field(default_factory=list)
    _pid: int = 40000

    def next_pid(self) -> int:
        self._pid += 7
        return self._pid

    def next_free_vmid(self) -> int:
        vmid = 100
        while vmid in self.vms:
            vmid += 1
        return vmid

    def start_task(
        self,
        node: str,
        task_type: str,
        task_id: str,
        user: str,
        seconds: float,
        work: Callable[[], None] | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> Task:
        pid = self.next_pid()
        started = int(time.time())
        pstart = int(time.monotonic() * 100) & 0xFFFFFFFF
        upid = f"UPID:{node}:{pid:08X}:{pstart:08X}:{started:08X}:{task_type}:{task_id}:{user}:"
        planned = None
        for failure in self.planned_failures:
            if failure.count > 0 and failure.task_type in (None, task_type):
                failure.count -= 1
                planned = failure.message
                break
        self.planned_failures = [f for f in self.planned_failures if f.count > 0]
        task = Task(
            upid, node, task_type, task_id, user, pid, pstart, started, time.monotonic() + seconds, work, on_failure
        )
        task.planned_failure = planned
        self.tasks[upid] = task
        return task

    def settle(self, now: float) -> None:
        """Finish every due task, oldest deadline first."""
        due = sorted((t for t in self.tasks.values() if t.status == "running" and t.due <= now), key=lambda t: t.due)
        for task in due:
            failure = task.planned_failure
            if failure is None and task.work is not None:
                try:
                    task.work()
                except TaskFailed as error:
                    failure = str(error)
            if failure is not None:
                if task.on_failure is not None:
                    task.on_failure()
                task.log.append(f"TASK ERROR: {failure}")
            else:
                task.log.append("TASK OK")
            task.status = "stopped"
            task.exitstatus = "OK" if failure is None else failure
            task.endtime = int(time.time())


def disk_size(spec: str) -> int:
    """``local-lvm:vm-101-disk-0,size=32G`` -> bytes."""
    match = re.search(r"(?:^|,)size=([^,]+)", spec)
    if match is None:
        return 0
    return parse_size(match.group(1))[1]


def parse_size(text: str) -> tuple[bool, int]:
    """``+10G`` -> (True, bytes); ``50G`` -> (False, bytes). Raises ValueError on other shapes."""
    match = SIZE.match(text.strip())
    if match is None:
        raise ValueError(text)
    return match.group(1) == "+", int(float(match.group(2)) * UNITS[match.group(3)])


def format_size(size: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if size % UNITS[unit] == 0:
            return f"{size // UNITS[unit]}{unit}"
    return str(size)


def with_size(spec: str, size: int) -> str:
    if re.search(r"(?:^|,)size=", spec):
        return re.sub(r"((?:^|,)size=)[^,]+", lambda m: m.group(1) + format_size(size), spec)
    return f"{spec},size={format_size(size)}"


def mac_address() -> str:
    return "BC:24:11:" + ":".join(f"{secrets.randbelow(256):02X}" for _ in range(3))


def template_config(vmid: int, name: str, *, cores: int, memory: int, disk_gib: int, user: str) -> dict[str, Any]:
    return {
        "name": name,
        "cores": cores,
        "sockets": 1,
        "memory": str(memory),
        "scsihw": "virtio-scsi-single",
        "scsi0": f"local-lvm:base-{vmid}-disk-0,iothread=1,size={disk_gib}G",
        "ide2": f"local-lvm:vm-{vmid}-cloudinit,media=cdrom",
        "net0": f"virtio={mac_address()},bridge=vmbr0,firewall=1",
        "ostype": "l26",
        "boot": "order=scsi0",
        "agent": "1",
        "ciuser": user,
        "ipconfig0": "ip=dhcp",
        "serial0": "socket",
        "smbios1": f"uuid={uuid.uuid4()}",
        "vmgenid": str(uuid.uuid4()),
        "meta": f"creation-qemu=8.1.5,ctime={int(time.time())}",
        "template": 1,
    }


def seed_cluster(state: ProxmoxState, token_id: str, token_value: str) -> None:
    """Two nodes; on pve1 two cloud-init templates (9000 Debian 12, 9001 Ubuntu 24.04) and one
    running VM (100), so ``/cluster/nextid`` answers "101"."""
    state.tokens[token_id] = token_value
    state.nodes["pve1"] = PveNode("pve1")
    state.nodes["pve2"] = PveNode("pve2", maxcpu=8, maxmem=64 * GIB)
    state.vms[9000] = VirtualMachine(
        9000, "pve1", template_config(9000, "debian-12-cloud", cores=1, memory=1024, disk_gib=3, user="debian")
    )
    state.vms[9001] = VirtualMachine(
        9001, "pve1", template_config(9001, "ubuntu-2404-cloud", cores=2, memory=2048, disk_gib=4, user="ubuntu")
    )
    legacy = template_config(100, "legacy-web", cores=2, memory=4096, disk_gib=32, user="admin")
    legacy.pop("template")
    legacy["scsi0"] = "local-lvm:vm-100-disk-0,iothread=1,size=32G"
    state.vms[100] = VirtualMachine(100, "pve1", legacy, status="running", started_at=time.time() - 86400, pid=1234)
