"""The one interface every payment gateway implements, and the registry they join.

A gateway is a package under ``hostkeep.integrations`` with a ``gateway.py`` whose class
subclasses ``Gateway`` and registers itself with ``@gateways.register``; the module is named in
``settings.PAYMENT_GATEWAY_MODULES`` so the registry is filled at start-up. Nothing outside the
registry chooses a gateway by name.

Gateways never touch the database: they turn our requests into the gateway's protocol (through
their ``client.py``, with timeouts) and the gateway's answers and notifications into the typed
results below. ``payments.actions`` applies those results, once, inside transactions.
"""

from __future__ import annotations

import ipaddress
from abc import ABC
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import Promise

from hostkeep.core.errors import HostkeepError
from hostkeep.core.money import Money
from hostkeep.core.registry import Registry


class Capability:
    """Optional operations a gateway declares; the portal and staff pages ask for them."""

    CHECKOUT = "checkout"  # a hosted page or a redirect the buyer pays on
    REFUND = "refund"
    SAVED_METHODS = "saved_methods"  # saves a token and charges it later (auto-pay)
    QUERY = "query"  # can be asked about a payment (reconciliation)
    OFFLINE = "offline"  # money arrives outside (bank transfer, staff entry)


class WebhookRejected(HostkeepError):
    """A notification failed verification (signature, age, source, or the gateway's own
    validation). Nothing it says is applied."""

    status = 400
    code = "webhook_rejected"


class GatewayDeclined(HostkeepError):
    """The gateway refused an operation for good (card declined, refund too large...)."""

    status = 402
    code = "declined"


@dataclass(frozen=True)
class GatewayContext:
    """One enabled gateway account as a gateway sees it: decrypted credentials and settings."""

    account_id: int
    credentials: Mapping[str, Any]
    settings: Mapping[str, Any]
    site_url: str

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def secret(self, key: str, default: str = "") -> str:
        return str(self.credentials.get(key, default) or default)

    def notify_url(self) -> str:
        return f"{self.site_url.rstrip('/')}/payments/gateways/{self.account_id}/notify/"


@dataclass(frozen=True)
class PaymentRequest:
    """What Hostkeep asks to be paid: ``payment_id`` is ours and goes to the gateway as its
    metadata/order reference, so every notification leads back to the row."""

    payment_id: int
    amount: Money
    description: str
    customer_id: int
    customer_email: str
    return_url: str
    cancel_url: str
    save_method: bool = False
    gateway_customer_id: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class Redirect:
    """Where the buyer goes to pay: a plain URL, or a form to post there (PayFast)."""

    url: str
    gateway_payment_id: str = ""
    form_fields: Sequence[tuple[str, str]] = ()
    gateway_customer_id: str = ""
    instructions: str = ""


@dataclass(frozen=True)
class SavedMethodData:
    """A payment method the gateway keeps for us: only its token and a label, never card data."""

    token: str
    label: str
    gateway_customer_id: str = ""


class Outcome:
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    IGNORED = "ignored"


@dataclass(frozen=True)
class PaymentState:
    """What the gateway says about one payment (a notification, a status query, a charge)."""

    outcome: str
    payment_id: int | None = None  # ours, when the gateway echoes it back
    gateway_payment_id: str = ""
    transaction_id: str = ""  # the gateway's id of the money movement (charge, capture...)
    amount: Money | None = None
    reason: str = ""
    saved_method: SavedMethodData | None = None
    refund_id: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    """One verified notification. ``event_id`` is the gateway's, unique per account."""

    event_id: str
    event_type: str
    state: PaymentState


@dataclass(frozen=True)
class IncomingRequest:
    """A notification as it reached us, before anything trusts it."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    source_ip: str
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    outcome: str  # Outcome.REFUNDED | PENDING | REFUND_FAILED
    reason: str = ""


class Gateway(ABC):
    """A payment gateway. Subclasses set the class attributes and implement what their
    ``capabilities`` promise; the defaults refuse so an undeclared operation fails loudly.

    Every method that talks to the gateway raises ``RetryableError`` (network, 5xx, 429,
    timeouts), ``GatewayDeclined`` (a refusal) or ``TerminalError`` (anything else a retry
    cannot fix); they must never be called inside a database transaction.
    """

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    config_fields: ClassVar[tuple[str, ...]] = ()  # non-secret settings, e.g. the API base URL
    sensitive_fields: ClassVar[tuple[str, ...]] = ()  # stored encrypted
    currencies: ClassVar[tuple[str, ...]] = ()  # empty: any
    # Whether repeating a saved-method charge with the same key is harmless at the gateway.
    # Without it (PayFast), a charge whose answer was lost is never repeated: its ITN settles it.
    idempotent_charges: ClassVar[bool] = True

    def __init__(self, context: GatewayContext) -> None:
        self.context = context

    def start_payment(self, request: PaymentRequest) -> Redirect:
        """Create the payment at the gateway and say where the buyer pays it."""
        raise NotImplementedError

    def parse_notification(self, request: IncomingRequest) -> list[GatewayEvent]:
        """Verify a notification (signature, age, source...) and read the events it carries;
        raise ``WebhookRejected`` when it cannot be trusted."""
        raise NotImplementedError

    def query_payment(self, *, gateway_payment_id: str, payment_id: int) -> PaymentState:
        """Ask the gateway where a payment stands (reconciliation, the buyer's return)."""
        raise NotImplementedError

    def complete_payment(self, *, gateway_payment_id: str, payment_id: int, idempotency_key: str) -> PaymentState:
        """Finish a payment the buyer approved (PayPal captures here); by default a query."""
        return self.query_payment(gateway_payment_id=gateway_payment_id, payment_id=payment_id)

    def refund(
        self,
        *,
        transaction_id: str,
        gateway_payment_id: str,
        amount: Money,
        idempotency_key: str,
        reason: str,
        customer_email: str = "",
    ) -> RefundResult:
        raise NotImplementedError

    def charge_saved_method(
        self,
        *,
        method: SavedMethodData,
        amount: Money,
        payment_id: int,
        description: str,
        idempotency_key: str,
        customer_email: str = "",
    ) -> PaymentState:
        """Charge a saved token without the buyer (auto-pay). The key makes a repeat harmless."""
        raise NotImplementedError

    def notification_answer(self) -> tuple[int, str]:
        """HTTP status and body the gateway expects for a received notification."""
        return 200, "OK"


gateways: Registry[Gateway] = Registry("payment gateway")


def source_allowed(source_ip: str, networks: Sequence[str]) -> bool:
    """Whether a notification's source address is in the gateway's published networks."""
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def notification_source(request: IncomingRequest, *, trust_forwarded_for: bool) -> str:
    """The sender's address: the first ``X-Forwarded-For`` hop only behind a trusted proxy."""
    if trust_forwarded_for and request.header("x-forwarded-for"):
        return request.header("x-forwarded-for").split(",")[0].strip()
    return request.source_ip
