"""Keys a gateway remembers for a while (idempotency keys, request ids), oldest first.

Pruning walks from the oldest entry and stops at the first one still within its retention, and
a size cap bounds memory, so a benchmark sending a key with every request stays fast.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class RetainedKeys[K: Hashable, V]:
    """``key -> value`` entries kept for ``retention`` seconds, at most ``capacity`` of them."""

    def __init__(self, retention: float, capacity: int = 200_000) -> None:
        self.retention = retention
        self.capacity = capacity
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def prune(self, now: float) -> None:
        cutoff = now - self.retention
        while self._entries:
            created, _ = next(iter(self._entries.values()))
            if created >= cutoff and len(self._entries) <= self.capacity:
                return
            self._entries.popitem(last=False)

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        return None if found is None else found[1]

    def put(self, key: K, value: V, created: float) -> None:
        self._entries[key] = (created, value)

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
