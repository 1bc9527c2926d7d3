"""Demo data for helpdesk (seeded by ``seed_demo``; every step finds what an earlier run made)."""

from __future__ import annotations

from collections.abc import Callable


def seed() -> None:
    """Add helpdesk's demo data (to be filled in with the helpdesk work)."""


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of helpdesk talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
