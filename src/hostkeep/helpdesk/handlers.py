"""Outbox subscribers of helpdesk (listed in settings.OUTBOX_HANDLER_MODULES)."""

from hostkeep.core.outbox import Handler

HANDLERS: dict[str, list[Handler]] = {}
