"""Demo data for provisioning (seeded by ``seed_demo``; every step finds what an earlier run made)."""

from __future__ import annotations

from collections.abc import Callable


def seed() -> None:
    """Add provisioning's demo data (to be filled in with the provisioning work)."""


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of provisioning talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
