"""Outbox subscribers of payments (listed in settings.OUTBOX_HANDLER_MODULES). Payments
announces ``payment.received``, ``payment.declined``, ``payment.refunded`` and
``payment.held_for_review``; billing settles invoices on the first, notifications tells people.
Payments itself subscribes to nothing."""

from hostkeep.core.outbox import Handler

HANDLERS: dict[str, list[Handler]] = {}
