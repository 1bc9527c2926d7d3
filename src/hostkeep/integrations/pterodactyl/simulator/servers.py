"""``/api/application/servers``: list, view, exact external-id lookup, create (explicit
allocation or auto-deploy), details/build/startup changes, suspend/unsuspend, reinstall and
delete, each coupled to the node's Wings daemon the way the panel couples them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from hostkeep.integrations.panelsim.httpd import Response, json_response

from .context import ApiError, Context, display_error, not_found, partial, validation_error
from .presenters import Presenter, collection
from .state import (
    READ,
    STATUS_INSTALLING,
    STATUS_SUSPENDED,
    WRITE,
    Allocation,
    PanelState,
    PendingInstall,
    Server,
    utcnow,
)
from .validation import Check, RuleSpec, Validator, is_integer, php_string

IMAGE_RULE = r"required|string|max:191|regex:/^~?[\w\.\/\-:@ ]*$/"
THREADS_RULE = r"nullable|regex:/^[0-9-,]+$/"
LIMIT_RULES = {
    "memory": "numeric|min:0",
    "swap": "numeric|min:-1",
    "disk": "numeric|min:0",
    "io": "numeric|between:10,1000",
    "cpu": "numeric|min:0",
}
NO_VIABLE_NODE = "No nodes satisfying the requirements specified for automatic deployment could be found."
NO_VIABLE_ALLOCATION = "No allocations satisfying the requirements for automatic deployment were found."
TOO_MANY_PORTS = "Adding more than 1000 ports in a single range at once is not supported."
PORT_RANGE = re.compile(r"^(\d{4,5})-(\d{4,5})$")
TRANSFERRING = "Cannot toggle suspension status on a server that is currently being transferred."

SERVER_FILTERS = {
    "uuid": partial(lambda s: s.uuid),
    "uuidShort": partial(lambda s: s.identifier),
    "name": partial(lambda s: s.name),
    "description": partial(lambda s: s.description),
    "image": partial(lambda s: s.image),
    "external_id": partial(lambda s: s.external_id),
}
SERVER_SORTS = {"id": lambda s: s.id, "uuid": lambda s: s.uuid}


def as_int(value: Any) -> int:
    return int(float(value))


def bind_server(ctx: Context, raw_id: str) -> Server:
    server = ctx.state.servers.get(int(raw_id)) if raw_id.isdigit() else None
    if server is None:
        raise not_found()
    return server


def _present(ctx: Context, server: Server) -> dict[str, Any]:
    return Presenter(ctx.state, ctx.key).server(server, ctx.includes)


# -- rules ------------------------------------------------------------------------------------


def _unique_external_id(state: PanelState, ignore_id: int | None = None) -> Check:
    def test(value: Any) -> bool:
        found = state.server_by_external_id(php_string(value))
        return found is None or found.id == ignore_id

    return Check("unique", test, "The :attribute has already been taken.")


def _exists(name: str, test: Any) -> Check:
    return Check(name, test, "The selected :attribute is invalid.")


def _user_exists(state: PanelState) -> Check:
    return _exists("exists", lambda v: is_integer(v) and as_int(v) in state.users)


def _egg_exists(state: PanelState) -> Check:
    return _exists("exists", lambda v: is_integer(v) and as_int(v) in state.eggs)


def _free_allocation(state: PanelState) -> Check:
    def test(value: Any) -> bool:
        allocation = state.allocations.get(as_int(value)) if is_integer(value) else None
        return allocation is not None and allocation.server_id is None

    return _exists("exists", test)


def create_rules(ctx: Context) -> dict[str, RuleSpec]:
    state = ctx.state
    rules: dict[str, RuleSpec] = {
        "external_id": ["sometimes", "nullable", "string", "between:1,191", _unique_external_id(state)],
        "name": "required|string|min:1|max:191",
        "description": "nullable|string",
        "user": ["required", "integer", _user_exists(state)],
        "egg": ["required", _egg_exists(state)],
        "docker_image": IMAGE_RULE,
        "startup": "required|string",
        "environment": "present|array",
        "skip_scripts": "sometimes|boolean",
        "oom_disabled": "sometimes|boolean",
        "limits": "required|array",
        "limits.threads": THREADS_RULE,
        "feature_limits": "required|array",
        "feature_limits.databases": "present|nullable|integer|min:0",
        "feature_limits.allocations": "sometimes|nullable|integer|min:0",
        "feature_limits.backups": "present|nullable|integer|min:0",
        "allocation.default": ["required_without:deploy", "integer", "bail", _free_allocation(state)],
        "deploy": "sometimes|required|array",
        "start_on_completion": "sometimes|boolean",
    }
    for name, rule in LIMIT_RULES.items():
        rules[f"limits.{name}"] = "required|" + rule
    if isinstance(ctx.input.get("deploy"), dict):
        rules["deploy.locations"] = "present|array"
        rules["deploy.locations.*"] = "integer|min:1"
        rules["deploy.dedicated_ip"] = "required_with:deploy|boolean"
        rules["deploy.port_range"] = "present|array"
        rules["deploy.port_range.*"] = "string"
    else:
        rules["allocation.additional.*"] = ["integer", _free_allocation(state)]
    return rules


def validate_environment(ctx: Context, egg_id: int, environment: Any) -> dict[int, str]:
    """Every variable of the egg against its rule string, hidden ones included; an omitted
    variable is validated as null and stored as ``""`` (never the egg's default)."""
    given = environment if isinstance(environment, dict) else {}
    variables = ctx.state.variables_of(egg_id)
    data = {"environment": {v.env_variable: given.get(v.env_variable) for v in variables}}
    rules: dict[str, RuleSpec] = {f"environment.{v.env_variable}": v.rules for v in variables}
    labels = {f"environment.{v.env_variable}": f"{v.name} variable" for v in variables}
    errors = Validator(data, rules, labels).errors()
    if errors:
        raise validation_error(errors)
    return {v.id: php_string(given.get(v.env_variable)) for v in variables}


# -- auto-deploy ------------------------------------------------------------------------------


def parse_port_range(values: Any) -> list[tuple[int, int]]:
    """``["25565", "25570-25580"]`` -> inclusive ranges; other shapes are dropped silently."""
    ranges: list[tuple[int, int]] = []
    for value in values if isinstance(values, list) else []:
        text = php_string(value)
        if text.isdigit():
            ranges.append((int(text), int(text)))
        match = PORT_RANGE.match(text)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if abs(high - low) > 1000:
                raise display_error(TOO_MANY_PORTS)
            ranges.append((min(low, high), max(low, high)))
    return ranges


def choose_allocation(ctx: Context, *, memory: int, disk: int, deploy: dict[str, Any]) -> Allocation:
    """Public nodes in the locations with room (overallocation included), then a random free
    allocation in the port range; with ``dedicated_ip``, on an IP no server uses yet."""
    state = ctx.state
    locations = {as_int(v) for v in deploy.get("locations") or [] if is_integer(v)}
    ranges = parse_port_range(deploy.get("port_range"))
    viable = []
    for node in state.nodes.values():
        if not node.public or (locations and node.location_id not in locations):
            continue
        servers = state.servers_on_node(node.id)
        memory_room = node.memory * (1 + node.memory_overallocate / 100)
        disk_room = node.disk * (1 + node.disk_overallocate / 100)
        if sum(s.memory for s in servers) + memory <= memory_room and sum(s.disk for s in servers) + disk <= disk_room:
            viable.append(node.id)
    if not viable:
        raise display_error(NO_VIABLE_NODE, "NoViableNodeException")
    candidates = [
        a
        for a in state.allocations.values()
        if a.node_id in viable
        and a.server_id is None
        and (not ranges or any(low <= a.port <= high for low, high in ranges))
    ]
    if deploy.get("dedicated_ip") in (True, 1, "1"):
        used = {(a.node_id, a.ip) for a in state.allocations.values() if a.server_id is not None}
        candidates = [a for a in candidates if (a.node_id, a.ip) not in used]
    if not candidates:
        raise display_error(NO_VIABLE_ALLOCATION, "NoViableAllocationException")
    return ctx.sim.rng.choice(sorted(candidates, key=lambda a: a.id))


# -- endpoints --------------------------------------------------------------------------------


def list_servers(ctx: Context) -> Response:
    ctx.require("servers", READ)
    with ctx.sim.lock:
        servers = ctx.sorted(ctx.filtered(list(ctx.state.servers.values()), SERVER_FILTERS), SERVER_SORTS)
        chunk, meta = ctx.page(servers)
        presenter = Presenter(ctx.state, ctx.key)
        data = [presenter.server(server, ctx.includes) for server in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def view_server(ctx: Context, server: str) -> Response:
    with ctx.sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", READ)
        return json_response(200, _present(ctx, found))


def view_server_by_external_id(ctx: Context, external_id: str) -> Response:
    with ctx.sim.lock:
        found = ctx.state.server_by_external_id(external_id)
        if found is None:
            raise not_found()
        ctx.require("servers", READ)
        return json_response(200, _present(ctx, found))


def create_server(ctx: Context) -> Response:
    ctx.require("servers", WRITE)
    sim = ctx.sim
    with sim.lock:
        state = ctx.state
        ctx.validate(create_rules(ctx))
        data = ctx.input
        limits, features = data["limits"], data["feature_limits"]
        egg = state.eggs[as_int(data["egg"])]
        deploy = data.get("deploy")
        if isinstance(deploy, dict):
            allocation = choose_allocation(
                ctx, memory=as_int(limits["memory"]), disk=as_int(limits["disk"]), deploy=deploy
            )
        else:
            allocation = state.allocations[as_int(data["allocation"]["default"])]
        values = validate_environment(ctx, egg.id, data.get("environment"))
        oom_disabled = data.get("oom_disabled")
        created = Server(
            id=state.next_id("servers"),
            uuid=str(uuid.uuid4()),
            external_id=data.get("external_id"),
            name=str(data["name"]),
            description=php_string(data.get("description")),
            status=STATUS_INSTALLING,
            owner_id=as_int(data["user"]),
            node_id=allocation.node_id,
            allocation_id=allocation.id,
            nest_id=egg.nest_id,
            egg_id=egg.id,
            memory=as_int(limits["memory"]),
            swap=as_int(limits["swap"]),
            disk=as_int(limits["disk"]),
            io=as_int(limits["io"]),
            cpu=as_int(limits["cpu"]),
            threads=limits.get("threads"),
            oom_disabled=True if oom_disabled is None else oom_disabled in (True, 1, "1"),
            database_limit=as_int(features.get("databases") or 0),
            allocation_limit=as_int(features.get("allocations") or 0),
            backup_limit=as_int(features.get("backups") or 0),
            startup=str(data["startup"]),
            image=str(data["docker_image"]),
            skip_scripts=data.get("skip_scripts") in (True, 1, "1"),
            start_on_completion=data.get("start_on_completion") in (True, 1, "1"),
            variables=values,
        )
        state.servers[created.id] = created
        allocation.server_id = created.id
        additional = (
            (data.get("allocation") or {}).get("additional") if isinstance(data.get("allocation"), dict) else None
        )
        for extra in additional if isinstance(additional, list) else []:
            extra_allocation = state.allocations.get(as_int(extra)) if is_integer(extra) else None
            if extra_allocation is not None and extra_allocation.server_id is None:
                extra_allocation.server_id = created.id
    # The row is committed; now the panel asks Wings to create the container. If Wings fails,
    # the panel force-deletes the server it just made and passes the error on.
    error = sim.wings_call(created.node_id)
    with sim.lock:
        if error is not None:
            state.forget_server(created.id)
            raise error
        if created.id in state.servers:
            state.installs[created.id] = PendingInstall(sim.install_due())
        return json_response(201, _present(ctx, created))


def update_details(ctx: Context, server: str) -> Response:
    sim = ctx.sim
    with sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
        ctx.validate(
            {
                "external_id": [
                    "sometimes",
                    "nullable",
                    "string",
                    "between:1,191",
                    _unique_external_id(ctx.state, found.id),
                ],
                "name": "required|string|min:1|max:191",
                "user": ["required", "integer", _user_exists(ctx.state)],
                "description": "nullable|string",
            }
        )
        data = ctx.input
        owner_changed = as_int(data["user"]) != found.owner_id
        # A full replacement: an omitted external_id becomes NULL, an omitted description "".
        found.external_id = data.get("external_id")
        found.name = str(data["name"])
        found.owner_id = as_int(data["user"])
        found.description = php_string(data.get("description"))
        found.updated_at = utcnow()
    if owner_changed:
        sim.wings_call(found.node_id)  # revoking the old owner's tokens; a failure is ignored
    with sim.lock:
        return json_response(200, _present(ctx, found))


def build_rules(ctx: Context, found: Server) -> dict[str, RuleSpec]:
    state = ctx.state

    def primary_elsewhere(value: Any) -> bool:
        wanted = as_int(value) if is_integer(value) else None
        return not any(s.allocation_id == wanted and s.id != found.id for s in state.servers.values())

    rules: dict[str, RuleSpec] = {
        "allocation": [
            "required",
            "bail",
            Check("unique", primary_elsewhere, "The :attribute has already been taken."),
            _exists("exists", lambda v: is_integer(v) and as_int(v) in state.allocations),
        ],
        "oom_disabled": "sometimes|boolean",
        "limits": "sometimes|array",
        "limits.threads": THREADS_RULE,
        "threads": THREADS_RULE,
        "add_allocations": "bail|array",
        "add_allocations.*": "integer",
        "remove_allocations": "bail|array",
        "remove_allocations.*": "integer",
        "feature_limits": "required|array",
        "feature_limits.databases": "present|nullable|integer|min:0",
        "feature_limits.allocations": "sometimes|nullable|integer|min:0",
        "feature_limits.backups": "present|nullable|integer|min:0",
    }
    for name, rule in LIMIT_RULES.items():
        rules[f"limits.{name}"] = f"required_without:{name}|{rule}"
        rules[name] = f"required_without:limits.{name}|{rule}"
    return rules


def update_build(ctx: Context, server: str) -> Response:
    sim = ctx.sim
    with sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
        ctx.validate(build_rules(ctx, found))
        data = dict(ctx.input)
        features = data["feature_limits"]
        if isinstance(data.get("limits"), dict) and data["limits"]:
            data.update(data.pop("limits"))
        allocation_id = as_int(data["allocation"])
        allocation_id = _move_allocations(ctx, found, data, allocation_id)
        if allocation_id != found.allocation_id:
            owned = ctx.state.allocations.get(allocation_id)
            if owned is None or owned.server_id != found.id:
                raise display_error("The requested default allocation is not currently assigned to this server.")
        for name in LIMIT_RULES:
            setattr(found, name, as_int(data[name]))
        if "threads" in data:
            found.threads = data["threads"]
        if data.get("oom_disabled") is not None:
            found.oom_disabled = data["oom_disabled"] in (True, 1, "1")
        found.allocation_id = allocation_id
        databases, allocations, backups = (features.get(k) for k in ("databases", "allocations", "backups"))
        found.database_limit = None if databases is None else as_int(databases)
        found.allocation_limit = None if allocations is None else as_int(allocations)
        found.backup_limit = 0 if backups is None else as_int(backups)
        found.updated_at = utcnow()
    sim.wings_call(found.node_id)  # Wings sync: a failure is only logged, the answer is still 200
    with sim.lock:
        return json_response(200, _present(ctx, found))


def _move_allocations(ctx: Context, server: Server, data: dict[str, Any], allocation_id: int) -> int:
    """``add_allocations`` takes free ones on the server's node (others are skipped silently);
    removing the primary needs a freshly added one to take its place."""
    add = [as_int(v) for v in data.get("add_allocations") or [] if is_integer(v)]
    remove = [as_int(v) for v in data.get("remove_allocations") or [] if is_integer(v)]
    if not add and not remove:
        return allocation_id
    state = ctx.state
    fresh: list[int] = []
    for allocation_id_to_add in add:
        allocation = state.allocations.get(allocation_id_to_add)
        if allocation and allocation.node_id == server.node_id and allocation.server_id is None:
            fresh.append(allocation.id)
    for allocation_id_to_remove in remove:
        if allocation_id_to_remove == allocation_id:
            if not fresh:
                raise display_error(
                    "You are attempting to delete the default allocation for this server but there is no "
                    "fallback allocation to use."
                )
            allocation_id = fresh[0]
    for allocation_id_to_add in fresh:
        state.allocations[allocation_id_to_add].server_id = server.id
        state.allocations[allocation_id_to_add].notes = None
    for allocation_id_to_remove in set(remove) - set(add):
        allocation = state.allocations.get(allocation_id_to_remove)
        if allocation and allocation.node_id == server.node_id and allocation.server_id == server.id:
            allocation.server_id = None
            allocation.notes = None
    return allocation_id


def update_startup(ctx: Context, server: str) -> Response:
    with ctx.sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
        ctx.validate(
            {
                "startup": "required|string",
                "environment": "present|array",
                "egg": ["required", _egg_exists(ctx.state)],
                "image": IMAGE_RULE,
                "skip_scripts": "present|boolean",
            }
        )
        data = ctx.input
        egg = ctx.state.eggs[as_int(data["egg"])]
        environment = data.get("environment")
        if environment:
            # Every variable of the target egg is validated again; omitted ones become "".
            found.variables.update(validate_environment(ctx, egg.id, environment))
        found.egg_id, found.nest_id = egg.id, egg.nest_id
        found.startup = str(data["startup"])
        found.image = str(data["image"])
        found.skip_scripts = data.get("skip_scripts") in (True, 1, "1")
        found.updated_at = utcnow()
        return json_response(200, _present(ctx, found))


def _toggle_suspension(ctx: Context, server: str, suspend: bool) -> Response:
    sim = ctx.sim
    with sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
        if (found.status == STATUS_SUSPENDED) == suspend:
            return Response(204)
        if found.transferring:
            raise ApiError(409, "ConflictHttpException", TRANSFERRING)
        found.status = STATUS_SUSPENDED if suspend else None
        found.updated_at = utcnow()
    error = sim.wings_call(found.node_id)
    if error is not None:
        with sim.lock:
            # The panel's rollback: a failed suspend leaves null, a failed unsuspend "suspended".
            found.status = None if suspend else STATUS_SUSPENDED
        raise error
    return Response(204)


def suspend_server(ctx: Context, server: str) -> Response:
    return _toggle_suspension(ctx, server, suspend=True)


def unsuspend_server(ctx: Context, server: str) -> Response:
    return _toggle_suspension(ctx, server, suspend=False)


def reinstall_server(ctx: Context, server: str) -> Response:
    sim = ctx.sim
    with sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
    # Status change and Wings call share one transaction: a Wings error leaves nothing changed.
    error = sim.wings_call(found.node_id)
    if error is not None:
        raise error
    with sim.lock:
        if found.id in ctx.state.servers:
            found.status = STATUS_INSTALLING
            found.updated_at = utcnow()
            ctx.state.installs[found.id] = PendingInstall(sim.install_due(), reinstall=True)
    return Response(204)


def delete_server(ctx: Context, server: str, force: str | None = None) -> Response:
    sim = ctx.sim
    with sim.lock:
        found = bind_server(ctx, server)
        ctx.require("servers", WRITE)
    error = sim.wings_call(found.node_id)
    # Wings' 404 means the container is already gone; anything else stops a normal delete.
    if error is not None and error.status != 404 and force != "force":
        raise error
    with sim.lock:
        ctx.state.forget_server(found.id)
    return Response(204)


def list_databases(ctx: Context, server: str) -> Response:
    with ctx.sim.lock:
        bind_server(ctx, server)
        ctx.require("server_databases", READ)
    return json_response(200, collection([]))


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/servers", list_servers),
    ("GET", "/servers/external/{external_id}", view_server_by_external_id),
    ("GET", "/servers/{server}", view_server),
    ("POST", "/servers", create_server),
    ("PATCH", "/servers/{server}/details", update_details),
    ("PATCH", "/servers/{server}/build", update_build),
    ("PATCH", "/servers/{server}/startup", update_startup),
    ("POST", "/servers/{server}/suspend", suspend_server),
    ("POST", "/servers/{server}/unsuspend", unsuspend_server),
    ("POST", "/servers/{server}/reinstall", reinstall_server),
    ("GET", "/servers/{server}/databases", list_databases),
    ("DELETE", "/servers/{server}/{force?}", delete_server),
]
