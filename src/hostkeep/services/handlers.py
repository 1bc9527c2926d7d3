"""Outbox subscribers of services. None yet: billing and provisioning subscribe to
services' events from above (order.placed, service.changed, service.<state>)."""

from hostkeep.core.outbox import Handler

HANDLERS: dict[str, list[Handler]] = {}
