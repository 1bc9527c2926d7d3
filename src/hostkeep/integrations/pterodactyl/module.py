"""The Pterodactyl provisioning module (Application API of Panel 1.11, ``specs/pterodactyl.md``).

Create: find or create the customer's panel user (our external id ``customer-<id>``, then the
e-mail), then the server with external id ``service-<id>``, then report ``INSTALLING`` until the
panel says it is installed. Idempotency follows the spec's cheat-sheet (§9): on a retry the
server is first looked up by ``/servers/external/{id}``; a 422 ``unique`` on our external id or
e-mail means "already done" and is resolved by an exact lookup, never by a second object.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any, ClassVar

from hostkeep.core.errors import TerminalError
from hostkeep.integrations.pterodactyl.client import PanelNotFound, PanelRefused, PterodactylClient
from hostkeep.integrations.pterodactyl.schemas import CONNECTION_SETTINGS, PRODUCT_SETTINGS
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
    UsageReading,
)
from hostkeep.provisioning.registry import modules

STATES = {
    None: RemoteState.READY,
    "restoring_backup": RemoteState.READY,
    "installing": RemoteState.INSTALLING,
    "suspended": RemoteState.SUSPENDED,
    "install_failed": RemoteState.INSTALL_FAILED,
    "reinstall_failed": RemoteState.INSTALL_FAILED,
}
DEFAULT_LIMITS = {"memory": 1024, "swap": 0, "disk": 10240, "io": 500, "cpu": 100, "threads": None}
EGG_CACHE_SECONDS = 300
_egg_cache: dict[tuple[str, int, int], tuple[float, dict[str, Any]]] = {}
_egg_lock = threading.Lock()


def _username(spec: ServiceSpec) -> str:
    local = re.sub(r"[^a-z0-9_.-]", "", spec.customer_email.split("@")[0].lower())
    local = re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", local)[:40]
    return f"{local or 'customer'}-{spec.customer_id}"


@modules.register
class PterodactylModule(ProvisioningModule):
    name = "pterodactyl"
    label = "Pterodactyl"
    product_settings_schema: ClassVar[dict[str, Any]] = PRODUCT_SETTINGS
    connection_settings_schema: ClassVar[dict[str, Any]] = CONNECTION_SETTINGS
    sensitive_fields = ("api_key",)
    capabilities = frozenset(
        {
            Capability.SINGLE_SIGN_ON,
            Capability.PASSWORD_RESET,
            Capability.USAGE,
            Capability.TEST_CONNECTION,
            Capability.LIST_SERVERS,
        }
    )

    def __init__(self, connection: Connection, log: CallLog, checkpoint: Checkpoint | None = None) -> None:
        super().__init__(connection, log, checkpoint)
        self.client = PterodactylClient(
            connection.settings["base_url"],
            str(connection.secrets.get("api_key", "")),
            timeout=connection.timeout_seconds,
            log=log,
        )
        self.panel_url = str(connection.settings.get("panel_url") or connection.settings["base_url"]).rstrip("/")

    # -- reading ---------------------------------------------------------------------------------

    def _present(self, attributes: dict[str, Any], **extra: Any) -> RemoteServer:
        allocations = ((attributes.get("relationships") or {}).get("allocations") or {}).get("data") or []
        address = ""
        for item in allocations:
            allocation = item.get("attributes") or {}
            if allocation.get("id") == attributes.get("allocation") or not address:
                address = f"{allocation.get('alias') or allocation.get('ip')}:{allocation.get('port')}"
        limits = attributes.get("limits") or {}
        features = attributes.get("feature_limits") or {}
        return RemoteServer(
            remote_id=str(attributes["id"]),
            state=STATES.get(attributes.get("status"), RemoteState.READY),
            address=address,
            resources={
                "memory": limits.get("memory"),
                "swap": limits.get("swap"),
                "disk": limits.get("disk"),
                "cpu": limits.get("cpu"),
                "io": limits.get("io"),
                "databases": features.get("databases"),
                "backups": features.get("backups"),
                "allocations": features.get("allocations"),
            },
            details={
                "identifier": attributes.get("identifier"),
                "node": attributes.get("node"),
                "allocation": attributes.get("allocation"),
                "panel_user_id": str(attributes.get("user")),
                "external_id": attributes.get("external_id"),
                **extra,
            },
            panel_url=f"{self.panel_url}/server/{attributes.get('identifier')}",
        )

    def _get(self, record: ServerRecord, spec: ServiceSpec) -> dict[str, Any] | None:
        """The server's attributes (with allocations), by id or else by our external id."""
        try:
            if record.remote_id:
                answer = self.client.request("GET", f"/servers/{record.remote_id}", params={"include": "allocations"})
            else:
                answer = self.client.request(
                    "GET", f"/servers/external/{spec.external_id}", params={"include": "allocations"}
                )
        except PanelNotFound:
            return None
        return dict(answer.body["attributes"])

    def status(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        attributes = self._get(record, spec)
        if attributes is None:
            return RemoteServer(remote_id=record.remote_id, state=RemoteState.MISSING)
        return self._present(attributes)

    def _require(self, spec: ServiceSpec, record: ServerRecord) -> str:
        if record.remote_id:
            return record.remote_id
        attributes = self._get(record, spec)
        if attributes is None:
            raise TerminalError(f"The panel has no server with external id {spec.external_id}.")
        return str(attributes["id"])

    # -- create ----------------------------------------------------------------------------------

    def create(self, spec: ServiceSpec, record: ServerRecord, *, retry: bool) -> RemoteServer:
        if record.remote_id or retry:
            attributes = self._get(record, spec)
            if attributes is not None:
                if attributes.get("status") in ("install_failed", "reinstall_failed"):
                    self.client.request("POST", f"/servers/{attributes['id']}/reinstall")
                    attributes["status"] = "installing"
                return self._present(attributes)
        user_id = str(record.details.get("panel_user_id") or "") or self._panel_user(spec, retry=retry)
        body = self._server_body(spec, int(user_id))
        try:
            answer = self.client.request("POST", "/servers", params={"include": "allocations"}, body=body)
        except PanelRefused as error:
            if error.has(field="external_id", rule="unique"):
                attributes = self._get(ServerRecord(), spec)
                if attributes is not None:
                    return self._present(attributes)
            if error.has(code="NoViableNodeException") or error.has(code="NoViableAllocationException"):
                raise TerminalError(f"No free room on the panel: {error.message}") from error
            raise
        return self._present(answer.body["attributes"])

    def _panel_user(self, spec: ServiceSpec, *, retry: bool) -> str:
        """Find or create the customer's user: by our external id, then by the e-mail (exact)."""
        if retry:
            found = self._user_by_external_id(spec)
            if found:
                return found
        body = {
            "username": _username(spec),
            "email": spec.customer_email,
            "first_name": spec.customer_first_name,
            "last_name": spec.customer_last_name,
            "external_id": spec.customer_external_id,
        }
        try:
            answer = self.client.request("POST", "/users", body=body)
        except PanelRefused as error:
            if not error.has(rule="unique"):
                raise
            found = self._user_by_external_id(spec) or self._user_by_email(spec)
            if found:
                return found
            if error.has(field="username", rule="unique"):
                body["username"] = f"{body['username']}-{secrets.token_hex(2)}"
                return str(self.client.request("POST", "/users", body=body).body["attributes"]["id"])
            raise
        return str(answer.body["attributes"]["id"])

    def _user_by_external_id(self, spec: ServiceSpec) -> str:
        try:
            answer = self.client.request("GET", f"/users/external/{spec.customer_external_id}")
        except PanelNotFound:
            return ""
        return str(answer.body["attributes"]["id"])

    def _user_by_email(self, spec: ServiceSpec) -> str:
        # filter[email] is a substring match: check equality ourselves (spec §4).
        answer = self.client.request("GET", "/users", params={"filter[email]": spec.customer_email, "per_page": 100})
        for item in answer.body.get("data", []):
            attributes = item["attributes"]
            if str(attributes.get("email", "")).lower() == spec.customer_email.lower():
                return str(attributes["id"])
        return ""

    def _egg(self, nest: int, egg: int) -> dict[str, Any]:
        key = (self.client.base_url, nest, egg)
        with _egg_lock:
            cached = _egg_cache.get(key)
            if cached and cached[0] > time.monotonic():
                return cached[1]
        answer = self.client.request("GET", f"/nests/{nest}/eggs/{egg}", params={"include": "variables"})
        attributes = dict(answer.body["attributes"])
        with _egg_lock:
            _egg_cache[key] = (time.monotonic() + EGG_CACHE_SECONDS, attributes)
        return attributes

    def _game(self, spec: ServiceSpec) -> dict[str, Any]:
        """Egg, image, startup and environment: the product's, or its 'version' choice's."""
        settings = spec.product_settings
        chosen = (settings.get("versions") or {}).get(str(spec.limits.get("version", "")), {})
        game = {
            key: chosen.get(key, settings.get(key))
            for key in ("nest", "egg", "docker_image", "startup")
            if chosen.get(key, settings.get(key)) is not None
        }
        environment = {**(settings.get("environment") or {}), **(chosen.get("environment") or {})}
        if not game.get("docker_image") or not game.get("startup") or not settings.get("environment"):
            egg = self._egg(int(game["nest"]), int(game["egg"]))
            game.setdefault("docker_image", egg.get("docker_image"))
            game.setdefault("startup", egg.get("startup"))
            variables = ((egg.get("relationships") or {}).get("variables") or {}).get("data") or []
            defaults = {v["attributes"]["env_variable"]: v["attributes"]["default_value"] for v in variables}
            environment = {**defaults, **environment}
        game["environment"] = environment
        return game

    def _limit(self, spec: ServiceSpec, name: str, default: Any) -> Any:
        product_limits = spec.product_settings.get("limits") or {}
        return spec.limits.get(name, product_limits.get(name, default))

    def _server_body(self, spec: ServiceSpec, user_id: int) -> dict[str, Any]:
        settings = spec.product_settings
        game = self._game(spec)
        body: dict[str, Any] = {
            "name": spec.label,
            "user": user_id,
            "egg": int(game["egg"]),
            "docker_image": game["docker_image"],
            "startup": game["startup"],
            "environment": game["environment"],
            "external_id": spec.external_id,
            "description": f"Hostkeep service {spec.service_id}",
            "limits": {name: int(self._limit(spec, name, d)) for name, d in DEFAULT_LIMITS.items() if name != "threads"}
            | {"threads": self._limit(spec, "threads", None)},
            "feature_limits": {
                "databases": int(self._limit(spec, "databases", 0)),
                "backups": int(self._limit(spec, "backups", 0)),
                "allocations": int(self._limit(spec, "allocations", 1)),
            },
            "oom_disabled": not settings.get("oom_killer", False),
            "start_on_completion": bool(settings.get("start_on_completion", True)),
        }
        node = settings.get("node")
        if node:
            free = self.client.request(
                "GET", f"/nodes/{int(node)}/allocations", params={"filter[server_id]": "0", "per_page": 1}
            ).body.get("data", [])
            if not free:
                raise TerminalError(f"No free allocation on node {node}.")
            body["allocation"] = {"default": free[0]["attributes"]["id"]}
        else:
            location = spec.limits.get("location")
            locations = [int(location)] if location not in (None, "") else list(settings.get("location_ids") or [])
            body["deploy"] = {
                "locations": locations,
                "dedicated_ip": bool(settings.get("dedicated_ip", False)),
                "port_range": [str(port) for port in settings.get("port_range") or []],
            }
        return body

    # -- life ------------------------------------------------------------------------------------

    def suspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        server_id = self._require(spec, record)
        self.client.request("POST", f"/servers/{server_id}/suspend")
        return RemoteServer(remote_id=server_id, state=RemoteState.SUSPENDED)

    def unsuspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        server_id = self._require(spec, record)
        self.client.request("POST", f"/servers/{server_id}/unsuspend")
        return RemoteServer(remote_id=server_id, state=RemoteState.READY)

    def terminate(self, spec: ServiceSpec, record: ServerRecord, *, force: bool = False) -> None:
        try:
            server_id = self._require(spec, record)
        except TerminalError:
            return  # never made, or already gone
        try:
            self.client.request("DELETE", f"/servers/{server_id}" + ("/force" if force else ""))
        except PanelNotFound:
            return

    def change_package(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        """PATCH /build is a full replacement: send the current allocation with every limit."""
        attributes = self._get(record, spec)
        if attributes is None:
            raise TerminalError(f"The panel has no server for service {spec.service_id}.")
        current = attributes.get("limits") or {}
        body = {
            "allocation": attributes["allocation"],
            "memory": int(self._limit(spec, "memory", current.get("memory", 1024))),
            "swap": int(self._limit(spec, "swap", current.get("swap", 0))),
            "disk": int(self._limit(spec, "disk", current.get("disk", 10240))),
            "io": int(self._limit(spec, "io", current.get("io", 500))),
            "cpu": int(self._limit(spec, "cpu", current.get("cpu", 100))),
            "threads": self._limit(spec, "threads", current.get("threads")),
            "feature_limits": {
                "databases": int(self._limit(spec, "databases", 0)),
                "backups": int(self._limit(spec, "backups", 0)),
                "allocations": int(self._limit(spec, "allocations", 1)),
            },
        }
        answer = self.client.request(
            "PATCH", f"/servers/{attributes['id']}/build", params={"include": "allocations"}, body=body
        )
        return self._present(answer.body["attributes"])

    # -- optional --------------------------------------------------------------------------------

    def single_sign_on(self, spec: ServiceSpec, record: ServerRecord) -> str:
        identifier = record.details.get("identifier")
        if not identifier:
            attributes = self._get(record, spec)
            if attributes is None:
                raise TerminalError("The server is not on the panel.")
            identifier = attributes.get("identifier")
        return f"{self.panel_url}/server/{identifier}"

    def password_reset(self, spec: ServiceSpec, record: ServerRecord) -> str:
        user_id = str(record.details.get("panel_user_id") or "") or self._user_by_external_id(spec)
        if not user_id:
            raise TerminalError("The customer has no user on the panel.")
        user = self.client.request("GET", f"/users/{user_id}").body["attributes"]
        password = secrets.token_urlsafe(12)
        self.client.request(
            "PATCH",
            f"/users/{user_id}",
            body={
                "email": user["email"],
                "username": user["username"],
                "first_name": user["first_name"],
                "last_name": user["last_name"],
                "password": password,
            },
        )
        return password

    def usage(self, spec: ServiceSpec, record: ServerRecord) -> list[UsageReading]:
        """An hour of the server, and its memory in GB-hours, per reading (the panel's figures)."""
        attributes = self._get(record, spec)
        if attributes is None or attributes.get("status") == "suspended":
            return []
        hour = time.strftime("%Y%m%d%H", time.gmtime())
        memory_gb = (attributes.get("limits") or {}).get("memory", 0) / 1024
        return [
            UsageReading("server_hours", "1", f"ptero:{spec.external_id}:{hour}:hours"),
            UsageReading("memory_gb_hours", f"{memory_gb:.4f}", f"ptero:{spec.external_id}:{hour}:memory"),
        ]

    def test_connection(self) -> str:
        locations = self.client.request("GET", "/locations", params={"per_page": 1}).body
        nodes = self.client.request("GET", "/nodes", params={"per_page": 1}).body
        return f"{locations['meta']['pagination']['total']} locations, {nodes['meta']['pagination']['total']} nodes"

    def list_servers(self) -> list[RemoteServer]:
        found: list[RemoteServer] = []
        page = 1
        while True:
            body = self.client.request(
                "GET", "/servers", params={"page": page, "per_page": 100, "sort": "id", "include": "allocations"}
            ).body
            found.extend(self._present(item["attributes"]) for item in body.get("data", []))
            pagination = body.get("meta", {}).get("pagination", {})
            if page >= int(pagination.get("total_pages", 1)):
                return found
            page += 1
