"""Search gives the same tickets whichever PostgreSQL plan it takes (walking the tickets newest
first for common words, the GIN indexes for rare ones), keeps notes from customers and other
accounts' tickets out in both, and reads word frequencies from ANALYZE. The staff queue page
is a page of the newest tickets with a capped count, in a number of queries that does not grow
with the tickets, and its page links keep the filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core import clock
from hostkeep.helpdesk import actions, search, selectors
from hostkeep.helpdesk.choices import Channel
from hostkeep.helpdesk.models import Ticket
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db

WALK_ALWAYS, WALK_NEVER = 0.0, 2.0


@pytest.fixture
def tickets(owner_a, owner_b, department, agent):
    """A's tickets with words in subjects, replies and a note; B's ticket with the same words."""
    made = {
        "subject": open_ticket(owner_a, department, subject="Minecraft lag", body="it stutters"),
        "reply": open_ticket(owner_a, department, subject="Question", body="the spawn chunk is slow"),
        "both": open_ticket(owner_a, department, subject="Spawn issue", body="chunk spawn broken"),
        "noted": open_ticket(owner_a, department, subject="Billing", body="why vat"),
        "foreign": open_ticket(owner_b, department, subject="Minecraft crash", body="spawn chunk"),
    }
    actions.ticket_staff_reply(actor=actor(agent), ticket_id=made["noted"].pk, body="zebra spawn secret", note=True)
    return made


def found(queryset) -> set[int]:
    return {ticket.pk for ticket in queryset}


@pytest.mark.parametrize("walk_from", [WALK_ALWAYS, WALK_NEVER])
def test_both_plans_find_the_same_tickets(tickets, owner_a, agent, monkeypatch, walk_from):
    monkeypatch.setattr(search, "WALK_FROM_SHARE", walk_from)
    customer, staff = actor(owner_a), actor(agent)
    ids = {name: ticket.pk for name, ticket in tickets.items()}

    assert found(selectors.tickets_for_customer(customer, query="minecraft")) == {ids["subject"]}
    assert found(selectors.tickets_for_customer(customer, query="spawn chunk")) == {ids["reply"], ids["both"]}
    assert found(selectors.tickets_for_customer(customer, query="zebra")) == set()
    assert found(selectors.tickets_for_customer(customer, query="spawn")) == {ids["reply"], ids["both"]}
    assert found(selectors.tickets_for_staff(staff, selectors.TicketFilters(query="zebra"))) == {ids["noted"]}
    assert found(selectors.tickets_for_staff(staff, selectors.TicketFilters(query="spawn"))) == {
        ids["reply"], ids["both"], ids["noted"], ids["foreign"]
    }  # fmt: skip
    assert found(selectors.tickets_for_staff(staff, selectors.TicketFilters(query="minecraft"))) == {
        ids["subject"], ids["foreign"]
    }  # fmt: skip
    # Every word must be in one message or the subject; words split over two places do not match.
    assert found(selectors.tickets_for_staff(staff, selectors.TicketFilters(query="billing zebra"))) == set()
    assert found(selectors.tickets_for_staff(staff, selectors.TicketFilters(query="'; drop table x; --"))) == set()


@pytest.mark.parametrize("walk_from", [WALK_ALWAYS, WALK_NEVER])
def test_found_tickets_come_newest_first(tickets, agent, monkeypatch, walk_from):
    monkeypatch.setattr(search, "WALK_FROM_SHARE", walk_from)
    Ticket.objects.filter(pk=tickets["reply"].pk).update(updated_at=clock.now() + dt.timedelta(hours=1))
    result = list(selectors.tickets_for_staff(actor(agent), selectors.TicketFilters(query="spawn")))
    assert result[0] == tickets["reply"]
    assert [ticket.updated_at for ticket in result] == sorted((ticket.updated_at for ticket in result), reverse=True)


def test_word_shares_come_from_analyze(department, owner_a, is_postgresql):
    if not is_postgresql:
        pytest.skip("the SQLite search has one plan")
    for number in range(40):
        open_ticket(owner_a, department, subject=f"Request {number}", body=f"server trouble number{number}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE helpdesk_ticketmessage")
    assert search.expected_share(["server"]) == pytest.approx(1.0, abs=0.05)
    assert search.expected_share(["SERVER", "trouble"]) == pytest.approx(1.0, abs=0.1)
    assert search.expected_share(["server", "nowhere"]) == 0.0


# --- the staff queue page -------------------------------------------------------------------


def open_tickets(count: int, department, contacts) -> None:
    now = clock.now()
    Ticket.objects.bulk_create(
        Ticket(
            customer=contacts[number % len(contacts)].customer,
            department=department,
            subject=f"Ticket {number}",
            reply_token=f"{number:016x}",
            channel=Channel.EMAIL,
            created_at=now,
            updated_at=now - dt.timedelta(minutes=number),
        )
        for number in range(count)
    )


def test_ticket_page_counts_up_to_the_cap(department, owner_a, agent, monkeypatch):
    open_tickets(7, department, [owner_a])
    queryset = selectors.tickets_for_staff(actor(agent))
    first = selectors.ticket_page(queryset, number="1", size=3)
    assert ([ticket.subject for ticket in first.tickets], first.has_next, first.has_previous, first.count) == (
        ["Ticket 0", "Ticket 1", "Ticket 2"], True, False, 7,
    )  # fmt: skip
    last = selectors.ticket_page(queryset, number=3, size=3)
    assert ([ticket.subject for ticket in last.tickets], last.has_next, last.first_index, last.last_index) == (
        ["Ticket 6"], False, 7, 7,
    )  # fmt: skip
    assert selectors.ticket_page(queryset, number="x", size=3).number == 1
    assert selectors.ticket_page(queryset, number="-2", size=3).number == 1
    assert selectors.ticket_page(queryset, number="9", size=3).tickets == []
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    capped = selectors.ticket_page(queryset, number=1, size=3)
    assert (capped.count, capped.count_capped) == (None, True)
    uncounted = selectors.ticket_page(queryset, number=1, size=3, count=False)
    assert (uncounted.count, uncounted.count_capped) == (None, False)


def queue_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_queue_page_makes_as_many_queries_for_60_tickets_as_for_2(client: Client, department, agent, is_postgresql):
    contacts = [ContactFactory(customer__name=f"Customer {number}") for number in range(5)]
    client.force_login(agent.user, backend="django.contrib.auth.backends.ModelBackend")
    open_tickets(2, department, contacts)
    few = queue_queries(client, "/staff/helpdesk/")
    Ticket.objects.all().delete()
    open_tickets(60, department, contacts)
    for ticket in Ticket.objects.all()[:20]:
        actions.ticket_assign(actor=actor(agent), ticket_id=ticket.pk, assignee_id=agent.pk)
    assert queue_queries(client, "/staff/helpdesk/") == few
    # A search is not counted; on PostgreSQL it reads the word statistics instead.
    assert queue_queries(client, "/staff/helpdesk/?query=ticket") == (few if is_postgresql else few - 1)


def test_the_queue_page_shows_a_page_and_links_keep_the_filters(client: Client, department, agent, owner_a):
    client.force_login(agent.user, backend="django.contrib.auth.backends.ModelBackend")
    open_tickets(55, department, [owner_a])
    html = client.get(f"/staff/helpdesk/?department={department.pk}").content.decode()
    assert "Tickets 1\u201350 of 55" in html
    assert html.count('href="/staff/helpdesk/tickets/') == 50
    [next_link] = re.findall(r'href="([^"]*page=2[^"]*)"', html)
    assert f"department={department.pk}" in next_link
    assert next_link.startswith("?")
    second = client.get("/staff/helpdesk/" + next_link.replace("&amp;", "&")).content.decode()
    assert "Tickets 51\u201355 of 55" in second
    assert second.count('href="/staff/helpdesk/tickets/') == 5
    assert "page=1" in second
