"""What a billing module reads to configure products: nests and eggs (with their variables),
nodes (including ``/deployable``), their allocations, and locations."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from hostkeep.integrations.panelsim.httpd import Response, json_response

from .context import ApiError, Context, Includes, display_error, not_found, partial
from .presenters import Presenter, collection
from .servers import as_int
from .state import READ, WRITE, Allocation, Egg, Location, Nest, Node, utcnow
from .validation import Check, RuleSpec, is_integer

NODE_FILTERS = {
    "uuid": partial(lambda n: n.uuid),
    "name": partial(lambda n: n.name),
    "fqdn": partial(lambda n: n.fqdn),
    "daemon_token_id": partial(lambda n: n.daemon_token_id),
}
NODE_SORTS = {"id": lambda n: n.id, "uuid": lambda n: n.uuid, "memory": lambda n: n.memory, "disk": lambda n: n.disk}
LOCATION_FILTERS = {"short": partial(lambda loc: loc.short), "long": partial(lambda loc: loc.long)}
LOCATION_SORTS = {"id": lambda loc: loc.id}
PORT_RANGE = re.compile(r"^(\d{4,5})-(\d{4,5})$")


def _bind(table: dict[int, Any], raw_id: str) -> Any:
    found = table.get(int(raw_id)) if raw_id.isdigit() else None
    if found is None:
        raise not_found()
    return found


def _server_id_filter(allocation: Allocation, terms: list[str]) -> bool:
    """Digits match a server id exactly; ``0``, ``false`` or anything else lists free ports."""
    for term in terms:
        if term.isdigit() and term != "0":
            if allocation.server_id == int(term):
                return True
        elif allocation.server_id is None:
            return True
    return False


ALLOCATION_FILTERS = {
    "ip": lambda a, terms: a.ip.lower() in terms,
    "port": lambda a, terms: str(a.port) in terms,
    "ip_alias": partial(lambda a: a.alias),
    "server_id": _server_id_filter,
}


# -- nests and eggs ---------------------------------------------------------------------------


def list_nests(ctx: Context) -> Response:
    ctx.require("nests", READ)
    with ctx.sim.lock:
        chunk, meta = ctx.page(list(ctx.state.nests.values()))
        presenter = Presenter(ctx.state, ctx.key)
        data = [presenter.nest(nest, ctx.includes) for nest in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def view_nest(ctx: Context, nest: str) -> Response:
    with ctx.sim.lock:
        found: Nest = _bind(ctx.state.nests, nest)
        ctx.require("nests", READ)
        return json_response(200, Presenter(ctx.state, ctx.key).nest(found, ctx.includes))


def list_eggs(ctx: Context, nest: str) -> Response:
    with ctx.sim.lock:
        found: Nest = _bind(ctx.state.nests, nest)
        ctx.require("eggs", READ)
        presenter = Presenter(ctx.state, ctx.key)
        eggs = [presenter.egg(egg, ctx.includes) for egg in ctx.state.eggs.values() if egg.nest_id == found.id]
    return json_response(200, collection(eggs))


def view_egg(ctx: Context, nest: str, egg: str) -> Response:
    with ctx.sim.lock:
        found_nest: Nest = _bind(ctx.state.nests, nest)
        found: Egg = _bind(ctx.state.eggs, egg)
        if found.nest_id != found_nest.id:
            raise not_found()
        ctx.require("eggs", READ)
        return json_response(200, Presenter(ctx.state, ctx.key).egg(found, ctx.includes))


# -- nodes --------------------------------------------------------------------------------------


def list_nodes(ctx: Context) -> Response:
    ctx.require("nodes", READ)
    with ctx.sim.lock:
        nodes = ctx.sorted(ctx.filtered(list(ctx.state.nodes.values()), NODE_FILTERS), NODE_SORTS)
        chunk, meta = ctx.page(nodes)
        presenter = Presenter(ctx.state, ctx.key)
        data = [presenter.node(node, ctx.includes) for node in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def view_node(ctx: Context, node: str) -> Response:
    with ctx.sim.lock:
        found: Node = _bind(ctx.state.nodes, node)
        ctx.require("nodes", READ)
        return json_response(200, Presenter(ctx.state, ctx.key).node(found, ctx.includes))


def node_configuration(ctx: Context, node: str) -> Response:
    with ctx.sim.lock:
        found: Node = _bind(ctx.state.nodes, node)
        ctx.require("nodes", READ)
        configuration = {
            "debug": False,
            "uuid": found.uuid,
            "token_id": found.daemon_token_id,
            "token": "simulated-daemon-token",
            "api": {
                "host": "0.0.0.0",  # noqa: S104 - Wings' own configuration value, not a bind here
                "port": found.daemon_listen,
                "ssl": {
                    "enabled": found.scheme == "https" and not found.behind_proxy,
                    "cert": f"/etc/letsencrypt/live/{found.fqdn}/fullchain.pem",
                    "key": f"/etc/letsencrypt/live/{found.fqdn}/privkey.pem",
                },
                "upload_limit": found.upload_size,
            },
            "system": {"data": found.daemon_base, "sftp": {"bind_port": found.daemon_sftp}},
            "allowed_mounts": [],
            "remote": ctx.base_url,
        }
    return json_response(200, configuration)


def deployable_nodes(ctx: Context) -> Response:
    ctx.require("nodes", READ)
    with ctx.sim.lock:
        ctx.validate(
            {
                "memory": "required|integer|min:0",
                "disk": "required|integer|min:0",
                "location_ids": "array",
                "location_ids.*": "integer",
            }
        )
        memory, disk = as_int(ctx.input["memory"]), as_int(ctx.input["disk"])
        locations = {as_int(v) for v in ctx.input.get("location_ids") or [] if is_integer(v)}
        nodes = []
        for node in ctx.state.nodes.values():
            if not node.public or (locations and node.location_id not in locations):
                continue
            servers = ctx.state.servers_on_node(node.id)
            if sum(s.memory for s in servers) + memory > node.memory * (1 + node.memory_overallocate / 100):
                continue
            if sum(s.disk for s in servers) + disk > node.disk * (1 + node.disk_overallocate / 100):
                continue
            nodes.append(node)
        if not nodes:
            raise display_error(
                "No nodes satisfying the requirements specified for automatic deployment could be found.",
                "NoViableNodeException",
            )
        presenter = Presenter(ctx.state, ctx.key)
        if ctx.query.get("page") is None:
            return json_response(200, collection([presenter.node(n, ctx.includes) for n in nodes]))
        chunk, meta = ctx.page(nodes)
        return json_response(
            200, {"object": "list", "data": [presenter.node(n, ctx.includes) for n in chunk], "meta": meta}
        )


# -- allocations --------------------------------------------------------------------------------


def list_allocations(ctx: Context, node: str) -> Response:
    with ctx.sim.lock:
        found: Node = _bind(ctx.state.nodes, node)
        ctx.require("allocations", READ)
        allocations = [a for a in ctx.state.allocations.values() if a.node_id == found.id]
        chunk, meta = ctx.page(ctx.filtered(allocations, ALLOCATION_FILTERS))
        presenter = Presenter(ctx.state, ctx.key)
        data = [presenter.allocation(a, ctx.includes) for a in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def _ports(values: list[Any]) -> list[int]:
    ports: list[int] = []
    for value in values:
        text = str(value)
        match = PORT_RANGE.match(text)
        if not text.isdigit() and match is None:
            raise display_error(
                f"The mapping provided for {text} was invalid and could not be processed.",
                "InvalidPortMappingException",
            )
        low, high = (int(match.group(1)), int(match.group(2))) if match else (int(text), int(text))
        if high - low + 1 > 1000:
            raise display_error(
                "Adding more than 1000 ports in a single range at once is not supported.",
                "TooManyPortsInRangeException",
            )
        for port in range(low, high + 1):
            if port <= 1024 or port > 65535:
                raise display_error(
                    "Ports in an allocation must be greater than 1024 and less than or equal to 65535.",
                    "PortOutOfRangeException",
                )
            ports.append(port)
    return ports


def create_allocations(ctx: Context, node: str) -> Response:
    with ctx.sim.lock:
        found: Node = _bind(ctx.state.nodes, node)
        ctx.require("allocations", WRITE)
        ctx.validate(
            {
                "ip": "required|string",
                "alias": "sometimes|nullable|string|max:191",
                "ports": "required|array",
                "ports.*": "string",
            }
        )
        raw_ip = str(ctx.input["ip"])
        if "/" in raw_ip:
            bits = raw_ip.split("/", 1)[1]
            if not bits.isdigit() or not 25 <= int(bits) <= 32:
                raise display_error("CIDR notation only allows masks between /25 and /32.", "CidrOutOfRangeException")
        try:
            addresses = [str(address) for address in ipaddress.ip_network(raw_ip, strict=False)]
        except ValueError as error:
            raise display_error(f"Could not parse provided allocation IP address ({raw_ip}): {error}") from error
        ports = _ports(list(ctx.input["ports"]))
        for address in addresses:
            ctx.state.add_allocations(found.id, address, ports, ctx.input.get("alias"))
    return Response(204)


def delete_allocation(ctx: Context, node: str, allocation: str) -> Response:
    with ctx.sim.lock:
        found_node: Node = _bind(ctx.state.nodes, node)
        found: Allocation = _bind(ctx.state.allocations, allocation)
        if found.node_id != found_node.id:
            raise not_found()
        ctx.require("allocations", WRITE)
        if found.server_id is not None:
            raise display_error(
                "Cannot delete an allocation that is currently assigned to a server.", "ServerUsingAllocationException"
            )
        del ctx.state.allocations[found.id]
    return Response(204)


# -- locations ----------------------------------------------------------------------------------


def _location_rules(ctx: Context, ignore_id: int | None = None) -> dict[str, RuleSpec]:
    def unique(value: Any) -> bool:
        wanted = str(value).lower()
        return not any(loc.short.lower() == wanted and loc.id != ignore_id for loc in ctx.state.locations.values())

    return {
        "short": [
            "required",
            "string",
            "between:1,60",
            Check("unique", unique, "The :attribute has already been taken."),
        ],
        "long": "string|nullable|between:1,191",
    }


def _present_location(ctx: Context, location: Location, includes: Includes | None = None) -> dict[str, Any]:
    return Presenter(ctx.state, ctx.key).location(location, includes or ctx.includes)


def list_locations(ctx: Context) -> Response:
    ctx.require("locations", READ)
    with ctx.sim.lock:
        locations = ctx.sorted(ctx.filtered(list(ctx.state.locations.values()), LOCATION_FILTERS), LOCATION_SORTS)
        chunk, meta = ctx.page(locations)
        data = [_present_location(ctx, location) for location in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def view_location(ctx: Context, location: str) -> Response:
    with ctx.sim.lock:
        found: Location = _bind(ctx.state.locations, location)
        ctx.require("locations", READ)
        return json_response(200, _present_location(ctx, found))


def create_location(ctx: Context) -> Response:
    ctx.require("locations", WRITE)
    with ctx.sim.lock:
        ctx.validate(_location_rules(ctx))
        created = ctx.state.add_location(str(ctx.input["short"]), ctx.input.get("long"))
        payload = _present_location(ctx, created)
    payload["meta"] = {"resource": ctx.url(f"/api/application/locations/{created.id}")}
    return json_response(201, payload)


def update_location(ctx: Context, location: str) -> Response:
    with ctx.sim.lock:
        found: Location = _bind(ctx.state.locations, location)
        ctx.require("locations", WRITE)
        ctx.validate(_location_rules(ctx, found.id))
        found.short = str(ctx.input["short"])
        if "long" in ctx.input:
            found.long = ctx.input["long"]
        found.updated_at = utcnow()
        return json_response(200, _present_location(ctx, found))


def delete_location(ctx: Context, location: str) -> Response:
    with ctx.sim.lock:
        found: Location = _bind(ctx.state.locations, location)
        ctx.require("locations", WRITE)
        if any(node.location_id == found.id for node in ctx.state.nodes.values()):
            raise display_error(
                "Cannot delete a location that has active nodes attached to it.", "HasActiveNodesException"
            )
        del ctx.state.locations[found.id]
    return Response(204)


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/nests", list_nests),
    ("GET", "/nests/{nest}", view_nest),
    ("GET", "/nests/{nest}/eggs", list_eggs),
    ("GET", "/nests/{nest}/eggs/{egg}", view_egg),
    ("GET", "/nodes", list_nodes),
    ("GET", "/nodes/deployable", deployable_nodes),
    ("GET", "/nodes/{node}", view_node),
    ("GET", "/nodes/{node}/configuration", node_configuration),
    ("GET", "/nodes/{node}/allocations", list_allocations),
    ("POST", "/nodes/{node}/allocations", create_allocations),
    ("DELETE", "/nodes/{node}/allocations/{allocation}", delete_allocation),
    ("GET", "/locations", list_locations),
    ("GET", "/locations/{location}", view_location),
    ("POST", "/locations", create_location),
    ("PATCH", "/locations/{location}", update_location),
    ("DELETE", "/locations/{location}", delete_location),
]

__all__ = ["ROUTES", "ApiError"]
