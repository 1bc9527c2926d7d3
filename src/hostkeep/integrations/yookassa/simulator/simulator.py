"""The YooKassa simulator: Basic auth, JSON plumbing, ``Idempotence-Key``, notifications, controls.

Payments and refunds live in :mod:`.payments`, the buyer's confirmation page in
:mod:`.confirmation`. Notifications are unsigned (as at YooKassa): they come from a configurable
source address, and a forged one can be sent on purpose, so a receiver must authenticate by the
source IP allow-list and/or by re-fetching the object.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hostkeep.integrations.gatewaysim.identifiers import uuid4
from hostkeep.integrations.gatewaysim.keystore import RetainedKeys
from hostkeep.integrations.gatewaysim.server import MalformedBody, Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.gatewaysim.simulator import ONE_DAY, ONE_HOUR, GatewaySimulator
from hostkeep.integrations.yookassa.simulator import confirmation, payments
from hostkeep.integrations.yookassa.simulator.errors import YooKassaError

DEFAULT_SHOP_ID = "500500"
DEFAULT_SECRET_KEY = "test_hostkeepSimulatorSecretKey000000000000"  # noqa: S105 - a public test double's credential

#: "Resends with growing gaps for about 24 h."
RETRY_SCHEDULE = (60.0, 300.0, 900.0, 1800.0, ONE_HOUR, 2 * ONE_HOUR, 4 * ONE_HOUR, 8 * ONE_HOUR, 8 * ONE_HOUR)


@dataclass
class _IdempotenceEntry:
    fingerprint: str
    created: float
    response: SimulatorResponse | None = None
    available_at: float = 0.0
    retry_after_ms: int = 0


class YooKassaSimulator(GatewaySimulator):
    """A local YooKassa API v3 (test shop) for payments, captures, cancels, refunds, saved methods.

    Authenticate with Basic ``shop_id:secret_key``; every POST needs an ``Idempotence-Key``.
    Register the HTTP-notification URL with :meth:`add_notification_url`.
    """

    name = "YooKassa"
    default_retry_schedule = RETRY_SCHEDULE

    def __init__(
        self,
        *,
        shop_id: str = DEFAULT_SHOP_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        commission_rate: Decimal = Decimal("0.035"),
        autopayments_enabled: bool = True,
        receipts_required: bool = False,
        receipt_first: bool = False,
        capture_ttl: float = 7 * ONE_DAY,
        confirmation_ttl: float = ONE_HOUR,
        idempotence_retention: float = ONE_DAY,
        extra_currencies: tuple[str, ...] = (),
        **options: Any,
    ) -> None:
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.commission_rate = commission_rate
        self.autopayments_enabled = autopayments_enabled
        self.receipts_required = receipts_required
        self.receipt_first = receipt_first
        # YooKassa's own list, plus any a demo needs (the demo provider bills in rand).
        self.currencies = payments.CURRENCIES | set(extra_currencies)
        self.capture_ttl = capture_ttl
        self.confirmation_ttl = confirmation_ttl
        self.payments: dict[str, dict[str, Any]] = {}
        self.payment_extras: dict[str, dict[str, Any]] = {}
        self.saved_methods: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        #: Payments that can run out of time, with the moment they do (checked before every request).
        self.deadlines: dict[str, tuple[float, str]] = {}
        self.notification_urls: list[str] = []
        self.notifications: list[dict[str, Any]] = []
        self.scripted_saved_charges: list[tuple[str, str | None, str | None]] = []
        self.scripted_refunds: list[str] = []
        self._processing_budget: list[int] = []
        self._idempotence: RetainedKeys[tuple[str, str], _IdempotenceEntry] = RetainedKeys(idempotence_retention)
        self._sequence = 0
        super().__init__(**options)

    # -- description and inspection ------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "secret_key": self.secret_key, "api_base": f"{self.url}/v3"}

    def describe_webhooks(self) -> list[dict[str, Any]]:
        return [{"url": url, "source_ip": self.webhook_source_ip or "127.0.0.1"} for url in self.notification_urls]

    def is_delivery_success(self, status: int) -> bool:
        return status == 200

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.payments[payment_id])

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.refunds[refund_id])

    # -- notifications -------------------------------------------------------------------------

    def add_notification_url(self, url: str) -> None:
        """Where HTTP notifications go (the dashboard's Integration -> HTTP notifications)."""
        with self.lock:
            self.notification_urls.append(url)

    def notify(
        self, event: str, obj: dict[str, Any], *, source_ip: str | None = None, forwarded_for: str | None = None
    ) -> None:
        body_object = {"type": "notification", "event": event, "object": copy.deepcopy(obj)}
        body = json.dumps(body_object, ensure_ascii=False).encode("utf-8")
        self.notifications.append(body_object)
        for url in self.notification_urls:
            self.queue_webhook(
                event_id=f"{obj['id']}:{event}",
                event_type=event,
                url=url,
                body=body,
                headers={"User-Agent": "YooKassa/notifications"},
                source_ip=source_ip,
                forwarded_for=forwarded_for,
            )

    # -- controls ------------------------------------------------------------------------------

    def confirm_payment(
        self,
        payment_id: str,
        *,
        succeeded: bool = True,
        reason: str = "insufficient_funds",
        party: str | None = None,
    ) -> dict[str, Any]:
        """The buyer finishes on the confirmation page: paid (``waiting_for_capture`` or
        ``succeeded``), or ``canceled`` with ``cancellation_details {party, reason}``."""
        with self.lock:
            payments.confirm(self, payment_id, succeeded=succeeded, reason=reason, party=party)
            return copy.deepcopy(self.payments[payment_id])

    def expire_due(self) -> None:
        """Cancel what has run out of time now (``expired_on_capture``, ``expired_on_confirmation``)."""
        with self.lock:
            payments.expire_due(self)

    def script_processing(self, count: int = 1, retry_after_ms: int = 1800) -> None:
        """The next ``count`` new POSTs are executed but answered 202 (``retry_after``) until the
        client repeats them with the same key after ``retry_after_ms`` (simulator clock)."""
        with self.lock:
            self._processing_budget.extend([retry_after_ms] * count)

    def script_saved_charge(
        self, status: str = "canceled", reason: str | None = "insufficient_funds", party: str | None = "payment_network"
    ) -> None:
        """The next charge of a saved method (``payment_method_id``) ends with this status."""
        with self.lock:
            self.scripted_saved_charges.append((status, reason, party))

    def revoke_payment_method(self, payment_method_id: str) -> None:
        """The buyer switched autopayments off: later charges cancel with ``permission_revoked``."""
        with self.lock:
            self.saved_methods[payment_method_id]["revoked"] = True

    def register_receipt(self, payment_id: str) -> dict[str, Any]:
        """ "Receipt first": the receipt is registered, so the pending saved-method charge proceeds."""
        with self.lock:
            payments.receipt_registered(self, payment_id)
            return copy.deepcopy(self.payments[payment_id])

    def script_refunds(self, *statuses: str) -> None:
        """The next refunds start in these statuses (``pending``, ``canceled``) instead of ``succeeded``."""
        with self.lock:
            self.scripted_refunds.extend(statuses)

    def settle_refund(self, refund_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        with self.lock:
            payments.settle_refund(self, refund_id, succeeded=succeeded)
            return copy.deepcopy(self.refunds[refund_id])

    def send_forged_notification(
        self,
        payment_id: str,
        event: str = "payment.succeeded",
        *,
        source_ip: str | None = None,
        forwarded_for: str | None = None,
    ) -> None:
        """Queue a notification that lies: it claims ``event`` while ``GET`` still says otherwise.
        Send it from an address outside the allow-list (``source_ip``/``forwarded_for``) or not."""
        with self.lock:
            claimed = copy.deepcopy(self.payments[payment_id])
        status = event.split(".", 1)[1]
        claimed.update({"status": status, "paid": status in ("succeeded", "waiting_for_capture")})
        body = json.dumps({"type": "notification", "event": event, "object": claimed}, ensure_ascii=False)
        for url in self.notification_urls:
            self.queue_webhook(
                event_id=f"{payment_id}:{event}:forged",
                event_type=event,
                url=url,
                body=body.encode("utf-8"),
                source_ip=source_ip,
                forwarded_for=forwarded_for,
            )

    # -- routing and plumbing ------------------------------------------------------------------

    def register_routes(self, router: Router) -> None:
        for method, pattern, endpoint in payments.ROUTES:
            router.add(method, pattern, self._api(endpoint))
        confirmation.register(self, router)

    def before_request(self, request: SimulatorRequest) -> None:
        with self.lock:
            payments.expire_due(self)

    def error_response(self, status: int, request: SimulatorRequest) -> SimulatorResponse:
        if status == 429:
            return YooKassaError(429, "Too many requests. Repeat the request later.", retry_after=1800).response()
        return YooKassaError(
            500,
            "Internal server error. The result of the operation is unknown: repeat the "
            "request with the same Idempotence-Key or request the object.",
        ).response()

    def not_found_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return YooKassaError(404, f"Unknown resource {request.path}").response()

    def method_not_allowed_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return YooKassaError(405, f"Method {request.method} is not allowed for {request.path}").response()

    def handle_exception(self, request: SimulatorRequest, error: Exception) -> SimulatorResponse | None:
        if isinstance(error, YooKassaError):
            return error.response()
        if isinstance(error, MalformedBody):
            return YooKassaError(400, "Request body is not valid JSON").response()
        return None

    def _authenticate(self, request: SimulatorRequest) -> None:
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        try:
            shop_id, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            shop_id, secret = "", ""
        if scheme.lower() != "basic" or shop_id != self.shop_id or secret != self.secret_key:
            raise YooKassaError(
                401, "Login (shopId) or password (secret key) is invalid. Check the credentials of your shop."
            )

    def _api(self, endpoint: Callable[..., Any]) -> Callable[[SimulatorRequest], SimulatorResponse]:
        def handle(request: SimulatorRequest) -> SimulatorResponse:
            self._authenticate(request)
            if request.method == "GET":
                with self.lock:
                    return SimulatorResponse.json(200, endpoint(self, None, request, **request.params))
            if request.content_type != "application/json":
                raise YooKassaError(415, "Content-Type must be application/json")
            body = request.json()
            return self._idempotent(endpoint, request, body)

        return handle

    def _idempotent(self, endpoint: Callable[..., Any], request: SimulatorRequest, body: Any) -> SimulatorResponse:
        key = request.header("Idempotence-Key")
        if not key:
            raise YooKassaError(400, "Idempotence-Key header is missing", parameter="Idempotence-Key")
        if len(key) > 64:
            raise YooKassaError(400, "Idempotence-Key must be at most 64 characters", parameter="Idempotence-Key")
        fingerprint = request.path + "\n" + json.dumps(body, sort_keys=True)
        scope = (self.shop_id, key)
        with self.lock:
            now = self.clock.now()
            self._idempotence.prune(now)
            entry = self._idempotence.get(scope)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise YooKassaError(
                        400,
                        "Idempotence key duplicated: the same key was used with a different request",
                        parameter="Idempotence-Key",
                    )
                if entry.response is None:
                    return _processing(entry.retry_after_ms or 1000, (entry.retry_after_ms or 1000) / 1000)
                if now < entry.available_at:
                    return _processing(entry.retry_after_ms, entry.available_at - now)
                stored = entry.response
                return SimulatorResponse(stored.status, stored.body, dict(stored.headers))
            delay = self._processing_budget.pop(0) if self._processing_budget else 0
            entry = _IdempotenceEntry(fingerprint=fingerprint, created=now, retry_after_ms=delay)
            self._idempotence.put(scope, entry, now)
        try:
            with self.lock:
                response = SimulatorResponse.json(200, endpoint(self, body, request, **request.params))
        except YooKassaError:
            with self.lock:
                self._idempotence.pop(scope)
            raise
        request.linger()
        with self.lock:
            entry.response = response
            entry.available_at = self.clock.now() + delay / 1000
        if delay:
            return _processing(delay, delay / 1000)
        return response


def _processing(retry_after_ms: int, remaining_seconds: float) -> SimulatorResponse:
    wait = max(1, min(retry_after_ms, int(remaining_seconds * 1000) + 1))
    return SimulatorResponse.json(
        202,
        {
            "type": "processing",
            "id": uuid4(),
            "description": "Request accepted but not processed yet. Repeat it with the same Idempotence-Key after "
            "retry_after milliseconds.",
            "retry_after": wait,
        },
    )
