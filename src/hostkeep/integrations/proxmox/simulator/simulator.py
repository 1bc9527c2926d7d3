"""``ProxmoxSimulator``: the Proxmox VE API subset a VPS biller uses, as a real HTTP server.

    with ProxmoxSimulator(clone_seconds=0.3) as sim:
        api = ProxmoxAPI("127.0.0.1", port=sim.port, user=sim.user, token_name=sim.token_name,
                         token_value=sim.token_value, verify_ssl=False)
        api._store["base_url"] = sim.api_url   # proxmoxer hard-codes https; or use tls=True

Answers are ``{"data": ...}``; errors put PVE's message in the HTTP reason phrase (where
proxmoxer's ``ResourceException`` reads it) and parameter errors add ``"errors"``.
"""

from __future__ import annotations

import hmac
import json
import re
import shutil
import threading
import time
import uuid
from html import escape
from pathlib import Path
from typing import Any

from hostkeep.integrations.panelsim.httpd import HttpSimulator, Request, Response, html_response, json_response

from .api import ROUTES, Call, PveError
from .state import PlannedFailure, ProxmoxState, VirtualMachine, seed_cluster, template_config
from .tls import self_signed_context

PREFIX = "/api2/json"


def _compile(pattern: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+):([^}]+)\}", r"(?P<\1>\2)", pattern)
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(f"^{regex}$")


COMPILED = [(method, _compile(pattern), handler) for method, pattern, handler in ROUTES]


class ProxmoxSimulator(HttpSimulator):
    """A two-node PVE 8 cluster with cloud-init templates 9000 and 9001 and a running VM 100.

    ``clone_seconds`` is how long a clone task runs, ``task_seconds`` every other task
    (config via POST, resize, power, destroy). ``tls=True`` serves https with a self-signed
    certificate (``cert_path``), so proxmoxer needs no patching.
    """

    server_header = "pve-api-daemon/3.0"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        *,
        tls: bool = False,
        user: str = "root@pam",
        token_name: str = "billing",  # noqa: S107 - the token's name, not its secret
        token_value: str | None = None,
        clone_seconds: float = 2.0,
        task_seconds: float = 0.5,
        verbose: bool = False,
    ) -> None:
        super().__init__(host, port, latency_ms, verbose)
        self.lock = threading.RLock()
        self.db = ProxmoxState()
        self.user = user
        self.token_name = token_name
        self.token_value = token_value or str(uuid.uuid4())
        self.clone_seconds = clone_seconds
        self.task_seconds = task_seconds
        self.cert_path: str | None = None
        if tls:
            self._ssl_context, self.cert_path = self_signed_context(host)
        seed_cluster(self.db, self.token_id, self.token_value)

    def stop(self) -> None:
        super().stop()
        if self.cert_path:
            shutil.rmtree(Path(self.cert_path).parent, ignore_errors=True)

    @property
    def token_id(self) -> str:
        return f"{self.user}!{self.token_name}"

    @property
    def api_url(self) -> str:
        return self.url + PREFIX

    @property
    def authorization(self) -> str:
        """The header value a client sends: ``PVEAPIToken=user@realm!tokenid=secret``."""
        return f"PVEAPIToken={self.token_id}={self.token_value}"

    # -- state and controls for tests ------------------------------------------------------------

    @property
    def state(self) -> ProxmoxState:
        """The cluster, with every task that is due finished first."""
        with self.lock:
            self.db.settle(time.monotonic())
            return self.db

    def vm(self, vmid: int) -> VirtualMachine:
        return self.state.vms[vmid]

    def fail_next_task(self, count: int = 1, *, task_type: str | None = None, message: str | None = None) -> None:
        """The next ``count`` tasks (of ``task_type``, e.g. ``qmclone``) end with this exitstatus;
        a failed clone removes the half-made VM, as PVE does."""
        with self.lock:
            self.db.planned_failures.append(
                PlannedFailure(message or "storage 'local-lvm' is not online", count, task_type)
            )

    def set_node_online(self, node: str, online: bool = True) -> None:
        with self.lock:
            self.db.nodes[node].online = online

    def add_template(
        self, vmid: int, name: str, *, node: str = "pve1", cores: int = 1, memory: int = 1024, disk_gib: int = 4
    ) -> VirtualMachine:
        with self.lock:
            config = template_config(vmid, name, cores=cores, memory=memory, disk_gib=disk_gib, user="debian")
            vm = VirtualMachine(vmid, node, config)
            self.db.vms[vmid] = vm
            return vm

    def finish_tasks(self) -> None:
        """Finish every running task now (a test that does not want to wait)."""
        with self.lock:
            for task in self.db.tasks.values():
                if task.status == "running":
                    task.due = 0
            self.db.settle(time.monotonic())

    # -- the API -------------------------------------------------------------------------------------

    def handle_api(self, request: Request) -> Response:
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return html_response(200, self._page())
        try:
            data = self._dispatch(request)
        except PveError as error:
            return _error(error)
        return json_response(200, {"data": data})

    def _dispatch(self, request: Request) -> Any:
        if not request.path.startswith(PREFIX + "/"):
            raise PveError(501, f"Method '{request.method} {request.path}' not implemented")
        path = request.path[len(PREFIX) :].rstrip("/") or "/"
        self._authenticate(request)
        with self.lock:
            self.db.settle(time.monotonic())
            for method, regex, handler in COMPILED:
                match = regex.match(path)
                if match and method == request.method:
                    return handler(Call(self, match.groupdict(), _arguments(request)))
            raise PveError(501, f"Method '{request.method} {path}' not implemented")

    def _authenticate(self, request: Request) -> None:
        header = request.header("Authorization")
        if not header.startswith("PVEAPIToken="):
            raise PveError(401, "No ticket")
        token_id, _, secret = header.removeprefix("PVEAPIToken=").rpartition("=")
        user, _, name = token_id.partition("!")
        with self.lock:
            expected = self.db.tokens.get(token_id)
        if expected is None:
            raise PveError(401, f"no such token '{name}' for user '{user}'")
        if not hmac.compare_digest(expected, secret):
            raise PveError(401, "invalid token value!")

    def fault_response(self, status: int, reason: str | None) -> Response:
        defaults = {500: "Internal Server Error", 503: "Service Unavailable", 595: "Connection timed out"}
        return _error(PveError(status, reason or defaults.get(status, "injected failure")))

    # -- /_sim/ control endpoints -------------------------------------------------------------------

    def handle_control(self, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"{}")
            route = (request.method, request.path.rstrip("/"))
            if route == ("GET", "/_sim/state"):
                return json_response(200, self.snapshot())
            if route == ("POST", "/_sim/faults"):
                from hostkeep.integrations.panelsim.httpd import Fault

                return json_response(201, self.faults.add(Fault(**body)).as_dict())
            if route == ("DELETE", "/_sim/faults"):
                self.clear_faults()
                return Response(204)
            if route == ("POST", "/_sim/latency"):
                self.latency_ms = float(body["ms"])
                return Response(204)
            if route == ("POST", "/_sim/task-failures"):
                self.fail_next_task(
                    int(body.get("count", 1)), task_type=body.get("task_type"), message=body.get("message")
                )
                return Response(204)
            if route == ("POST", "/_sim/settings"):
                for name in ("clone_seconds", "task_seconds"):
                    if name in body:
                        setattr(self, name, float(body[name]))
                return Response(204)
            if route == ("POST", "/_sim/nodes"):
                self.set_node_online(str(body["node"]), bool(body.get("online", True)))
                return Response(204)
        except (KeyError, TypeError, ValueError) as error:
            return json_response(400, {"error": str(error)})
        return json_response(404, {"error": f"no control endpoint {request.method} {request.path}"})

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            self.db.settle(time.monotonic())
            return {
                "vms": [
                    {
                        "vmid": vm.vmid,
                        "node": vm.node,
                        "name": vm.name,
                        "status": vm.status,
                        "lock": vm.lock,
                        "template": vm.template,
                        "config": vm.config,
                        "pending": vm.pending,
                    }
                    for vm in sorted(self.db.vms.values(), key=lambda v: v.vmid)
                ],
                "tasks": [
                    {"upid": t.upid, "type": t.type, "id": t.id, "status": t.status, "exitstatus": t.exitstatus}
                    for t in self.db.tasks.values()
                ],
            }

    def _page(self) -> str:
        snapshot = self.snapshot()
        rows = "".join(
            f"<tr><td>{vm['vmid']}</td><td>{escape(vm['name'])}</td><td>{vm['node']}</td><td>{vm['status']}</td>"
            f"<td>{escape(vm['lock'] or '')}</td><td>{'template' if vm['template'] else ''}</td>"
            f"<td>{escape(str(vm['config'].get('cores')))} cores, {escape(str(vm['config'].get('memory')))} MiB,"
            f" <code>{escape(str(vm['config'].get('scsi0', '')))}</code></td></tr>"
            for vm in snapshot["vms"]
        )
        tasks = "".join(
            f"<tr><td><code>{escape(t['upid'])}</code></td><td>{t['status']}</td>"
            f"<td>{escape(t['exitstatus'] or '')}</td></tr>"
            for t in reversed(snapshot["tasks"][-30:])
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='2'>"
            "<title>Proxmox VE simulator</title><style>body{font-family:system-ui,sans-serif;margin:2rem}"
            "table{border-collapse:collapse;margin-bottom:2rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;"
            "text-align:left;font-size:.9rem}</style></head><body><h1>Proxmox VE simulator</h1>"
            f"<p>API at <code>{escape(self.api_url)}</code>, token <code>{escape(self.token_id)}</code></p>"
            "<table><tr><th>vmid</th><th>name</th><th>node</th><th>status</th><th>lock</th><th></th><th>config</th></tr>"
            f"{rows}</table><table><tr><th>task</th><th>status</th><th>exit</th></tr>{tasks}</table></body></html>"
        )


def _arguments(request: Request) -> dict[str, Any]:
    """Query parameters plus a form-encoded or JSON body, as PVE merges them."""
    from urllib.parse import parse_qsl

    args: dict[str, Any] = dict(parse_qsl(request.query_string, keep_blank_values=True))
    content_type = request.header("Content-Type").lower()
    if request.body:
        if "json" in content_type:
            try:
                decoded = json.loads(request.body)
            except ValueError as error:
                raise PveError(400, "Parameter verification failed.", {"body": "invalid JSON"}) from error
            if isinstance(decoded, dict):
                args.update(decoded)
        else:
            args.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return args


def _error(error: PveError) -> Response:
    body: dict[str, Any] = {"data": None, "message": error.reason + "\n"}
    if error.errors:
        body["errors"] = error.errors
    return json_response(error.status, body, reason=error.reason)
