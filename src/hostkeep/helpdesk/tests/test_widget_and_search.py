"""The site widget (origin and rate limits) and full-text search (SQLite FTS5 here, PostgreSQL
full-text search on the PostgreSQL pass)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from hostkeep.accounts.models import Project
from hostkeep.core import clock
from hostkeep.helpdesk import actions, selectors
from hostkeep.helpdesk.choices import Channel
from hostkeep.helpdesk.models import Ticket, WidgetKey
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(owner_a, department):
    project = Project.objects.create(customer=owner_a.customer, name="Shop", domain="shop.example")
    return WidgetKey.objects.create(
        project=project, department=department, key="wk_test", allowed_origins="https://shop.example\n",
        created_at=clock.now(),
    )  # fmt: skip


def submit(client: Client, origin: str, **values: str):
    body = {"name": "Visitor", "email": "visitor@example.org", "subject": "Cart broken", "message": "Help", **values}
    return client.post(
        "/helpdesk/widget/wk_test/submit/", json.dumps(body), content_type="application/json", HTTP_ORIGIN=origin
    )


def test_the_widget_opens_a_ticket_for_the_project(client: Client, widget, owner_a):
    script = client.get("/helpdesk/widget/wk_test.js")
    assert script.status_code == 200
    assert "/helpdesk/widget/wk_test/submit/" in script.content.decode()
    preflight = client.options("/helpdesk/widget/wk_test/submit/", HTTP_ORIGIN="https://shop.example")
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    response = submit(client, "https://shop.example")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.project, ticket.channel) == (owner_a.customer, widget.project, Channel.WIDGET)
    assert (ticket.requester_email, ticket.contact, ticket.domain) == ("visitor@example.org", None, "shop.example")


def test_the_widget_refuses_other_origins_and_bad_input(client: Client, widget):
    assert submit(client, "https://evil.example").status_code == 403
    assert submit(client, "").status_code == 403
    assert submit(client, "https://shop.example", email="not-an-address").status_code == 422
    assert client.get("/helpdesk/widget/nope.js").status_code == 404
    assert Ticket.objects.count() == 0


def test_the_widget_is_rate_limited(client: Client, widget, settings):
    settings.HELPDESK_WIDGET_RATE = 3
    codes = [submit(client, "https://shop.example").status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert Ticket.objects.count() == 3


def test_search_finds_subjects_and_messages_and_keeps_notes_from_customers(owner_a, owner_b, department, agent):
    minecraft = open_ticket(owner_a, department, subject="Minecraft lag", body="The spawn chunk is slow")
    billing = open_ticket(owner_a, department, subject="Invoice question", body="Why VAT?")
    foreign = open_ticket(owner_b, department, subject="Minecraft crash", body="spawn")
    actions.ticket_staff_reply(actor=actor(agent), ticket_id=billing.pk, body="zebra secret", note=True)
    customer = actor(owner_a)
    assert list(selectors.tickets_for_customer(customer, query="minecraft")) == [minecraft]
    assert list(selectors.tickets_for_customer(customer, query="spawn chunk")) == [minecraft]
    assert list(selectors.tickets_for_customer(customer, query="vat")) == [billing]
    assert list(selectors.tickets_for_customer(customer, query="zebra")) == []
    staff = actor(agent)
    found = selectors.tickets_for_staff(staff, selectors.TicketFilters(query="zebra"))
    assert list(found) == [billing]
    found = selectors.tickets_for_staff(staff, selectors.TicketFilters(query="minecraft"))
    assert set(found) == {minecraft, foreign}
    assert list(selectors.tickets_for_staff(staff, selectors.TicketFilters(query='"); drop table x; --'))) == []


def test_queue_filters(owner_a, owner_b, department, agent):
    from hostkeep.helpdesk.models import Department

    other = Department.objects.create(name="Billing")
    first = open_ticket(owner_a, department)
    second = open_ticket(owner_b, other)
    actions.ticket_assign(actor=actor(agent), ticket_id=first.pk, assignee_id=agent.pk)
    actions.ticket_update(actor=actor(agent), ticket_id=second.pk, tags=["VIP", "dns"])
    staff = actor(agent)

    def ids(**values):
        return [ticket.pk for ticket in selectors.tickets_for_staff(staff, selectors.TicketFilters(**values))]

    assert ids(assignee="me") == [first.pk]
    assert ids(assignee="none") == [second.pk]
    assert ids(department=str(other.pk)) == [second.pk]
    assert ids(customer=str(owner_a.customer.pk)) == [first.pk]
    assert ids(tag="vip") == [second.pk]
    assert ids(line="2") == []
