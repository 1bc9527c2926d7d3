"""The panel's transformers: ``{"object": name, "attributes": {...}}`` with includes placed in
``attributes.relationships``; an include the key may not read becomes a ``null_resource``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .context import Includes
from .state import (
    READ,
    Allocation,
    ApiKey,
    Egg,
    EggVariable,
    Location,
    Nest,
    Node,
    PanelState,
    Server,
    User,
)

NULL_RESOURCE: dict[str, Any] = {"object": "null_resource", "attributes": None}


def timestamp(moment: datetime) -> str:
    """Transformer timestamps: ISO-8601 with an offset, whole seconds."""
    return moment.replace(microsecond=0).isoformat()


def raw_timestamp(moment: datetime) -> str:
    """Models serialised raw (egg variables): Laravel's default date format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def item(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"object": name, "attributes": attributes}


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": items}


Include = tuple[str, str, Callable[[Includes], dict[str, Any]]]


class Presenter:
    def __init__(self, state: PanelState, key: ApiKey) -> None:
        self.state = state
        self.key = key

    def _relate(self, attributes: dict[str, Any], includes: Includes, available: list[Include]) -> dict[str, Any]:
        relationships: dict[str, Any] = {}
        for name, resource, build in available:
            if name in includes:
                relationships[name] = build(includes.child(name)) if self.key.can(resource, READ) else NULL_RESOURCE
        if relationships:
            attributes["relationships"] = relationships
        return attributes

    def user(self, user: User, includes: Includes) -> dict[str, Any]:
        attributes = {
            "id": user.id,
            "external_id": user.external_id,
            "uuid": user.uuid,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "root_admin": user.root_admin,
            "2fa": user.use_totp,
            "created_at": timestamp(user.created_at),
            "updated_at": timestamp(user.updated_at),
        }
        servers = self.state.servers_of_user(user.id)
        return item(
            "user",
            self._relate(
                attributes,
                includes,
                [("servers", "servers", lambda inc: collection([self.server(s, inc) for s in servers]))],
            ),
        )

    def environment(self, server: Server) -> dict[str, Any]:
        environment: dict[str, Any] = {}
        for variable in self.state.variables_of(server.egg_id):
            stored = server.variables.get(variable.id)
            environment[variable.env_variable] = stored if stored is not None else variable.default_value
        node = self.state.nodes.get(server.node_id)
        location = self.state.locations.get(node.location_id) if node else None
        environment["STARTUP"] = server.startup
        environment["P_SERVER_LOCATION"] = location.short if location else None
        environment["P_SERVER_UUID"] = server.uuid
        environment["P_SERVER_ALLOCATION_LIMIT"] = server.allocation_limit
        return environment

    def server(self, server: Server, includes: Includes) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "id": server.id,
            "external_id": server.external_id,
            "uuid": server.uuid,
            "identifier": server.identifier,
            "name": server.name,
            "description": server.description,
            "status": server.status,
            "suspended": server.status == "suspended",
            "limits": {
                "memory": server.memory,
                "swap": server.swap,
                "disk": server.disk,
                "io": server.io,
                "cpu": server.cpu,
                "threads": server.threads,
                "oom_disabled": server.oom_disabled,
            },
            "feature_limits": {
                "databases": server.database_limit,
                "allocations": server.allocation_limit,
                "backups": server.backup_limit,
            },
            "user": server.owner_id,
            "node": server.node_id,
            "allocation": server.allocation_id,
            "nest": server.nest_id,
            "egg": server.egg_id,
            "container": {
                "startup_command": server.startup,
                "image": server.image,
                "installed": 1 if server.installed else 0,
                "environment": self.environment(server),
            },
            "updated_at": timestamp(server.updated_at),
            "created_at": timestamp(server.created_at),
        }
        state = self.state
        node = state.nodes[server.node_id]
        egg_variables = state.variables_of(server.egg_id)
        available: list[Include] = [
            (
                "allocations",
                "allocations",
                lambda inc: collection([self.allocation(a, inc) for a in state.allocations_of(server.id)]),
            ),
            ("user", "users", lambda inc: self.user(state.users[server.owner_id], inc)),
            ("subusers", "users", lambda inc: collection([])),
            ("nest", "nests", lambda inc: self.nest(state.nests[server.nest_id], inc)),
            ("egg", "eggs", lambda inc: self.egg(state.eggs[server.egg_id], inc)),
            (
                "variables",
                "servers",
                lambda inc: collection([self.server_variable(v, server.variables.get(v.id)) for v in egg_variables]),
            ),
            ("location", "locations", lambda inc: self.location(state.locations[node.location_id], inc)),
            ("node", "nodes", lambda inc: self.node(node, inc)),
            ("databases", "server_databases", lambda inc: collection([])),
        ]
        return item("server", self._relate(attributes, includes, available))

    def allocation(self, allocation: Allocation, includes: Includes) -> dict[str, Any]:
        attributes = {
            "id": allocation.id,
            "ip": allocation.ip,
            "alias": allocation.alias,
            "port": allocation.port,
            "notes": allocation.notes,
            "assigned": allocation.server_id is not None,
        }
        server = self.state.servers.get(allocation.server_id) if allocation.server_id else None
        return item(
            "allocation",
            self._relate(
                attributes,
                includes,
                [
                    ("node", "nodes", lambda inc: self.node(self.state.nodes[allocation.node_id], inc)),
                    ("server", "servers", lambda inc: self.server(server, inc) if server else NULL_RESOURCE),
                ],
            ),
        )

    def node(self, node: Node, includes: Includes) -> dict[str, Any]:
        servers = self.state.servers_on_node(node.id)
        attributes = {
            "id": node.id,
            "uuid": node.uuid,
            "public": node.public,
            "name": node.name,
            "description": node.description,
            "location_id": node.location_id,
            "fqdn": node.fqdn,
            "scheme": node.scheme,
            "behind_proxy": node.behind_proxy,
            "maintenance_mode": node.maintenance_mode,
            "memory": node.memory,
            "memory_overallocate": node.memory_overallocate,
            "disk": node.disk,
            "disk_overallocate": node.disk_overallocate,
            "upload_size": node.upload_size,
            "daemon_listen": node.daemon_listen,
            "daemon_sftp": node.daemon_sftp,
            "daemon_base": node.daemon_base,
            "created_at": timestamp(node.created_at),
            "updated_at": timestamp(node.updated_at),
            "allocated_resources": {
                "memory": sum(server.memory for server in servers),
                "disk": sum(server.disk for server in servers),
            },
        }
        allocations = [a for a in self.state.allocations.values() if a.node_id == node.id]
        return item(
            "node",
            self._relate(
                attributes,
                includes,
                [
                    (
                        "allocations",
                        "allocations",
                        lambda inc: collection([self.allocation(a, inc) for a in allocations]),
                    ),
                    ("location", "locations", lambda inc: self.location(self.state.locations[node.location_id], inc)),
                    ("servers", "servers", lambda inc: collection([self.server(s, inc) for s in servers])),
                ],
            ),
        )

    def location(self, location: Location, includes: Includes) -> dict[str, Any]:
        attributes = {
            "id": location.id,
            "short": location.short,
            "long": location.long,
            "created_at": timestamp(location.created_at),
            "updated_at": timestamp(location.updated_at),
        }
        nodes = [n for n in self.state.nodes.values() if n.location_id == location.id]
        node_ids = {n.id for n in nodes}
        servers = [s for s in self.state.servers.values() if s.node_id in node_ids]
        return item(
            "location",
            self._relate(
                attributes,
                includes,
                [
                    ("nodes", "nodes", lambda inc: collection([self.node(n, inc) for n in nodes])),
                    ("servers", "servers", lambda inc: collection([self.server(s, inc) for s in servers])),
                ],
            ),
        )

    def nest(self, nest: Nest, includes: Includes) -> dict[str, Any]:
        attributes = {
            "id": nest.id,
            "uuid": nest.uuid,
            "author": nest.author,
            "name": nest.name,
            "description": nest.description,
            "created_at": timestamp(nest.created_at),
            "updated_at": timestamp(nest.updated_at),
        }
        eggs = [e for e in self.state.eggs.values() if e.nest_id == nest.id]
        servers = [s for s in self.state.servers.values() if s.nest_id == nest.id]
        return item(
            "nest",
            self._relate(
                attributes,
                includes,
                [
                    ("eggs", "eggs", lambda inc: collection([self.egg(e, inc) for e in eggs])),
                    ("servers", "servers", lambda inc: collection([self.server(s, inc) for s in servers])),
                ],
            ),
        )

    def egg(self, egg: Egg, includes: Includes) -> dict[str, Any]:
        attributes = {
            "id": egg.id,
            "uuid": egg.uuid,
            "name": egg.name,
            "nest": egg.nest_id,
            "author": egg.author,
            "description": egg.description,
            "docker_image": next(iter(egg.docker_images.values()), ""),
            "docker_images": dict(egg.docker_images),
            "config": {
                "files": egg.config_files or {},
                "startup": egg.config_startup,
                "stop": egg.config_stop,
                "logs": egg.config_logs,
                "file_denylist": list(egg.file_denylist),
                "extends": egg.config_from,
            },
            "startup": egg.startup,
            "script": {
                "privileged": egg.script_is_privileged,
                "install": egg.script_install,
                "entry": egg.script_entry,
                "container": egg.script_container,
                "extends": egg.copy_script_from,
            },
            "created_at": timestamp(egg.created_at),
            "updated_at": timestamp(egg.updated_at),
        }
        servers = [s for s in self.state.servers.values() if s.egg_id == egg.id]
        variables = self.state.variables_of(egg.id)
        return item(
            "egg",
            self._relate(
                attributes,
                includes,
                [
                    ("nest", "nests", lambda inc: self.nest(self.state.nests[egg.nest_id], inc)),
                    ("servers", "servers", lambda inc: collection([self.server(s, inc) for s in servers])),
                    # Only an egg that extends another one has these; the seeded eggs do not.
                    ("config", "eggs", lambda inc: NULL_RESOURCE),
                    ("script", "eggs", lambda inc: NULL_RESOURCE),
                    ("variables", "eggs", lambda inc: collection([self.egg_variable(v) for v in variables])),
                ],
            ),
        )

    @staticmethod
    def _variable_attributes(variable: EggVariable) -> dict[str, Any]:
        return {
            "id": variable.id,
            "egg_id": variable.egg_id,
            "name": variable.name,
            "description": variable.description,
            "env_variable": variable.env_variable,
            "default_value": variable.default_value,
            "user_viewable": variable.user_viewable,
            "user_editable": variable.user_editable,
            "rules": variable.rules,
            "created_at": raw_timestamp(variable.created_at),
            "updated_at": raw_timestamp(variable.updated_at),
        }

    def egg_variable(self, variable: EggVariable) -> dict[str, Any]:
        return item("egg_variable", self._variable_attributes(variable))

    def server_variable(self, variable: EggVariable, value: str | None) -> dict[str, Any]:
        attributes = self._variable_attributes(variable)
        attributes["server_value"] = value
        return item("server_variable", attributes)
