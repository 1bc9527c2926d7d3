"""The provisioning module interface: what every panel integration (Pterodactyl, Proxmox,
manual, ...) implements, and the typed values that cross it.

A module never touches the database. It gets plain values (``Connection``, ``ServiceSpec``,
``ServerRecord``), talks to its panel through its own ``client.py`` with a timeout, and
returns typed results (``RemoteServer``). Every HTTP call it makes is reported to
``CallLog`` so the orchestration can store the call and its answer against the service.
Remote failures are ``RetryableError`` (network, 5xx, 429: try again later) or
``TerminalError`` (4xx, bad data: a retry cannot fix it), both from ``core.errors``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from hostkeep.core.errors import HostkeepError


class Capability(StrEnum):
    """Optional operations a module may declare."""

    SINGLE_SIGN_ON = "single_sign_on"
    USAGE = "usage"
    TEST_CONNECTION = "test_connection"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a capability name, not a password
    LIST_SERVERS = "list_servers"


class RemoteState(StrEnum):
    """Where the object is on the remote side, in one vocabulary for every panel."""

    INSTALLING = "installing"
    READY = "ready"
    SUSPENDED = "suspended"
    INSTALL_FAILED = "install_failed"
    AWAITING_STAFF = "awaiting_staff"
    MISSING = "missing"


@dataclass(frozen=True)
class Connection:
    """A panel connection (a ``ModuleConnection`` row) as the module sees it: secrets decrypted."""

    id: int
    name: str
    module: str
    settings: dict[str, Any]
    secrets: dict[str, Any]
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class ServiceSpec:
    """Everything a module needs to know about the service it acts on."""

    service_id: int
    external_id: str
    customer_id: int
    customer_external_id: str
    customer_email: str
    customer_first_name: str
    customer_last_name: str
    label: str
    product_settings: dict[str, Any]
    limits: dict[str, Any]


@dataclass(frozen=True)
class ServerRecord:
    """What we already know of the remote object (empty on a first create). ``details`` is the
    module's own memo (a node name, a vmid reserved before cloning)."""

    remote_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteServer:
    """The remote object as the panel reports it."""

    remote_id: str
    state: RemoteState
    address: str = ""
    resources: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    panel_url: str = ""


@dataclass(frozen=True)
class UsageReading:
    """One figure for pay-as-you-go billing; ``source_id`` makes it idempotent."""

    resource: str
    quantity: str
    source_id: str


@dataclass(frozen=True)
class CallRecord:
    """One call to a panel and its answer (secrets never included)."""

    method: str
    path: str
    status: int | None
    duration_ms: int
    request: Any = None
    response: str = ""
    error: str = ""


class CallLog:
    """Collects a module's calls during one operation, in order."""

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def record(self, call: CallRecord) -> None:
        self.calls.append(call)


class NotSupported(HostkeepError):
    """The module does not offer this optional capability."""

    status = 400
    code = "not_supported"


Checkpoint = Callable[[dict[str, Any]], None]


class ProvisioningModule(abc.ABC):
    """One kind of panel. Every operation must be idempotent: called again after a timeout or a
    crash it finds what an earlier call did (by our external id, or by ``ServerRecord``) instead
    of doing it twice.

    ``checkpoint(details)`` saves the module's memo at once, in its own transaction, before a
    call whose outcome must survive a crash (e.g. Proxmox's vmid before cloning).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    product_settings_schema: ClassVar[dict[str, Any]]
    connection_settings_schema: ClassVar[dict[str, Any]]
    sensitive_fields: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, connection: Connection, log: CallLog, checkpoint: Checkpoint | None = None) -> None:
        self.connection = connection
        self.log = log
        self.checkpoint: Checkpoint = checkpoint or (lambda details: None)

    @abc.abstractmethod
    def create(self, spec: ServiceSpec, record: ServerRecord, *, retry: bool) -> RemoteServer:
        """Create the remote object (or find the one an earlier attempt made). ``retry`` is True
        when an earlier attempt may have reached the panel: look up by external id first.
        May return ``INSTALLING``: the orchestration then polls ``status``."""

    @abc.abstractmethod
    def status(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        """The object's state now; ``MISSING`` if the panel has no such object."""

    @abc.abstractmethod
    def suspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        """Stop the customer using the object, keeping its data."""

    @abc.abstractmethod
    def unsuspend(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        """Undo a suspension."""

    @abc.abstractmethod
    def terminate(self, spec: ServiceSpec, record: ServerRecord, *, force: bool = False) -> None:
        """Delete the object; already gone counts as done. ``force`` after a failed attempt."""

    @abc.abstractmethod
    def change_package(self, spec: ServiceSpec, record: ServerRecord) -> RemoteServer:
        """Apply ``spec.limits`` (an upgrade or a downgrade) to the existing object."""

    # -- optional capabilities -----------------------------------------------------------------

    def single_sign_on(self, spec: ServiceSpec, record: ServerRecord) -> str:
        """A URL that takes the customer to this object in the panel."""
        raise NotSupported(f"{self.name} has no single sign-on")

    def password_reset(self, spec: ServiceSpec, record: ServerRecord) -> str:
        """Set a new panel password for the customer; returns it (shown once)."""
        raise NotSupported(f"{self.name} cannot reset passwords")

    def usage(self, spec: ServiceSpec, record: ServerRecord) -> list[UsageReading]:
        """Resource figures for pay-as-you-go plans."""
        raise NotSupported(f"{self.name} reports no usage")

    def test_connection(self) -> str:
        """Check the credentials and reachability; returns a short description of the panel."""
        raise NotSupported(f"{self.name} cannot test its connection")

    def list_servers(self) -> list[RemoteServer]:
        """Every object on the panel that carries one of our external ids (for reconciliation);
        ``details['external_id']`` names the service."""
        raise NotSupported(f"{self.name} cannot list its servers")
