"""Customers see only their own tickets and files, by list, by id guessing and by search, in
pages and the API; internal notes and line-3 authorship never reach them, through pages, the
API or e-mail."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import api_token_for
from hostkeep.helpdesk import actions
from hostkeep.helpdesk.models import Attachment
from hostkeep.helpdesk.storage import IncomingFile
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db

NOTE = "NOTE-the-customer-must-never-see"
ENGINEER = "Secret Engineer"


@pytest.fixture
def worked_ticket(owner_a, department, agent, line3, run_jobs, django_capture_on_commit_callbacks):
    """A ticket of A with a file, a note with a file, and a reply by line 3 (mailed)."""
    ticket = open_ticket(owner_a, department, files=[IncomingFile("alpha.txt", "text/plain", b"alpha file")])
    with django_capture_on_commit_callbacks(execute=True):
        actions.ticket_staff_reply(
            actor=actor(agent),
            ticket_id=ticket.pk,
            body=NOTE,
            note=True,
            files=[IncomingFile("internal.txt", "text/plain", b"internal")],
        )
        actions.ticket_escalate(actor=actor(agent), ticket_id=ticket.pk, to_line=3, reason="deep")
        actions.ticket_staff_reply(actor=actor(line3), ticket_id=ticket.pk, body="Patched the kernel")
    run_jobs()
    return ticket


def test_pages_show_a_customer_only_its_own_tickets(client: Client, owner_a, owner_b, department, worked_ticket):
    other = open_ticket(owner_b, department, subject="Beta private problem")
    log_in(client, owner_a.user)
    listing = client.get("/portal/tickets/").content.decode()
    assert "Server down" in listing
    assert "Beta private problem" not in listing
    assert client.get(f"/portal/tickets/{other.pk}/").status_code == 404
    assert client.post(f"/portal/tickets/{other.pk}/reply/", {"body": "x"}).status_code == 404
    assert client.get("/portal/tickets/?q=Beta").content.decode().count("Beta private problem") == 0
    other_file = Attachment.objects.create(
        ticket=other, message=other.messages.get(), filename="b.txt", size=1, storage_path="x/y", sha256=""
    )
    assert client.get(f"/portal/tickets/attachments/{other_file.pk}/").status_code == 404


def test_the_api_shows_a_customer_only_its_own_tickets(client: Client, owner_a, owner_b, department, worked_ticket):
    other = open_ticket(owner_b, department, subject="Beta private problem")
    _, token = api_token_for(owner_a.user)
    api = ApiClient(client, token=token)
    status, body = api.get("/helpdesk/tickets")
    assert status == 200
    assert [item["id"] for item in body["items"]] == [worked_ticket.pk]
    for path in (f"/helpdesk/tickets/{other.pk}", f"/helpdesk/tickets/{other.pk + 1000}"):
        assert api.get(path)[0] == 404
    assert api.post(f"/helpdesk/tickets/{other.pk}/messages", {"body": "hi"})[0] == 404
    assert api.post(f"/helpdesk/tickets/{other.pk}/rating", {"score": 1})[0] == 404
    other_file = open_ticket(
        owner_b, department, files=[IncomingFile("beta.txt", "text/plain", b"beta")]
    ).attachments.get()
    response = client.get(f"/api/v1/helpdesk/attachments/{other_file.pk}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert b"beta" not in response.content


def test_notes_and_line_three_names_never_reach_the_customer(client: Client, owner_a, worked_ticket):
    log_in(client, owner_a.user)
    page = client.get(f"/portal/tickets/{worked_ticket.pk}/").content.decode()
    assert "Patched the kernel" in page
    assert NOTE not in page
    assert "internal.txt" not in page
    assert ENGINEER not in page
    assert "Technical support" in page
    note_file = Attachment.objects.get(filename="internal.txt")
    assert client.get(f"/portal/tickets/attachments/{note_file.pk}/").status_code == 404
    status, body = ApiClient(client).get(f"/helpdesk/tickets/{worked_ticket.pk}")
    assert status == 200
    text = str(body)
    assert NOTE not in text
    assert ENGINEER not in text
    assert "internal.txt" not in text
    assert [message["author"] for message in body["messages"]][-1] == "Technical support"
    # Customers cannot find a note's words by searching.
    assert ApiClient(client).get("/helpdesk/tickets?q=NOTE")[1]["items"] == []
    # E-mail: only the public reply went out, from the department.
    [sent] = mail.outbox
    assert NOTE not in sent.body
    assert ENGINEER not in sent.body + sent.from_email + str(sent.message())
    assert sent.from_email == "Technical support <tech@villager.example>"
    assert all(NOTE not in str(alternative[0]) for alternative in sent.alternatives)


def test_staff_see_notes_and_who_wrote(client: Client, agent, worked_ticket):
    log_in(client, agent.user)
    page = client.get(f"/staff/helpdesk/tickets/{worked_ticket.pk}/").content.decode()
    assert NOTE in page
    assert ENGINEER in page
    note_file = Attachment.objects.get(filename="internal.txt")
    response = client.get(f"/staff/helpdesk/attachments/{note_file.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"internal"


def test_attachments_are_always_downloads(client: Client, owner_a, worked_ticket):
    log_in(client, owner_a.user)
    own = Attachment.objects.get(filename="alpha.txt")
    response = client.get(f"/portal/tickets/attachments/{own.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alpha.txt"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_customer_cannot_use_staff_pages_or_api(client: Client, owner_a, worked_ticket):
    log_in(client, owner_a.user)
    assert client.get(f"/staff/helpdesk/tickets/{worked_ticket.pk}/").status_code in (302, 403)
    assert ApiClient(client).get(f"/staff/helpdesk/tickets/{worked_ticket.pk}")[0] == 403


def test_open_and_reply_through_the_api(client: Client, owner_a, department):
    api = ApiClient(client, token=api_token_for(owner_a.user)[1])
    file = {"filename": "a.log", "content_base64": base64.b64encode(b"log").decode()}
    status, body = api.post(
        "/helpdesk/tickets",
        {"subject": "From the app", "body": "Hi", "department_id": department.pk, "attachments": [file]},
    )
    assert status == 201, body
    assert body["messages"][0]["attachments"][0]["filename"] == "a.log"
    status, reply = api.post(f"/helpdesk/tickets/{body['id']}/messages", {"body": "more"})
    assert (status, reply["body"], reply["from_staff"]) == (201, "more", False)


def test_the_ticket_list_costs_the_same_queries_for_2_or_12_tickets(client: Client, owner_a, department):
    api = ApiClient(client, token=api_token_for(owner_a.user)[1])
    for _ in range(2):
        open_ticket(owner_a, department)
    api.get("/helpdesk/tickets")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.get("/helpdesk/tickets")[0] == 200
    for _ in range(10):
        open_ticket(owner_a, department)
    with CaptureQueriesContext(connection) as many:
        assert api.get("/helpdesk/tickets")[0] == 200
    assert len(few) == len(many)


def test_staff_api_works_a_ticket(client: Client, owner_a, department, agent):
    ticket = open_ticket(owner_a, department)
    api = ApiClient(client, token=api_token_for(agent.user)[1])
    status, body = api.get("/staff/helpdesk/tickets")
    assert (status, [item["id"] for item in body["items"]]) == (200, [ticket.pk])
    assert api.post(f"/staff/helpdesk/tickets/{ticket.pk}/messages", {"body": "n", "note": True})[0] == 201
    assert api.post(f"/staff/helpdesk/tickets/{ticket.pk}/time", {"minutes": 15})[0] == 201
    status, detail = api.get(f"/staff/helpdesk/tickets/{ticket.pk}")
    assert [message["kind"] for message in detail["messages"]] == ["reply", "note"]
    assert detail["time_logs"][0]["minutes"] == 15
    status, escalated = api.post(f"/staff/helpdesk/tickets/{ticket.pk}/escalate", {"to_line": 2, "reason": "db"})
    assert (status, escalated["line"]) == (200, 2)


def test_the_api_ticket_lists_count_up_to_a_cap(client: Client, owner_a, department, agent, monkeypatch):
    monkeypatch.setattr("hostkeep.helpdesk.pagination.COUNT_CAP", 3)
    for number in range(5):
        open_ticket(owner_a, department, subject=f"Lag report {number}")
    customer = ApiClient(client, token=api_token_for(owner_a.user)[1])
    status, body = customer.get("/helpdesk/tickets?limit=2&offset=3")
    assert status == 200
    assert (len(body["items"]), body["count"], body["more"]) == (2, 3, True)
    status, body = customer.get("/helpdesk/tickets?q=report&limit=10")
    assert (len(body["items"]), body["count"], body["more"]) == (5, 3, True)
    monkeypatch.setattr("hostkeep.helpdesk.pagination.COUNT_CAP", 10)
    staff = ApiClient(client, token=api_token_for(agent.user)[1])
    status, body = staff.get("/staff/helpdesk/tickets?q=lag")
    assert (status, body["count"], body["more"]) == (200, 5, False)
