"""The common body of every gateway simulator: lifecycle, dispatch, faults, webhooks, controls.

A gateway simulator subclasses :class:`GatewaySimulator`, registers its routes, turns its own
exceptions into its own error JSON, and queues notifications through :meth:`queue_webhook`.
Everything a test needs to misbehave on cue lives here once:

- ``start()`` / ``stop()`` / ``with Simulator() as sim:``, ``sim.url``;
- ``fail_next(...)`` for timeouts, 500s, slow answers, resets and 429s;
- webhook delivery controls (send now, hold and release in another order, duplicate, retry,
  redeliver) and the record of every delivery attempt;
- a settable :class:`SimulatorClock`;
- a small JSON control surface under ``/_sim`` for driving a simulator in another process.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from hostkeep.integrations.gatewaysim.clock import SimulatorClock
from hostkeep.integrations.gatewaysim.faults import Fault, FaultMode, FaultPlan
from hostkeep.integrations.gatewaysim.identifiers import uuid4
from hostkeep.integrations.gatewaysim.server import (
    DROP,
    MalformedBody,
    Router,
    SimulatorHTTPServer,
    SimulatorRequest,
    SimulatorResponse,
)
from hostkeep.integrations.gatewaysim.webhooks import (
    DeliveryAttempt,
    HeadersFactory,
    Order,
    OutgoingMessage,
    WebhookDispatcher,
)

ONE_HOUR = 3600.0
ONE_DAY = 24 * ONE_HOUR


@dataclass(frozen=True)
class LoggedRequest:
    at: float
    method: str
    path: str
    status: int | None
    client_ip: str


class GatewaySimulator:
    """Base class; see the module docstring. Not started until :meth:`start`."""

    name: ClassVar[str] = "gateway"
    #: Seconds between delivery attempts after a failure, as the real gateway spaces them.
    default_retry_schedule: ClassVar[tuple[float, ...]] = ()

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: SimulatorClock | None = None,
        auto_deliver: bool = True,
        retry_schedule: tuple[float, ...] | None = None,
        retry_time_scale: float = 1 / ONE_HOUR,
        delivery_timeout: float = 5.0,
        webhook_source_ip: str | None = None,
        webhook_forwarded_for: str | None = None,
        hang_seconds: float = 10.0,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock or SimulatorClock()
        self.verbose = verbose
        self.hang_seconds = hang_seconds
        self.webhook_source_ip = webhook_source_ip
        self.webhook_forwarded_for = webhook_forwarded_for
        self.lock = threading.RLock()
        self.faults = FaultPlan()
        self.webhooks = WebhookDispatcher(
            clock=self.clock,
            retry_schedule=self.default_retry_schedule if retry_schedule is None else retry_schedule,
            time_scale=retry_time_scale,
            is_success=self.is_delivery_success,
            timeout=delivery_timeout,
            auto=auto_deliver,
        )
        self.router = Router()
        self._register_control_routes()
        self.register_routes(self.router)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._log_lock = threading.Lock()
        self.request_log: deque[LoggedRequest] = deque(maxlen=5000)
        self._request_counts: Counter[tuple[str, str]] = Counter()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stop_event.clear()
        self._server = SimulatorHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-sim", daemon=True
        )
        self._thread.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self._stop_event.set()  # wakes handlers hanging in a "timeout" fault
        self.webhooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the base every API path, hosted page and cert hangs off."""
        if self._server is None:
            raise RuntimeError(f"the {self.name} simulator is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    # -- subclass hooks ----------------------------------------------------------------------

    def register_routes(self, router: Router) -> None:
        raise NotImplementedError

    def credentials(self) -> dict[str, Any]:
        """What a client must be configured with; printed by the runner, served at ``/_sim``."""
        return {}

    def error_response(self, status: int, request: SimulatorRequest) -> SimulatorResponse:
        """The gateway's own error body for an injected 500 or 429 (and unexpected crashes)."""
        return SimulatorResponse.json(status, {"error": "simulated failure"})

    def not_found_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(404, {"error": f"no route for {request.method} {request.path}"})

    def method_not_allowed_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(405, {"error": f"{request.method} is not allowed on {request.path}"})

    def handle_exception(self, request: SimulatorRequest, error: Exception) -> SimulatorResponse | None:
        """Turn a gateway-specific exception raised by a handler into a response, or None."""
        return None

    def before_request(self, request: SimulatorRequest) -> None:
        """Runs before every routed request (lazy expiry of sessions, payments, tokens)."""

    def is_delivery_success(self, status: int) -> bool:
        """Which receiver answers count as delivered (most gateways: any 2xx)."""
        return 200 <= status < 300

    def describe_webhooks(self) -> list[dict[str, Any]]:
        return []

    # -- dispatch ----------------------------------------------------------------------------

    def dispatch(self, request: SimulatorRequest) -> SimulatorResponse:
        request.stop_event = self._stop_event
        request.request_id = uuid4()
        fault = None if request.path.startswith("/_sim") else self.faults.take(request.method, request.path)
        try:
            response = self._dispatch_with_fault(request, fault)
        except Exception:  # a simulator bug must still answer, and loudly
            traceback.print_exc()
            response = self.error_response(500, request)
        with self._log_lock:
            self._request_counts[(request.method, request.route or "<unrouted>")] += 1
            self.request_log.append(
                LoggedRequest(
                    at=self.clock.now(),
                    method=request.method,
                    path=request.path,
                    status=None if response is DROP else response.status,
                    client_ip=request.client_address[0],
                )
            )
        return response

    def _dispatch_with_fault(self, request: SimulatorRequest, fault: Fault | None) -> SimulatorResponse:
        if fault is not None:
            if fault.mode == "rate_limit":
                return self.error_response(429, request)
            if not fault.executed and fault.mode != "slow":
                return self._misbehave(request, fault)
            request.fault = fault
        response = self._route(request)
        request.linger()
        if fault is not None and fault.executed and fault.mode in ("timeout", "reset", "error"):
            return self._misbehave(request, fault)
        return response

    def _misbehave(self, request: SimulatorRequest, fault: Fault) -> SimulatorResponse:
        if fault.mode == "timeout":
            self._stop_event.wait(fault.seconds)
            return DROP
        if fault.mode == "reset":
            return DROP
        return request.fault_response or self.error_response(500, request)

    def _route(self, request: SimulatorRequest) -> SimulatorResponse:
        handler, params, pattern = self.router.resolve(request.method, request.path)
        request.route = pattern
        if handler is None:
            return self.method_not_allowed_response(request) if pattern else self.not_found_response(request)
        request.params = params
        try:
            if not request.path.startswith("/_sim"):
                self.before_request(request)
            return handler(request)
        except MalformedBody as error:
            converted = self.handle_exception(request, error)
            return converted or SimulatorResponse.json(400, {"error": str(error)})
        except Exception as error:
            converted = self.handle_exception(request, error)
            if converted is None:
                raise
            return converted

    # -- webhooks ----------------------------------------------------------------------------

    def queue_webhook(
        self,
        *,
        event_id: str,
        event_type: str,
        url: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        sign: HeadersFactory | None = None,
        source_ip: str | None = None,
        forwarded_for: str | None = None,
    ) -> OutgoingMessage:
        """Queue one notification; the dispatcher delivers it (now in auto mode, or on demand)."""
        extra = dict(headers or {})
        forwarded = forwarded_for or self.webhook_forwarded_for
        if forwarded:
            extra["X-Forwarded-For"] = forwarded
        message = OutgoingMessage(
            event_id=event_id,
            event_type=event_type,
            url=url,
            body=body,
            headers=extra,
            sign=sign,
            source_ip=source_ip or self.webhook_source_ip,
        )
        self.webhooks.enqueue(message)
        return message

    def send_webhooks(self, order: Order = None, *, duplicate: bool = False) -> list[DeliveryAttempt]:
        """Deliver every queued notification now (in ``order``; twice each with ``duplicate``)."""
        return self.webhooks.send_pending(order, duplicate=duplicate)

    def deliver_due_webhooks(self) -> list[DeliveryAttempt]:
        """Deliver queued notifications plus retries whose (compressed) back-off has elapsed."""
        return self.webhooks.deliver_due()

    def retry_failed_webhooks(self) -> list[DeliveryAttempt]:
        """Retry every failed delivery now, skipping what is left of its back-off."""
        return self.webhooks.retry_failed()

    def hold_webhooks(self) -> None:
        """Keep notifications back until :meth:`release_webhooks` (to reorder them)."""
        self.webhooks.hold()

    def release_webhooks(self, order: Order = None, *, duplicate: bool = False) -> list[DeliveryAttempt]:
        """Send the held notifications now; ``order="reverse"``, ``"shuffle"`` or a list of ids/types."""
        return self.webhooks.release(order, duplicate=duplicate)

    def duplicate_next_webhooks(self, count: int = 1) -> None:
        """Deliver each of the next ``count`` notifications twice (identical event id and body)."""
        self.webhooks.duplicate_next(count)

    def redeliver_webhook(self, event_id: str, url: str | None = None) -> list[DeliveryAttempt]:
        """Send an event again, as a manual resend does (the same event id)."""
        return self.webhooks.redeliver(event_id, url)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """In auto mode, wait until every queued notification has had its first attempt."""
        return self.webhooks.wait_idle(timeout)

    @property
    def webhook_attempts(self) -> list[DeliveryAttempt]:
        return self.webhooks.attempts

    # -- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        mode: FaultMode = "timeout",
        *,
        seconds: float | None = None,
        executed: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Make the next ``count`` API calls (matching ``path`` prefix / ``method``) misbehave.

        See :class:`~hostkeep.integrations.gatewaysim.faults.Fault` for the modes. ``seconds`` is
        the hang of a ``timeout`` (default ``hang_seconds``) or the delay of a ``slow`` answer.
        """
        delay = seconds if seconds is not None else (self.hang_seconds if mode == "timeout" else 1.0)
        self.faults.add(Fault(mode=mode, seconds=delay, executed=executed, path=path, method=method), count)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- inspection --------------------------------------------------------------------------

    def request_count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests reached a route (its pattern, e.g. ``/v1/payment_intents/{id}``, or all)."""
        with self._log_lock:
            return sum(
                count
                for (logged_method, logged_path), count in self._request_counts.items()
                if (path is None or logged_path == path) and (method is None or logged_method == method.upper())
            )

    # -- the /_sim control surface -------------------------------------------------------------

    def _register_control_routes(self) -> None:
        self.router.add("GET", "/_sim", self._control_describe)
        self.router.add("POST", "/_sim/faults", self._control_add_fault)
        self.router.add("DELETE", "/_sim/faults", self._control_clear_faults)
        self.router.add("GET", "/_sim/webhooks", self._control_list_attempts)
        self.router.add("POST", "/_sim/webhooks/send", self._control_send)
        self.router.add("POST", "/_sim/webhooks/retry", self._control_retry)
        self.router.add("POST", "/_sim/webhooks/hold", self._control_hold)
        self.router.add("POST", "/_sim/webhooks/release", self._control_release)
        self.router.add("POST", "/_sim/clock/advance", self._control_advance_clock)

    def _control_describe(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(
            200,
            {
                "gateway": self.name,
                "url": self.url,
                "credentials": self.credentials(),
                "webhooks": self.describe_webhooks(),
                "now": self.clock.now(),
            },
        )

    def _control_add_fault(self, request: SimulatorRequest) -> SimulatorResponse:
        spec = request.json() or {}
        try:
            self.fail_next(
                int(spec.get("count", 1)),
                spec.get("mode", "timeout"),
                seconds=spec.get("seconds"),
                executed=bool(spec.get("executed", False)),
                path=spec.get("path"),
                method=spec.get("method"),
            )
        except (TypeError, ValueError) as error:
            return SimulatorResponse.json(400, {"error": str(error)})
        return SimulatorResponse.json(200, {"pending": len(self.faults.pending)})

    def _control_clear_faults(self, request: SimulatorRequest) -> SimulatorResponse:
        self.clear_faults()
        return SimulatorResponse.json(200, {"pending": 0})

    @staticmethod
    def _attempts_json(attempts: list[DeliveryAttempt]) -> list[dict[str, Any]]:
        return [
            {
                "event_id": attempt.event_id,
                "event_type": attempt.event_type,
                "url": attempt.url,
                "attempt": attempt.attempt,
                "status": attempt.status,
                "error": attempt.error,
                "duplicate": attempt.duplicate,
                "at": attempt.at,
            }
            for attempt in attempts
        ]

    def _control_list_attempts(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(200, {"attempts": self._attempts_json(self.webhook_attempts)})

    def _control_send(self, request: SimulatorRequest) -> SimulatorResponse:
        spec = request.json() or {}
        attempts = self.send_webhooks(spec.get("order"), duplicate=bool(spec.get("duplicate", False)))
        return SimulatorResponse.json(200, {"attempts": self._attempts_json(attempts)})

    def _control_retry(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(200, {"attempts": self._attempts_json(self.retry_failed_webhooks())})

    def _control_hold(self, request: SimulatorRequest) -> SimulatorResponse:
        self.hold_webhooks()
        return SimulatorResponse.json(200, {"held": True})

    def _control_release(self, request: SimulatorRequest) -> SimulatorResponse:
        spec = request.json() or {}
        attempts = self.release_webhooks(spec.get("order"), duplicate=bool(spec.get("duplicate", False)))
        return SimulatorResponse.json(200, {"attempts": self._attempts_json(attempts)})

    def _control_advance_clock(self, request: SimulatorRequest) -> SimulatorResponse:
        spec = request.json() or {}
        self.clock.advance(float(spec.get("seconds", 0)))
        return SimulatorResponse.json(200, {"now": self.clock.now()})
