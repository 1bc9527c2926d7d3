"""Demo data for documents (seeded by ``seed_demo``; every step finds what an earlier run made)."""

from __future__ import annotations

from collections.abc import Callable


def seed() -> None:
    """Add documents's demo data (to be filled in with the documents work)."""


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of documents talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
