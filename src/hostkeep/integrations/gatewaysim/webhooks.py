"""Outgoing notifications: queue, deliver, retry with the gateway's back-off, misbehave on cue.

Every gateway pushes events to the merchant and none promises exactly-once, in-order delivery.
This dispatcher reproduces the ways that bites a receiver: retries after a non-success answer
or a timeout (on the gateway's own schedule, compressed by ``time_scale``), duplicates, and
events released in an order other than the one they happened in.

Two ways to run it:

- ``auto=True``: a background thread delivers each message as soon as it is queued and retries
  on schedule, like the real gateway.
- ``auto=False``: nothing leaves until a test calls :meth:`send_pending`, :meth:`deliver_due`
  or :meth:`retry_failed`, so tests are deterministic.

Queued messages sit in a deque and retries in a heap, so a benchmark producing many events does
not slow delivery down; the inspection history keeps the latest ``history_limit`` messages.
"""

from __future__ import annotations

import heapq
import http.client
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hostkeep.integrations.gatewaysim.clock import SimulatorClock

HeadersFactory = Callable[["OutgoingMessage"], dict[str, str]]
Order = str | Sequence[str] | None


@dataclass(eq=False)
class OutgoingMessage:
    """One notification for one receiver. ``sign`` builds per-attempt headers (signatures)."""

    event_id: str
    event_type: str
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    sign: HeadersFactory | None = None
    source_ip: str | None = None
    sequence: int = 0
    state: str = "queued"  # queued | held | sending | retrying | delivered | failed
    attempts: int = 0
    next_attempt_at: float = 0.0


@dataclass(frozen=True)
class DeliveryAttempt:
    """The record of one HTTP POST of a notification (what was sent, what came back)."""

    event_id: str
    event_type: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    response_body: bytes
    request_headers: dict[str, str]
    body: bytes
    at: float
    duplicate: bool = False

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _send(message: OutgoingMessage, headers: dict[str, str], timeout: float) -> tuple[int | None, str | None, bytes]:
    parts = urlsplit(message.url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    source = (message.source_ip, 0) if message.source_ip else None
    try:
        connection = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=source)
    except OSError as error:
        return None, f"{type(error).__name__}: {error}", b""
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=message.body, headers=headers)
        response = connection.getresponse()
        return response.status, None, response.read(4096)
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}", b""
    finally:
        connection.close()


class WebhookDispatcher:
    """Queue + delivery worker + retry schedule + test controls for one simulator."""

    def __init__(
        self,
        *,
        clock: SimulatorClock,
        retry_schedule: Sequence[float],
        time_scale: float,
        is_success: Callable[[int], bool],
        timeout: float = 5.0,
        auto: bool = True,
        history_limit: int = 10_000,
    ) -> None:
        self.clock = clock
        self.retry_schedule = tuple(retry_schedule)
        self.time_scale = time_scale
        self.is_success = is_success
        self.timeout = timeout
        self.auto = auto
        self.history_limit = history_limit
        self._lock = threading.Condition()
        self._history: OrderedDict[int, OutgoingMessage] = OrderedDict()
        self._queued: deque[OutgoingMessage] = deque()
        self._held: list[OutgoingMessage] = []
        self._retrying: list[tuple[float, int, OutgoingMessage]] = []
        self._attempts: deque[DeliveryAttempt] = deque(maxlen=history_limit)
        self._sequence = 0
        self._holding = False
        self._duplicates_wanted = 0
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._sending = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        if self.auto and self._worker is None:
            self._worker = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=self.timeout + 1)
            self._worker = None

    # -- producing -------------------------------------------------------------------------

    def enqueue(self, message: OutgoingMessage) -> None:
        with self._lock:
            self._sequence += 1
            message.sequence = self._sequence
            message.next_attempt_at = time.monotonic()
            self._history[message.sequence] = message
            while len(self._history) > self.history_limit:
                self._history.popitem(last=False)
            if self._holding:
                message.state = "held"
                self._held.append(message)
            else:
                message.state = "queued"
                self._queued.append(message)
            self._lock.notify_all()

    # -- controls --------------------------------------------------------------------------

    def hold(self) -> None:
        """Keep new messages back (even in auto mode) until :meth:`release`."""
        with self._lock:
            self._holding = True

    def release(self, order: Order = None, *, duplicate: bool = False) -> list[DeliveryAttempt]:
        """Stop holding and send every held message now, in ``order`` (see :meth:`send_pending`)."""
        with self._lock:
            self._holding = False
            batch, self._held = self._held, []
            for message in batch:
                message.state = "sending"
                self._sending += 1
        return self._deliver(_ordered(batch, order), extra_copy=duplicate)

    def duplicate_next(self, count: int = 1) -> None:
        """Deliver each of the next ``count`` messages twice in a row (same event id, same body)."""
        with self._lock:
            self._duplicates_wanted += count

    def send_pending(self, order: Order = None, *, duplicate: bool = False) -> list[DeliveryAttempt]:
        """Send every queued (never attempted) message now, synchronously, and return the attempts.

        ``order``: ``None`` (as they happened), ``"reverse"``, ``"shuffle"``, or a list of event
        ids or event types naming the ones to send first. ``duplicate`` sends each one twice.
        """
        with self._lock:
            batch = self._claim(self._take_queued())
        return self._deliver(_ordered(batch, order), extra_copy=duplicate)

    def deliver_due(self) -> list[DeliveryAttempt]:
        """Send what is due by now: queued messages and retries whose back-off has elapsed."""
        now = time.monotonic()
        with self._lock:
            batch = self._take_queued()
            while self._retrying and self._retrying[0][0] <= now:
                batch.append(heapq.heappop(self._retrying)[2])
            self._claim(batch)
        return self._deliver(batch)

    def retry_failed(self) -> list[DeliveryAttempt]:
        """Retry every message waiting for its next attempt now, without waiting for back-off."""
        with self._lock:
            batch = [entry[2] for entry in sorted(self._retrying, key=lambda entry: entry[2].sequence)]
            self._retrying = []
            self._claim(batch)
        return self._deliver(batch)

    def redeliver(self, event_id: str, url: str | None = None) -> list[DeliveryAttempt]:
        """Send an already-handled event again (a manual resend from the gateway's dashboard)."""
        return [self._post(message, duplicate=True) for message in self.find(event_id) if url in (None, message.url)]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is queued or being sent (auto mode). True if that happened in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._sending > 0 or self._queued:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.05))
            return True

    # -- inspection ------------------------------------------------------------------------

    @property
    def attempts(self) -> list[DeliveryAttempt]:
        with self._lock:
            return list(self._attempts)

    @property
    def messages(self) -> list[OutgoingMessage]:
        with self._lock:
            return list(self._history.values())

    def find(self, event_id: str) -> list[OutgoingMessage]:
        with self._lock:
            return [message for message in self._history.values() if message.event_id == event_id]

    # -- delivery --------------------------------------------------------------------------

    def _take_queued(self) -> list[OutgoingMessage]:
        batch = list(self._queued)
        self._queued.clear()
        return batch

    def _claim(self, batch: list[OutgoingMessage]) -> list[OutgoingMessage]:
        for message in batch:
            message.state = "sending"
            self._sending += 1
        return batch

    def _deliver(self, batch: list[OutgoingMessage], *, extra_copy: bool = False) -> list[DeliveryAttempt]:
        attempts: list[DeliveryAttempt] = []
        for message in batch:
            attempts.extend(self._attempt(message, extra_copy=extra_copy))
        return attempts

    def _post(self, message: OutgoingMessage, *, duplicate: bool = False) -> DeliveryAttempt:
        headers = {"Content-Type": "application/json", "User-Agent": "hostkeep-gateway-simulator", **message.headers}
        if message.sign is not None:
            headers.update(message.sign(message))
        status, error, response_body = _send(message, headers, self.timeout)
        with self._lock:
            if not duplicate:
                message.attempts += 1
            attempt = DeliveryAttempt(
                event_id=message.event_id,
                event_type=message.event_type,
                url=message.url,
                attempt=message.attempts,
                status=status,
                error=error,
                response_body=response_body,
                request_headers=headers,
                body=message.body,
                at=self.clock.now(),
                duplicate=duplicate,
            )
            self._attempts.append(attempt)
        return attempt

    def _attempt(self, message: OutgoingMessage, *, extra_copy: bool = False) -> list[DeliveryAttempt]:
        """One scheduled attempt of ``message`` (already claimed as ``sending``), then its new state."""
        try:
            first = self._post(message)
            results = [first]
            with self._lock:
                copy_wanted = extra_copy or (message.attempts == 1 and self._duplicates_wanted > 0)
                if copy_wanted and not extra_copy:
                    self._duplicates_wanted -= 1
            if copy_wanted:
                results.append(self._post(message, duplicate=True))
            succeeded = first.error is None and first.status is not None and self.is_success(first.status)
            with self._lock:
                if succeeded:
                    message.state = "delivered"
                elif message.attempts <= len(self.retry_schedule):
                    delay = self.retry_schedule[message.attempts - 1] * self.time_scale
                    message.state = "retrying"
                    message.next_attempt_at = time.monotonic() + delay
                    heapq.heappush(self._retrying, (message.next_attempt_at, message.sequence, message))
                else:
                    message.state = "failed"
            return results
        finally:
            with self._lock:
                self._sending -= 1
                self._lock.notify_all()

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                now = time.monotonic()
                if self._queued:
                    message = self._queued.popleft()
                elif self._retrying and self._retrying[0][0] <= now:
                    message = heapq.heappop(self._retrying)[2]
                else:
                    pause = self._retrying[0][0] - now if self._retrying else 0.5
                    self._lock.wait(min(max(pause, 0.005), 0.5))
                    continue
                self._claim([message])
            self._attempt(message)


def _ordered(batch: list[OutgoingMessage], order: Order) -> list[OutgoingMessage]:
    if order is None:
        return batch
    if order == "reverse":
        return list(reversed(batch))
    if order == "shuffle":
        shuffled = list(batch)
        random.shuffle(shuffled)
        return shuffled
    if isinstance(order, str):
        raise ValueError(f"unknown order {order!r}: use None, 'reverse', 'shuffle' or a list of event ids/types")
    first: list[OutgoingMessage] = []
    for key in order:
        first.extend(m for m in batch if (m.event_id == key or m.event_type == key) and m not in first)
    return first + [message for message in batch if message not in first]
