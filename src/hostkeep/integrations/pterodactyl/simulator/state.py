"""The panel's database, in memory: users, keys, locations, nodes, allocations, nests, eggs,
servers and their variables, plus the Wings daemon of each node and pending installs.

Everything here is mutated only while the simulator's lock is held. Installs finish lazily:
``settle()`` runs at the start of every request and whenever a test reads ``sim.state``.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

READ = 1
WRITE = 2
RESOURCES = (
    "servers",
    "nodes",
    "allocations",
    "users",
    "locations",
    "nests",
    "eggs",
    "database_hosts",
    "server_databases",
)
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "ru", "uk", "zh")

STATUS_INSTALLING = "installing"
STATUS_INSTALL_FAILED = "install_failed"
STATUS_REINSTALL_FAILED = "reinstall_failed"
STATUS_SUSPENDED = "suspended"


def utcnow() -> datetime:
    return datetime.now(UTC)


def random_string(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_application_key() -> str:
    """A key in the panel's format: ``ptla_`` + 11 characters (the identifier) + a 32-char secret."""
    return "ptla_" + random_string(11) + random_string(32)


@dataclass
class User:
    """A panel account; servers are owned by one."""

    id: int
    uuid: str
    username: str
    email: str
    first_name: str
    last_name: str
    external_id: str | None = None
    language: str = "en"
    root_admin: bool = False
    use_totp: bool = False
    password: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class ApiKey:
    """An application (``ptla_``) or account (``ptlc_``) key; the first 16 characters identify it."""

    identifier: str
    secret: str
    user_id: int
    kind: str = "application"
    permissions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESOURCES, READ | WRITE))
    allowed_ips: list[str] = field(default_factory=list)
    expires_at: datetime | None = None

    @property
    def token(self) -> str:
        return self.identifier + self.secret

    def can(self, resource: str, bit: int) -> bool:
        if self.kind == "account":
            return True
        return bool(self.permissions.get(resource, 0) & bit)


@dataclass
class Wings:
    """The daemon on a node, as the panel experiences it."""

    mode: str = "online"  # online | offline | error
    status: int = 500
    message: str = "an unexpected error was encountered while processing this request"
    latency_s: float = 0.0


@dataclass
class Location:
    id: int
    short: str
    long: str | None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class Node:
    id: int
    uuid: str
    name: str
    location_id: int
    fqdn: str
    memory: int
    disk: int
    public: bool = True
    description: str | None = None
    scheme: str = "https"
    behind_proxy: bool = False
    maintenance_mode: bool = False
    memory_overallocate: int = 0
    disk_overallocate: int = 0
    upload_size: int = 100
    daemon_listen: int = 8080
    daemon_sftp: int = 2022
    daemon_base: str = "/var/lib/pterodactyl/volumes"
    daemon_token_id: str = field(default_factory=lambda: random_string(16))
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    wings: Wings = field(default_factory=Wings)


@dataclass
class Allocation:
    id: int
    node_id: int
    ip: str
    port: int
    alias: str | None = None
    notes: str | None = None
    server_id: int | None = None


@dataclass
class Nest:
    id: int
    uuid: str
    author: str
    name: str
    description: str | None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class Egg:
    id: int
    uuid: str
    nest_id: int
    name: str
    author: str
    description: str | None
    docker_images: dict[str, str]
    startup: str
    config_files: object = field(default_factory=dict)
    config_startup: object = field(default_factory=dict)
    config_logs: object = field(default_factory=dict)
    config_stop: str = "stop"
    file_denylist: list[str] = field(default_factory=list)
    script_install: str = "#!/bin/ash\necho installing"
    script_entry: str = "ash"
    script_container: str = "ghcr.io/pterodactyl/installers:alpine"
    script_is_privileged: bool = True
    config_from: int | None = None
    copy_script_from: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class EggVariable:
    id: int
    egg_id: int
    name: str
    description: str
    env_variable: str
    default_value: str
    rules: str
    user_viewable: bool = True
    user_editable: bool = True
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class Server:
    """A game server; ``variables`` maps an egg variable id to its stored value."""

    id: int
    uuid: str
    external_id: str | None
    name: str
    description: str
    status: str | None
    owner_id: int
    node_id: int
    allocation_id: int
    nest_id: int
    egg_id: int
    memory: int
    swap: int
    disk: int
    io: int
    cpu: int
    threads: str | None
    oom_disabled: bool
    database_limit: int | None
    allocation_limit: int | None
    backup_limit: int | None
    startup: str
    image: str
    skip_scripts: bool = False
    start_on_completion: bool = False
    variables: dict[int, str] = field(default_factory=dict)
    transferring: bool = False
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def identifier(self) -> str:
        return self.uuid[:8]

    @property
    def installed(self) -> bool:
        return self.status not in (STATUS_INSTALLING, STATUS_INSTALL_FAILED)


@dataclass
class PendingInstall:
    """An install (or reinstall) Wings is running; ``due`` is a ``time.monotonic()`` deadline,
    ``None`` when the test completes it by hand."""

    due: float | None
    reinstall: bool = False


@dataclass
class PanelState:
    users: dict[int, User] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    nodes: dict[int, Node] = field(default_factory=dict)
    allocations: dict[int, Allocation] = field(default_factory=dict)
    nests: dict[int, Nest] = field(default_factory=dict)
    eggs: dict[int, Egg] = field(default_factory=dict)
    egg_variables: dict[int, EggVariable] = field(default_factory=dict)
    servers: dict[int, Server] = field(default_factory=dict)
    installs: dict[int, PendingInstall] = field(default_factory=dict)
    install_failures_planned: int = 0
    two_factor_required: int = 0
    rate_buckets: dict[str, tuple[float, int]] = field(default_factory=dict)
    _sequences: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self._sequences[table] = self._sequences.get(table, 0) + 1
        return self._sequences[table]

    # -- lookups -------------------------------------------------------------------------------

    def variables_of(self, egg_id: int) -> list[EggVariable]:
        return [variable for variable in self.egg_variables.values() if variable.egg_id == egg_id]

    def allocations_of(self, server_id: int) -> list[Allocation]:
        return [allocation for allocation in self.allocations.values() if allocation.server_id == server_id]

    def servers_of_user(self, user_id: int) -> list[Server]:
        return [server for server in self.servers.values() if server.owner_id == user_id]

    def servers_on_node(self, node_id: int) -> list[Server]:
        return [server for server in self.servers.values() if server.node_id == node_id]

    def server_by_external_id(self, external_id: str) -> Server | None:
        wanted = external_id.lower()
        for server in self.servers.values():
            if server.external_id is not None and server.external_id.lower() == wanted:
                return server
        return None

    def user_by_external_id(self, external_id: str) -> User | None:
        wanted = external_id.lower()
        for user in self.users.values():
            if user.external_id is not None and user.external_id.lower() == wanted:
                return user
        return None

    def user_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((user for user in self.users.values() if user.email.lower() == wanted), None)

    # -- writes ----------------------------------------------------------------------------------

    def add_user(
        self,
        *,
        username: str,
        email: str,
        first_name: str = "Test",
        last_name: str = "User",
        external_id: str | None = None,
        root_admin: bool = False,
        use_totp: bool = False,
    ) -> User:
        user = User(
            id=self.next_id("users"),
            uuid=str(uuid.uuid4()),
            username=username.lower(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            external_id=external_id,
            root_admin=root_admin,
            use_totp=use_totp,
        )
        self.users[user.id] = user
        return user

    def add_api_key(
        self,
        user_id: int,
        token: str | None = None,
        *,
        kind: str = "application",
        permissions: dict[str, int] | None = None,
        allowed_ips: list[str] | None = None,
        expires_at: datetime | None = None,
    ) -> ApiKey:
        token = token or (new_application_key() if kind == "application" else "ptlc_" + random_string(43))
        if len(token) <= 16:
            raise ValueError("an API key is a 16-character identifier followed by its secret")
        key = ApiKey(
            identifier=token[:16],
            secret=token[16:],
            user_id=user_id,
            kind=kind,
            allowed_ips=list(allowed_ips or []),
            expires_at=expires_at,
        )
        if permissions is not None:
            key.permissions = {resource: permissions.get(resource, 0) for resource in RESOURCES}
        self.api_keys[key.identifier] = key
        return key

    def add_location(self, short: str, long: str | None = None) -> Location:
        location = Location(self.next_id("locations"), short, long)
        self.locations[location.id] = location
        return location

    def add_node(self, name: str, location_id: int, *, memory: int, disk: int, **fields: object) -> Node:
        node_id = self.next_id("nodes")
        fqdn = str(fields.pop("fqdn", f"{name}.example.net"))
        node = Node(node_id, str(uuid.uuid4()), name, location_id, fqdn, memory, disk, **fields)  # type: ignore[arg-type]
        self.nodes[node.id] = node
        return node

    def add_allocations(self, node_id: int, ip: str, ports: list[int], alias: str | None = None) -> list[Allocation]:
        added = []
        existing = {(a.ip, a.port) for a in self.allocations.values() if a.node_id == node_id}
        for port in ports:
            if (ip, port) in existing:
                continue
            allocation = Allocation(self.next_id("allocations"), node_id, ip, port, alias)
            self.allocations[allocation.id] = allocation
            added.append(allocation)
        return added

    def forget_server(self, server_id: int) -> None:
        """Delete the row: allocations are freed, variables and the pending install go with it."""
        self.servers.pop(server_id, None)
        self.installs.pop(server_id, None)
        for allocation in self.allocations.values():
            if allocation.server_id == server_id:
                allocation.server_id = None
                allocation.notes = None

    def finish_install(self, server_id: int, ok: bool) -> None:
        """Wings' install callback: success -> ``null``, failure -> ``install_failed`` (or
        ``reinstall_failed``); a server suspended meanwhile stays suspended."""
        pending = self.installs.pop(server_id, None)
        server = self.servers.get(server_id)
        if server is None:
            return
        reinstall = pending.reinstall if pending else False
        if server.status == STATUS_SUSPENDED:
            status = STATUS_SUSPENDED
        elif ok:
            status = None
        else:
            status = STATUS_REINSTALL_FAILED if reinstall else STATUS_INSTALL_FAILED
        server.status = status
        server.updated_at = utcnow()

    def settle(self, now: float) -> None:
        """Finish every install whose time has come."""
        due = sorted(
            (pending.due, server_id)
            for server_id, pending in self.installs.items()
            if pending.due is not None and pending.due <= now
        )
        for _, server_id in due:
            ok = True
            if self.install_failures_planned > 0:
                self.install_failures_planned -= 1
                ok = False
            self.finish_install(server_id, ok)


PAPER_STARTUP = (
    "java -Xms128M -XX:MaxRAMPercentage=95.0 -Dterminal.jline=false -Dterminal.ansi=true -jar {{SERVER_JARFILE}}"
)
VANILLA_STARTUP = "java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}"
RUST_STARTUP = (
    './RustDedicated -batchmode +server.port {{SERVER_PORT}} +server.hostname "{{HOSTNAME}}" '
    '+server.worldsize "{{WORLD_SIZE}}" +server.maxplayers {{MAX_PLAYERS}} +rcon.password "{{RCON_PASS}}"'
)
JAVA_IMAGES = {
    "Java 21": "ghcr.io/pterodactyl/yolks:java_21",
    "Java 17": "ghcr.io/pterodactyl/yolks:java_17",
    "Java 11": "ghcr.io/pterodactyl/yolks:java_11",
    "Java 8": "ghcr.io/pterodactyl/yolks:java_8",
}
JAR_RULE = r"required|regex:/^([\w\d._-]+)(\.jar)$/"
MINECRAFT_CONFIG = {
    "server.properties": {
        "parser": "properties",
        "find": {
            "server-ip": "0.0.0.0",  # noqa: S104 - a value in the egg's config, not a bind
            "server-port": "{{server.build.default.port}}",
            "query.port": "{{server.build.default.port}}",
        },
    }
}


def seed_panel(state: PanelState, admin_token: str) -> None:
    """Two public locations with nodes and ports, a private node, and the stock eggs the
    billing module sells: Minecraft (Paper, Vanilla) and Rust (whose RCON password has an
    empty default but a required rule)."""
    admin = state.add_user(
        username="admin", email="admin@example.com", first_name="Panel", last_name="Admin", root_admin=True
    )
    state.add_api_key(admin.id, admin_token)
    fra = state.add_location("fra", "Frankfurt, Germany")
    ams = state.add_location("ams", "Amsterdam, Netherlands")
    node = state.add_node("fra-node-1", fra.id, memory=32768, disk=512000, fqdn="node1.fra.example.net")
    state.add_allocations(node.id, "203.0.113.10", list(range(25565, 25585)))
    state.add_allocations(node.id, "203.0.113.11", list(range(25565, 25570)))
    node = state.add_node("ams-node-1", ams.id, memory=16384, disk=256000, fqdn="node1.ams.example.net")
    state.add_allocations(node.id, "198.51.100.20", list(range(25565, 25575)))
    node = state.add_node(
        "fra-private", fra.id, memory=65536, disk=1024000, public=False, fqdn="private.fra.example.net"
    )
    state.add_allocations(node.id, "203.0.113.50", list(range(25565, 25570)))

    minecraft = Nest(state.next_id("nests"), str(uuid.uuid4()), "support@pterodactyl.io", "Minecraft", None)
    minecraft.description = "Minecraft - the classic game from Mojang. With support for Vanilla MC, Spigot, and more!"
    state.nests[minecraft.id] = minecraft
    paper = _add_egg(state, minecraft.id, "Paper", "High performance Spigot fork.", JAVA_IMAGES, PAPER_STARTUP)
    _add_variable(state, paper, "Minecraft Version", "MINECRAFT_VERSION", "latest", "nullable|string|max:20")
    _add_variable(state, paper, "Server Jar File", "SERVER_JARFILE", "server.jar", JAR_RULE)
    _add_variable(state, paper, "Download Path", "DL_PATH", "", "nullable|string", user_viewable=False)
    _add_variable(state, paper, "Build Number", "BUILD_NUMBER", "latest", "required|max:20")
    vanilla = _add_egg(
        state, minecraft.id, "Vanilla Minecraft", "Minecraft as Mojang ships it.", JAVA_IMAGES, VANILLA_STARTUP
    )
    _add_variable(state, vanilla, "Server Jar File", "SERVER_JARFILE", "server.jar", JAR_RULE)
    _add_variable(state, vanilla, "Server Version", "VANILLA_VERSION", "latest", "required|string|between:3,15")

    rust_nest = Nest(state.next_id("nests"), str(uuid.uuid4()), "support@pterodactyl.io", "Rust", "Rust servers.")
    state.nests[rust_nest.id] = rust_nest
    rust = _add_egg(
        state,
        rust_nest.id,
        "Rust",
        "The only aim in Rust is to survive.",
        {"Rust": "ghcr.io/pterodactyl/games:rust"},
        RUST_STARTUP,
    )
    _add_variable(state, rust, "Server Name", "HOSTNAME", "A Rust Server", "required|string|max:60")
    _add_variable(state, rust, "World Size", "WORLD_SIZE", "3000", "required|integer")
    _add_variable(state, rust, "Max Players", "MAX_PLAYERS", "40", "required|integer")
    _add_variable(state, rust, "RCON Password", "RCON_PASS", "", "required|string|max:64")


def _add_egg(state: PanelState, nest_id: int, name: str, description: str, images: dict[str, str], startup: str) -> Egg:
    egg = Egg(
        id=state.next_id("eggs"),
        uuid=str(uuid.uuid4()),
        nest_id=nest_id,
        name=name,
        author="support@pterodactyl.io",
        description=description,
        docker_images=dict(images),
        startup=startup,
        config_files=MINECRAFT_CONFIG if "SERVER_JARFILE" in startup else {},
        config_startup={"done": ")! For help, type "}
        if "SERVER_JARFILE" in startup
        else {"done": "Server startup complete"},
        config_logs={},
        config_stop="stop" if "SERVER_JARFILE" in startup else "quit",
    )
    state.eggs[egg.id] = egg
    return egg


def _add_variable(
    state: PanelState, egg: Egg, name: str, env: str, default: str, rules: str, *, user_viewable: bool = True
) -> EggVariable:
    variable = EggVariable(
        id=state.next_id("egg_variables"),
        egg_id=egg.id,
        name=name,
        description=f"The {name.lower()} to use.",
        env_variable=env,
        default_value=default,
        rules=rules,
        user_viewable=user_viewable,
        user_editable=user_viewable,
    )
    state.egg_variables[variable.id] = variable
    return variable
