"""The customer's ticket page shows the SLA time left (or the breach), by the same rule as the
staff's breach list: due times fixed at opening, a breach once one passes on an open ticket."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.clients import log_in
from hostkeep.helpdesk import actions, selectors
from hostkeep.helpdesk.models import Department, SlaPolicy
from hostkeep.helpdesk.sla import SlaState, sla_clocks
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db

OPENED = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def sla_box(client: Client, ticket, *, path: str = "") -> str:
    content = client.get(path or f"/portal/tickets/{ticket.pk}/").content.decode()
    start = content.index('<ul class="sla" id="sla">')
    return " ".join(content[start : content.index("</ul>", start)].split())


def test_the_portal_shows_time_left_then_the_breach_then_the_answer(client: Client, owner_a, department, sla, agent):
    with time_machine.travel(OPENED, tick=False):
        ticket = open_ticket(owner_a, department)
    log_in(client, owner_a.user)
    staff = actor(agent)

    with time_machine.travel(OPENED + dt.timedelta(minutes=20), tick=False):
        box = sla_box(client, ticket)
        assert 'data-sla="first_response"' in box
        assert "First response</strong>: due May 4, 2026, 10 a.m. (40" in box
        assert "minutes left)" in box
        assert "Resolution</strong>: due May 5, 2026, 9 a.m. (23" in box
        assert "sla-breached" not in box
        assert list(selectors.sla_breaches(staff)) == []

    with time_machine.travel(OPENED + dt.timedelta(minutes=90), tick=False):
        box = sla_box(client, ticket)
        assert '<li class="sla-breached" data-sla="first_response">' in box
        assert "overdue since May 4, 2026, 10 a.m. (30" in box
        assert '<li class="sla-running" data-sla="resolution">' in box
        # Consistent with what staff see: the same ticket is on their breach list, and their
        # ticket page reads the same clocks.
        assert list(selectors.sla_breaches(staff)) == [ticket]
        staff_client = Client()
        log_in(staff_client, agent.user)
        assert sla_box(staff_client, ticket, path=f"/staff/helpdesk/tickets/{ticket.pk}/") == box
        actions.ticket_staff_reply(actor=staff, ticket_id=ticket.pk, body="Looking now")

    with time_machine.travel(OPENED + dt.timedelta(minutes=100), tick=False):
        box = sla_box(client, ticket)
        assert '<li class="sla-late" data-sla="first_response">' in box
        assert "done May 4, 2026, 10:30 a.m., after the target (May 4, 2026, 10 a.m.)" in box
        assert list(selectors.sla_breaches(staff)) == []


def test_an_answer_in_time_and_a_resolution_in_time_read_as_met(owner_a, department, sla, agent):
    with time_machine.travel(OPENED, tick=False):
        ticket = open_ticket(owner_a, department)
    with time_machine.travel(OPENED + dt.timedelta(minutes=5), tick=False):
        actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Fixed", status="resolved")
    ticket.refresh_from_db()
    with time_machine.travel(OPENED + dt.timedelta(days=3), tick=False):
        assert [(item.kind, item.state) for item in sla_clocks(ticket)] == [
            ("first_response", SlaState.MET),
            ("resolution", SlaState.MET),
        ]


def test_a_closed_ticket_never_reads_as_breached(owner_a, department, sla):
    with time_machine.travel(OPENED, tick=False):
        ticket = open_ticket(owner_a, department)
        actions.ticket_set_status(actor=actor_for_user(owner_a.user), ticket_id=ticket.pk, status="closed")
    ticket.refresh_from_db()
    with time_machine.travel(OPENED + dt.timedelta(days=3), tick=False):
        states = {item.kind: item.state for item in sla_clocks(ticket)}
    assert states == {"first_response": SlaState.STOPPED, "resolution": SlaState.MET}


def test_without_an_sla_the_portal_shows_no_clock(client: Client, owner_a, department):
    ticket = open_ticket(owner_a, department)
    log_in(client, owner_a.user)
    content = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'id="sla"' not in content


def test_a_target_for_every_department_applies_where_a_department_has_none(owner_a, department):
    SlaPolicy.objects.create(department=None, plan=None, first_response_minutes=120, resolution_minutes=600)
    own = Department.objects.create(name="Billing")
    SlaPolicy.objects.create(department=own, plan=None, first_response_minutes=15, resolution_minutes=60)
    with time_machine.travel(OPENED, tick=False):
        general = open_ticket(owner_a, department)
        billing = open_ticket(owner_a, own)
    assert general.first_response_due - OPENED == dt.timedelta(minutes=120)
    assert billing.first_response_due - OPENED == dt.timedelta(minutes=15)
