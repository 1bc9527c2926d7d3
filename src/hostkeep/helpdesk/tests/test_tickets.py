"""The life of a ticket: opened by a contact, answered by an agent (reply, note, line 3 as the
department), escalated, SLA clocks, canned replies with variables, rating, time and charges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.billing.models import Invoice
from hostkeep.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from hostkeep.core.models import AuditEvent, OutboxEvent
from hostkeep.helpdesk import actions, selectors
from hostkeep.helpdesk.choices import MessageKind, TicketStatus
from hostkeep.helpdesk.models import AgentRate, Escalation, Rating, Ticket, TicketMessage, TimeLog
from hostkeep.helpdesk.storage import IncomingFile
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db


def test_a_contact_opens_a_ticket_with_an_sla_and_an_attachment(owner_a, department, sla):
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        ticket = open_ticket(owner_a, department, files=[IncomingFile("log.txt", "text/plain", b"boom")])
    assert (ticket.customer, ticket.contact, ticket.status) == (owner_a.customer, owner_a, TicketStatus.NEW)
    assert ticket.first_response_due == dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
    assert ticket.resolution_due == dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)
    message = ticket.messages.get()
    assert (message.kind, message.public_author_name) == (MessageKind.REPLY, owner_a.user.full_name)
    assert message.attachments.get().filename == "log.txt"
    assert OutboxEvent.objects.filter(topic="ticket.opened", payload__ticket_id=ticket.pk).count() == 1
    assert AuditEvent.objects.filter(action="helpdesk.ticket_open", object_id=str(ticket.pk)).count() == 1


def test_a_read_only_contact_cannot_open_tickets(owner_a, department):
    reader = ContactFactory(customer=owner_a.customer, role=ContactRole.READ_ONLY)
    with pytest.raises(PermissionRefused):
        open_ticket(reader, department)
    assert Ticket.objects.count() == 0


def test_too_many_or_too_large_files_are_refused_before_anything_is_written(owner_a, department, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed):
        open_ticket(owner_a, department, files=[IncomingFile("big.bin", "", b"x" * 11)])
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationFailed):
        open_ticket(owner_a, department, files=[IncomingFile(f"{n}.txt", "", b"x") for n in range(11)])
    assert (Ticket.objects.count(), TicketMessage.objects.count()) == (0, 0)


def test_staff_reply_stops_the_first_response_clock_and_waits_on_the_customer(owner_a, department, agent, sla):
    ticket = open_ticket(owner_a, department)
    actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Restarted it.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_ON_CUSTOMER
    assert ticket.first_responded_at is not None
    assert ticket.assignee == agent
    actions.ticket_customer_reply(actor=actor(owner_a), ticket_id=ticket.pk, body="Still down")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_ON_STAFF


def test_notes_do_not_change_status_or_reach_the_customer(owner_a, department, agent):
    ticket = open_ticket(owner_a, department)
    actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Customer is rude", note=True)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_responded_at) == (TicketStatus.NEW, None)
    seen = selectors.ticket_for_customer(actor(owner_a), ticket.pk)
    assert [message.body for message in seen.public_messages] == ["It **crashed**"]
    assert not OutboxEvent.objects.filter(topic="ticket.replied").exists()


def test_line_three_answers_as_the_department(owner_a, department, agent, line3):
    ticket = open_ticket(owner_a, department)
    escalation = actions.ticket_escalate(actor=actor(agent), ticket_id=ticket.pk, to_line=3, reason="Kernel bug")
    assert (escalation.from_line, escalation.to_line, escalation.reason) == (1, 3, "Kernel bug")
    ticket.refresh_from_db()
    assert (ticket.line, ticket.assignee) == (3, None)
    assert OutboxEvent.objects.filter(topic="ticket.escalated").count() == 1
    reply = actions.ticket_staff_reply(actor=actor(line3), ticket_id=ticket.pk, body="Patched")
    assert (reply.public_author_name, reply.sent_as_department) == ("Technical support", True)
    # Even an agent of line 1 answering a line-3 ticket speaks as the department.
    reply = actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Also")
    assert reply.public_author_name == "Technical support"


def test_escalation_needs_a_reason_and_a_change(owner_a, department, agent):
    ticket = open_ticket(owner_a, department)
    with pytest.raises(ValidationFailed):
        actions.ticket_escalate(actor=actor(agent), ticket_id=ticket.pk, to_line=2, reason=" ")
    with pytest.raises(Conflict):
        actions.ticket_escalate(actor=actor(agent), ticket_id=ticket.pk, to_line=1, reason="same")
    assert Escalation.objects.count() == 0


def test_sla_breaches_and_the_at_risk_warning(owner_a, department, agent, sla):
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        late = open_ticket(owner_a, department, subject="late")
        answered = open_ticket(owner_a, department, subject="answered")
        actions.ticket_staff_reply(actor=actor(agent), ticket_id=answered.pk, body="on it")
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 40, tzinfo=dt.UTC), tick=False):
        assert actions.sla_warn_at_risk(within=dt.timedelta(minutes=30)) == 1
        assert actions.sla_warn_at_risk(within=dt.timedelta(minutes=30)) == 0
    assert OutboxEvent.objects.filter(topic="ticket.sla_at_risk", payload__ticket_id=late.pk).count() == 1
    breaches = selectors.sla_breaches(actor(agent), at=dt.datetime(2026, 5, 4, 10, 1, tzinfo=dt.UTC))
    assert list(breaches) == [late]


def test_canned_reply_variables_are_filled_from_the_ticket(owner_a, department, agent, canned):
    ticket = open_ticket(owner_a, department)
    ticket = selectors.ticket_for_staff(actor(agent), ticket.pk)
    body = selectors.canned_reply_filled(actor(agent), canned_id=canned.pk, ticket=ticket)
    assert body == f"Hello {owner_a.user.full_name}, we restarted . Next due: ."


def test_the_customer_rates_a_resolved_ticket_once(owner_a, department, agent):
    ticket = open_ticket(owner_a, department)
    with pytest.raises(Conflict):
        actions.ticket_rate(actor=actor(owner_a), ticket_id=ticket.pk, score=5)
    actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Fixed", status=TicketStatus.RESOLVED)
    rating = actions.ticket_rate(actor=actor(owner_a), ticket_id=ticket.pk, score=4, comment="quick")
    assert (rating.agent, rating.score) == (agent, 4)
    with pytest.raises(Conflict):
        actions.ticket_rate(actor=actor(owner_a), ticket_id=ticket.pk, score=1)
    [row] = selectors.ratings_by_agent(actor(agent))
    assert (row, row.average, row.count) == (agent, 4.0, 1)
    assert Rating.objects.count() == 1


def test_another_customer_cannot_rate_or_reply(owner_a, owner_b, department, agent):
    ticket = open_ticket(owner_a, department)
    with pytest.raises(NotFound):
        actions.ticket_customer_reply(actor=actor(owner_b), ticket_id=ticket.pk, body="hi")
    with pytest.raises(NotFound):
        actions.ticket_set_status(actor=actor(owner_b), ticket_id=ticket.pk, status=TicketStatus.CLOSED)
    assert TicketMessage.objects.count() == 1


@pytest.fixture
def entity(db):
    return ProviderLegalEntity.objects.create(name="Villager (Pty) Ltd", short_code="VP", country="ZA", is_default=True)


def test_time_is_charged_through_billing_once(owner_a, department, agent, entity):
    AgentRate.objects.create(staff=agent, hourly_rate=Decimal(600), currency=owner_a.customer.currency)
    ticket = open_ticket(owner_a, department)
    actions.ticket_update(actor=actor(agent), ticket_id=ticket.pk, is_paid=True, discount_percent=Decimal(10))
    actions.time_log_add(actor=actor(agent), ticket_id=ticket.pk, minutes=90, billable=True, note="debugging")
    actions.time_log_add(actor=actor(agent), ticket_id=ticket.pk, minutes=30, billable=False)
    invoice = actions.ticket_charge(actor=actor(agent), ticket_id=ticket.pk)
    assert invoice.total == Decimal("810.0000")  # 1.5 h x 600 less 10 %
    assert invoice.customer == owner_a.customer
    with pytest.raises(Conflict):
        actions.ticket_charge(actor=actor(agent), ticket_id=ticket.pk)
    assert Invoice.objects.count() == 1
    assert TimeLog.objects.filter(invoice_id=invoice.pk).count() == 1


def test_a_fixed_price_ticket_is_charged_once(owner_a, department, agent, entity):
    department.is_paid = True
    department.price_per_ticket = Decimal(250)
    department.save()
    ticket = open_ticket(owner_a, department)
    assert ticket.is_paid
    first = actions.ticket_charge(actor=actor(agent), ticket_id=ticket.pk)
    again = actions.ticket_charge(actor=actor(agent), ticket_id=ticket.pk)
    assert first.pk == again.pk
    assert first.total == Decimal("250.0000")


def test_notification_descriptions_name_the_right_people_and_carry_no_text(owner_a, department, agent):
    from hostkeep.helpdesk import events

    ticket = open_ticket(owner_a, department)
    actions.ticket_assign(actor=actor(agent), ticket_id=ticket.pk, assignee_id=agent.pk)
    reply = actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="secret fix")
    note = actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="internal", note=True)
    to_customer = events.describe_replied({"ticket_id": ticket.pk, "message_id": reply.pk, "side": "staff"})
    assert to_customer is not None
    assert (to_customer.customer_id, to_customer.user_ids) == (owner_a.customer.pk, (owner_a.user_id,))
    assert to_customer.link == f"/portal/tickets/{ticket.pk}/"
    assert "secret fix" not in str(to_customer.context)
    assert events.describe_replied({"ticket_id": ticket.pk, "message_id": note.pk, "side": "staff"}) is None
    first = ticket.messages.order_by("id").first()
    to_agent = events.describe_replied({"ticket_id": ticket.pk, "message_id": first.pk, "side": "customer"})
    assert to_agent is not None
    assert (to_agent.customer_id, to_agent.user_ids) == (None, (agent.user_id,))
    assert events.describe_staff({"ticket_id": 0}) is None
