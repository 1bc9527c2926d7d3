"""Demo data for payments (seeded by ``seed_demo``; every step finds what an earlier run made)."""

from __future__ import annotations

from collections.abc import Callable


def seed() -> None:
    """Add payments's demo data (to be filled in with the payments work)."""


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of payments talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
