"""Outbox subscribers of accounts (topic -> handlers). None yet: accounts is near the bottom
and mostly announces rather than listens."""

from hostkeep.core.outbox import Handler

HANDLERS: dict[str, list[Handler]] = {}
