"""Failure injection: make the next N matching API calls time out, fail, crawl or be refused.

A client's error handling is only tested if the remote side misbehaves on cue. Each fault is
consumed by exactly one request, in the order the faults were added. ``executed`` decides
whether the gateway did the work before misbehaving: a timeout after the charge went through
is the case that idempotency keys (and, for PayFast, an attempt ledger) exist for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultMode = Literal["timeout", "error", "slow", "reset", "rate_limit"]
FAULT_MODES: tuple[str, ...] = ("timeout", "error", "slow", "reset", "rate_limit")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour.

    - ``timeout``: hold the connection open for ``seconds`` without answering, then close it.
    - ``error``: answer 500 in the gateway's own error shape.
    - ``slow``: answer normally, but only after ``seconds`` (the request counts as in flight
      meanwhile, so a concurrent duplicate sees it running).
    - ``reset``: close the connection at once without any answer.
    - ``rate_limit``: answer 429 in the gateway's error shape (never executed).

    ``executed=True`` runs the request first (state changes, webhooks are emitted, the result is
    saved under its idempotency key) and only then misbehaves.
    """

    mode: FaultMode
    seconds: float
    executed: bool = False
    path: str | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or path.startswith(self.path)


class FaultPlan:
    """A thread-safe queue of faults waiting for matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self.fired: list[tuple[Fault, str, str]] = []

    def add(self, fault: Fault, count: int = 1) -> None:
        if fault.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {fault.mode!r}; use one of {', '.join(FAULT_MODES)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._pending.extend([fault] * count)

    def take(self, method: str, path: str) -> Fault | None:
        """Remove and return the first pending fault that applies to this request."""
        with self._lock:
            for index, fault in enumerate(self._pending):
                if fault.matches(method, path):
                    del self._pending[index]
                    self.fired.append((fault, method, path))
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._pending)
