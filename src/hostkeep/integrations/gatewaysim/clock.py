"""The simulators' notion of "now": wall-clock time that a test can move forward or freeze.

Gateways stamp objects, sign webhooks and expire sessions, tokens and idempotency keys by
their own clock. Tests need to move that clock (a 24-hour session expiry, a 9-hour OAuth
token, a stale ``Stripe-Signature`` timestamp) without sleeping, so every simulator reads
the time only through one of these.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SimulatorClock:
    """Unix time in seconds (float): the real time plus an offset, or a frozen instant."""

    def __init__(self, *, frozen_at: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at = frozen_at

    def now(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative number)."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def freeze(self, at: float | None = None) -> None:
        """Stop the clock at ``at`` (default: now) until :meth:`unfreeze`."""
        current = self.now()
        with self._lock:
            self._frozen_at = current if at is None else at

    def unfreeze(self) -> None:
        """Let the clock run again from where it was frozen."""
        current = self.now()
        with self._lock:
            self._frozen_at = None
            self._offset = current - time.time()


def iso8601(moment: float, *, milliseconds: bool = True) -> str:
    """``2026-11-22T10:00:00.000Z``: UTC with a ``Z``, as PayPal and YooKassa write times."""
    stamp = datetime.fromtimestamp(moment, tz=UTC)
    if milliseconds:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
