"""The PayPal simulator: OAuth tokens, JSON and error plumbing, ``PayPal-Request-Id``, webhooks.

Endpoints live in :mod:`.orders` (Orders v2, captures, refunds, vault, the approval page) and
:mod:`.notifications` (webhook subscriptions, the verify API, certificates, event resend).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hostkeep.integrations.gatewaysim.clock import iso8601
from hostkeep.integrations.gatewaysim.identifiers import random_token, upper_id, uuid4
from hostkeep.integrations.gatewaysim.keystore import RetainedKeys
from hostkeep.integrations.gatewaysim.server import MalformedBody, Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.gatewaysim.simulator import ONE_DAY, ONE_HOUR, GatewaySimulator
from hostkeep.integrations.gatewaysim.webhooks import OutgoingMessage
from hostkeep.integrations.paypal.simulator import notifications, orders
from hostkeep.integrations.paypal.simulator.errors import PayPalError
from hostkeep.integrations.paypal.simulator.signing import message_to_sign, sign, signing_material

DEFAULT_CLIENT_ID = "hostkeep-simulator-client-id"
DEFAULT_CLIENT_SECRET = "hostkeep-simulator-client-secret"  # noqa: S105 - a public test double's credential

#: "Up to 25 times over 3 days": short gaps first, then about every four hours.
RETRY_SCHEDULE = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, ONE_HOUR) + (14000.0,) * 18

Result = tuple[int, Any, tuple[str, str] | None]
Endpoint = Callable[..., Result]


@dataclass
class ApiCall:
    """One authenticated request: its JSON body, ``Prefer`` and ``PayPal-Request-Id``."""

    request: SimulatorRequest
    body: Any
    request_id: str | None

    @property
    def representation(self) -> bool:
        return "return=representation" in (self.request.header("Prefer") or "")


@dataclass
class _RequestIdEntry:
    created: float
    in_progress: bool = True
    reference: tuple[str, str] | None = None
    representation: bool = False


@dataclass
class Webhook:
    id: str
    url: str
    event_types: list[str] = field(default_factory=lambda: ["*"])

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types

    def as_object(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "event_types": [{"name": name, "description": ""} for name in self.event_types],
            "links": [{"href": f"{base_url}/v1/notifications/webhooks/{self.id}", "rel": "self", "method": "GET"}],
        }


class PayPalSimulator(GatewaySimulator):
    """A local PayPal REST API (sandbox): OAuth2, Orders v2, Payments v2 refunds, Webhooks v1.

    Get a token with Basic ``client_id:client_secret`` at ``POST /v1/oauth2/token``; register a
    receiver with :meth:`add_webhook` (its id is the ``webhook_id`` for verification).
    """

    name = "PayPal"
    default_retry_schedule = RETRY_SCHEDULE

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl: float = 32400.0,
        merchant_id: str = "HKSIMMERCHANT1",
        merchant_email: str = "merchant@hostkeep.example",
        fee_rate: Decimal = Decimal("0.0349"),
        fee_fixed: Decimal = Decimal("0.49"),
        orders_request_id_retention: float = 6 * ONE_HOUR,
        payments_request_id_retention: float = 45 * ONE_DAY,
        unique_invoice_id: bool = True,
        **options: Any,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.merchant_id = merchant_id
        self.merchant_email = merchant_email
        self.fee_rate = fee_rate
        self.fee_fixed = fee_fixed
        self.unique_invoice_id = unique_invoice_id
        self.tokens: dict[str, float] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_extras: dict[str, dict[str, Any]] = {}
        self.captures: dict[str, dict[str, Any]] = {}
        self.capture_extras: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.vault_tokens: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.raw_events: dict[str, bytes] = {}
        self.webhook_subscriptions: dict[str, Webhook] = {}
        self.scripted_captures: list[tuple[str, str | None]] = []
        self.scripted_refunds: list[str] = []
        self._order_request_ids: RetainedKeys[tuple[str, str], _RequestIdEntry] = RetainedKeys(
            orders_request_id_retention
        )
        self._payment_request_ids: RetainedKeys[tuple[str, str], _RequestIdEntry] = RetainedKeys(
            payments_request_id_retention
        )
        self.cert_id = f"CERT-360caa42-fca2a594-{random_token(8, '0123456789abcdef')}"
        self.signing_key, self.certificate_pem = signing_material()
        super().__init__(**options)

    # -- description and inspection ------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, "cert_url": self.cert_url}

    def describe_webhooks(self) -> list[dict[str, Any]]:
        return [
            {"id": hook.id, "url": hook.url, "event_types": hook.event_types}
            for hook in self.webhook_subscriptions.values()
        ]

    @property
    def cert_url(self) -> str:
        return f"{self.url}/v1/notifications/certs/{self.cert_id}"

    @property
    def token_requests(self) -> int:
        """How many times ``POST /v1/oauth2/token`` was called (a client should cache tokens)."""
        return self.request_count("/v1/oauth2/token", "POST")

    def get_order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(orders.order_representation(self, self.orders[order_id]))

    def get_capture(self, capture_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.captures[capture_id])

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.refunds[refund_id])

    def event_log(self, event_type: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(
                [e for e in self.events.values() if event_type is None or e["event_type"] == event_type]
            )

    # -- controls ------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every issued access token is now expired: the next API call answers 401."""
        with self.lock:
            now = self.clock.now()
            self.tokens = dict.fromkeys(self.tokens, now - 1)

    def add_webhook(self, url: str, event_types: tuple[str, ...] | list[str] = ("*",)) -> str:
        """Subscribe ``url``; returns the webhook id (the ``webhook_id`` used in signatures)."""
        with self.lock:
            hook = Webhook(id=upper_id(17), url=url, event_types=list(event_types))
            self.webhook_subscriptions[hook.id] = hook
            return hook.id

    def approve_order(
        self, order_id: str, *, capture_outcome: str = "COMPLETED", pending_reason: str = "PENDING_REVIEW"
    ) -> dict[str, Any]:
        """The buyer approves on the hosted page; ``capture_outcome`` scripts what capture does:
        ``COMPLETED``, ``PENDING`` (with ``pending_reason``), ``DECLINED`` (all behind 201), or the
        422 issues ``INSTRUMENT_DECLINED``, ``PAYER_ACTION_REQUIRED``, ``MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED``."""
        with self.lock:
            orders.approve(self, order_id, capture_outcome=capture_outcome, pending_reason=pending_reason)
            return self.get_order(order_id)

    def script_next_capture(self, outcome: str, pending_reason: str | None = "PENDING_REVIEW") -> None:
        """The next capture that has no outcome chosen at approval (vault charges) ends so."""
        with self.lock:
            self.scripted_captures.append((outcome, pending_reason))

    def settle_capture(self, capture_id: str, *, completed: bool = True) -> dict[str, Any]:
        """A ``PENDING`` capture completes (``PAYMENT.CAPTURE.COMPLETED``) or is denied
        (``DECLINED``, ``PAYMENT.CAPTURE.DENIED``)."""
        with self.lock:
            orders.settle_capture(self, capture_id, completed=completed)
            return copy.deepcopy(self.captures[capture_id])

    def reverse_capture(self, capture_id: str) -> dict[str, Any]:
        """A chargeback or reversal: ``PAYMENT.CAPTURE.REVERSED`` with the capture."""
        with self.lock:
            orders.reverse_capture(self, capture_id)
            return copy.deepcopy(self.captures[capture_id])

    def script_refunds(self, *statuses: str) -> None:
        """The next refunds start in these statuses (``PENDING``, ``FAILED``) instead of ``COMPLETED``."""
        with self.lock:
            self.scripted_refunds.extend(statuses)

    # -- events --------------------------------------------------------------------------------

    def emit(self, event_type: str, resource_type: str, resource: dict[str, Any], summary: str) -> dict[str, Any]:
        event_id = f"WH-{upper_id(17)}-{upper_id(17)}"
        event = {
            "id": event_id,
            "event_version": "1.0",
            "create_time": iso8601(self.clock.now()),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": summary,
            "resource": copy.deepcopy(resource),
            "links": [
                {"href": f"{self.url}/v1/notifications/webhooks-events/{event_id}", "rel": "self", "method": "GET"},
                {
                    "href": f"{self.url}/v1/notifications/webhooks-events/{event_id}/resend",
                    "rel": "resend",
                    "method": "POST",
                },
            ],
        }
        body = json.dumps(event, separators=(",", ":")).encode("utf-8")
        self.events[event_id] = event
        self.raw_events[event_id] = body
        for hook in self.webhook_subscriptions.values():
            if hook.wants(event_type):
                self.queue_webhook(
                    event_id=event_id, event_type=event_type, url=hook.url, body=body, sign=self._signer(hook.id)
                )
        return event

    def _signer(self, webhook_id: str) -> Callable[[OutgoingMessage], dict[str, str]]:
        def signed_headers(message: OutgoingMessage) -> dict[str, str]:
            transmission_id = uuid4()
            transmission_time = iso8601(self.clock.now(), milliseconds=False)
            signature = sign(
                self.signing_key, message_to_sign(transmission_id, transmission_time, webhook_id, message.body)
            )
            return {
                "PAYPAL-TRANSMISSION-ID": transmission_id,
                "PAYPAL-TRANSMISSION-TIME": transmission_time,
                "PAYPAL-TRANSMISSION-SIG": signature,
                "PAYPAL-CERT-URL": self.cert_url,
                "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                "User-Agent": "PayPal/AUHD-214.0-58235185",
            }

        return signed_headers

    # -- routing and plumbing ------------------------------------------------------------------

    def register_routes(self, router: Router) -> None:
        router.add("POST", "/v1/oauth2/token", self._issue_token)
        for method, pattern, endpoint, idempotent in orders.ROUTES + notifications.ROUTES:
            router.add(method, pattern, self._api(endpoint, idempotent=idempotent))
        router.add("GET", "/v1/notifications/certs/{cert_id}", self._certificate)
        orders.register_pages(self, router)

    def error_response(self, status: int, request: SimulatorRequest) -> SimulatorResponse:
        return self._render_error(PayPalError(status))

    def not_found_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return self._render_error(PayPalError(404, "INVALID_RESOURCE_ID"))

    def method_not_allowed_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return self._render_error(PayPalError(405))

    def handle_exception(self, request: SimulatorRequest, error: Exception) -> SimulatorResponse | None:
        if isinstance(error, PayPalError):
            return self._render_error(error)
        if isinstance(error, MalformedBody):
            return self._render_error(PayPalError(400, "MALFORMED_REQUEST_JSON"))
        return None

    @staticmethod
    def _render_error(error: PayPalError) -> SimulatorResponse:
        payload, debug_id = error.body()
        return SimulatorResponse.json(error.status, payload, {"Paypal-Debug-Id": debug_id})

    def _issue_token(self, request: SimulatorRequest) -> SimulatorResponse:
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
        if scheme.lower() != "basic" or client_id != self.client_id or secret != self.client_secret:
            return SimulatorResponse.json(
                401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
            )
        grant = dict(request.form_pairs()).get("grant_type")
        if grant != "client_credentials":
            return SimulatorResponse.json(
                400, {"error": "unsupported_grant_type", "error_description": f"Grant Type is {grant or 'NULL'}"}
            )
        token = "A21AA" + random_token(90)
        with self.lock:
            self.tokens[token] = self.clock.now() + self.token_ttl
        return SimulatorResponse.json(
            200,
            {
                "scope": "https://uri.paypal.com/services/payments/payment/authcode "
                "https://uri.paypal.com/services/payments/refund https://uri.paypal.com/services/vault/payment-tokens"
                "/readwrite https://uri.paypal.com/services/applications/webhooks",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": int(self.token_ttl),
                "nonce": f"{iso8601(self.clock.now(), milliseconds=False)}{random_token(43)}",
            },
        )

    def _certificate(self, request: SimulatorRequest) -> SimulatorResponse:
        if request.params["cert_id"] != self.cert_id:
            return self.not_found_response(request)
        return SimulatorResponse(200, self.certificate_pem, {"Content-Type": "application/x-pem-file"})

    def _authenticate(self, request: SimulatorRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise PayPalError(401)
        with self.lock:
            expires = self.tokens.get(token.strip())
            if expires is None or expires <= self.clock.now():
                raise _InvalidToken

    def _api(self, endpoint: Endpoint, *, idempotent: bool) -> Callable[[SimulatorRequest], SimulatorResponse]:
        def handle(request: SimulatorRequest) -> SimulatorResponse:
            try:
                self._authenticate(request)
            except _InvalidToken:
                return SimulatorResponse.json(
                    401, {"error": "invalid_token", "error_description": "Access Token not found in cache"}
                )
            if request.method in ("POST", "PATCH") and request.content_type != "application/json":
                raise PayPalError(415)
            call = ApiCall(request=request, body=request.json(), request_id=request.header("PayPal-Request-Id"))
            if idempotent and call.request_id:
                return self._idempotent(endpoint, call)
            with self.lock:
                status, payload, _ = endpoint(self, call, **request.params)
            return _render(status, payload)

        return handle

    def _idempotent(self, endpoint: Endpoint, call: ApiCall) -> SimulatorResponse:
        request = call.request
        key = (request.path, call.request_id or "")
        store = self._order_request_ids if "/checkout/" in request.path else self._payment_request_ids
        with self.lock:
            now = self.clock.now()
            store.prune(now)
            entry = store.get(key)
            if entry is not None:
                if entry.in_progress or entry.reference is None:
                    raise PayPalError(422, "PREVIOUS_REQUEST_IN_PROGRESS")
                return SimulatorResponse.json(200, self._latest(entry.reference, entry.representation))
            entry = _RequestIdEntry(created=now, representation=call.representation)
            store.put(key, entry, now)
        try:
            with self.lock:
                status, payload, reference = endpoint(self, call, **request.params)
        except PayPalError:
            with self.lock:
                store.pop(key)
            raise
        request.linger()
        with self.lock:
            entry.in_progress = False
            entry.reference = reference
            if reference is None:
                store.pop(key)
        return _render(status, payload)

    def _latest(self, reference: tuple[str, str], representation: bool) -> Any:
        kind, object_id = reference
        if kind == "refund":
            return orders.refund_representation(self.refunds[object_id], representation)
        return orders.order_response(self, self.orders[object_id], representation or kind == "capture")


def _render(status: int, payload: Any) -> SimulatorResponse:
    return SimulatorResponse(status) if payload is None else SimulatorResponse.json(status, payload)


class _InvalidToken(Exception):
    pass
