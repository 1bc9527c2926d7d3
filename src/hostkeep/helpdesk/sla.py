"""Where a ticket stands against its SLA targets, read from the due times fixed when it was
opened. The same rule as the staff's breach list (``selectors.sla_breaches``): an open ticket
is breached once a due time passed without the first reply or the resolution."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from hostkeep.core import clock
from hostkeep.helpdesk.choices import OPEN_STATUSES
from hostkeep.helpdesk.models import Ticket


class SlaState:
    RUNNING = "running"  # due in the future, not done yet
    BREACHED = "breached"  # due time passed on an open ticket, not done
    MET = "met"  # done on or before the due time
    LATE = "late"  # done, after the due time
    STOPPED = "stopped"  # the ticket is resolved or closed without this step being done


@dataclass(frozen=True)
class SlaClock:
    """One target of a ticket: ``left`` is the time until it is due (negative once past)."""

    kind: str
    label: str
    due: dt.datetime
    state: str
    done_at: dt.datetime | None
    left: dt.timedelta

    @property
    def is_breached(self) -> bool:
        return self.state == SlaState.BREACHED


def _state(due: dt.datetime, done_at: dt.datetime | None, is_open: bool, now: dt.datetime) -> str:
    if done_at is not None:
        return SlaState.MET if done_at <= due else SlaState.LATE
    if not is_open:
        return SlaState.STOPPED
    return SlaState.BREACHED if due < now else SlaState.RUNNING


def sla_clocks(ticket: Ticket, *, at: dt.datetime | None = None) -> list[SlaClock]:
    """The ticket's first-response and resolution targets (none when no SLA applied)."""
    now = at or clock.now()
    is_open = ticket.status in OPEN_STATUSES
    clocks = []
    for kind, label, due, done_at in (
        ("first_response", _("First response"), ticket.first_response_due, ticket.first_responded_at),
        ("resolution", _("Resolution"), ticket.resolution_due, ticket.resolved_at),
    ):
        if due is None:
            continue
        clocks.append(
            SlaClock(
                kind=kind,
                label=str(label),
                due=due,
                state=_state(due, done_at, is_open, now),
                done_at=done_at,
                left=due - now,
            )
        )
    return clocks
