"""Template helpers of the staff ticket page's watcher box."""

from __future__ import annotations

from django import template

from hostkeep.accounts.models import Contact
from hostkeep.helpdesk.models import Ticket
from hostkeep.helpdesk.selectors_setup import watcher_choices

register = template.Library()


@register.simple_tag
def contacts_to_watch(ticket: Ticket) -> list[Contact]:
    """The customer's contacts who could be added as watchers of this ticket."""
    return watcher_choices(ticket)
