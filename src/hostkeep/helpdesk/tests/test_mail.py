"""Mail in and out: replies thread by token and by Message-ID; a reply from someone outside
the ticket's customer opens a new ticket for review; automatic mail and loops open nothing;
huge or overfull mails are refused on their own; outgoing mail carries threading headers and
cannot be used to inject headers."""

from __future__ import annotations

from email.utils import parseaddr

import pytest
from django.test import Client

from hostkeep.helpdesk import actions
from hostkeep.helpdesk.choices import Channel, InboundStatus, TicketStatus
from hostkeep.helpdesk.mail_in import mail_receive
from hostkeep.helpdesk.models import InboundMail, Mailbox, Ticket, TicketMessage
from hostkeep.helpdesk.tests.helpers import actor, open_ticket, raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(owner_a, department, agent, smtp_sink, run_jobs, django_capture_on_commit_callbacks):
    """A's ticket with one staff reply, sent over SMTP to the sink."""
    ticket = open_ticket(owner_a, department)
    with django_capture_on_commit_callbacks(execute=True):
        actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="Try **restarting**")
    run_jobs()
    assert len(smtp_sink.received) == 1
    return ticket, smtp_sink.received[0]


def test_the_reply_mail_carries_threading_headers(owner_a, answered):
    ticket, sent = answered
    token = ticket.reply_token
    assert sent["To"] == owner_a.user.email
    assert sent["Reply-To"] == f"support+{token}@localhost"
    assert sent["Subject"] == f"Re: Server down [#{token}]"
    assert parseaddr(sent["From"]) == ("Pieter Agent (Technical support)", "tech@villager.example")
    reply = TicketMessage.objects.filter(ticket=ticket, author_kind="staff").get()
    assert sent["Message-ID"] == reply.email_message_id
    html = next(part for part in sent.walk() if part.get_content_type() == "text/html").get_content()
    assert "<strong>restarting</strong>" in html


def test_replies_thread_by_token_address_subject_or_message_id(owner_a, answered):
    ticket, sent = answered
    by_address = raw_mail(sender=owner_a.user.email, to=sent["Reply-To"], body="one", message_id="<1@a>")
    by_subject = raw_mail(sender=owner_a.user.email, subject=sent["Subject"], body="two", message_id="<2@a>")
    by_header = raw_mail(
        sender=owner_a.user.email, subject="Re: Server down", body="three", message_id="<3@a>",
        headers={"In-Reply-To": sent["Message-ID"], "References": sent["Message-ID"]},
    )  # fmt: skip
    for raw in (by_address, by_subject, by_header):
        outcome = mail_receive(raw=raw)
        assert (outcome.status, outcome.ticket_id) == (InboundStatus.ACCEPTED, ticket.pk)
    bodies = list(ticket.messages.filter(channel=Channel.EMAIL).values_list("body", flat=True))
    assert bodies == ["one", "two", "three"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_ON_STAFF
    assert Ticket.objects.count() == 1
    # The same mail again (same Message-ID) is not added twice.
    assert mail_receive(raw=by_header).status == InboundStatus.IGNORED
    assert ticket.messages.filter(channel=Channel.EMAIL).count() == 3


def test_a_spoofed_reply_from_another_customer_opens_a_ticket_for_review(owner_a, owner_b, answered):
    ticket, sent = answered
    spoof = raw_mail(
        sender=owner_b.user.email, to=sent["Reply-To"], subject=sent["Subject"], body="give me access",
        headers={"In-Reply-To": sent["Message-ID"]}, message_id="<spoof@b>",
    )  # fmt: skip
    outcome = mail_receive(raw=spoof)
    assert outcome.status == InboundStatus.ACCEPTED
    assert outcome.ticket_id != ticket.pk
    new = Ticket.objects.get(pk=outcome.ticket_id)
    assert (new.customer, new.needs_review, new.requester_email) == (None, True, owner_b.user.email)
    assert not ticket.messages.filter(body="give me access").exists()
    assert "[#" not in new.subject


def test_a_mail_from_a_known_contact_opens_a_ticket_for_its_customer(owner_a, department):
    outcome = mail_receive(raw=raw_mail(sender=owner_a.user.email, subject="New problem", message_id="<n@a>"))
    ticket = Ticket.objects.get(pk=outcome.ticket_id)
    assert (ticket.customer, ticket.contact, ticket.channel, ticket.needs_review) == (
        owner_a.customer, owner_a, Channel.EMAIL, False,
    )  # fmt: skip


def test_an_unknown_sender_opens_an_unmatched_ticket(department):
    outcome = mail_receive(raw=raw_mail(sender="stranger@example.org", message_id="<s@x>"))
    ticket = Ticket.objects.get(pk=outcome.ticket_id)
    assert (ticket.customer, ticket.needs_review) == (None, True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_mail_opens_nothing(department, headers):
    outcome = mail_receive(raw=raw_mail(sender="someone@example.org", headers=headers, message_id="<auto@x>"))
    assert outcome.status == InboundStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_bounces_open_nothing(department):
    outcome = mail_receive(raw=raw_mail(sender="MAILER-DAEMON@example.org", subject="Undeliverable"))
    assert outcome.status == InboundStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_an_auto_reply_loop_is_stopped(department, settings):
    """An autoresponder that sets no header at all: after the hourly limit its mail is dropped."""
    settings.HELPDESK_SENDER_HOURLY_LIMIT = 5
    outcomes = [
        mail_receive(raw=raw_mail(sender="robot@example.org", subject=f"Out of office {n}", message_id=f"<r{n}@x>"))
        for n in range(8)
    ]
    assert [outcome.status for outcome in outcomes] == [InboundStatus.ACCEPTED] * 5 + [InboundStatus.IGNORED] * 3
    assert Ticket.objects.count() == 5
    assert InboundMail.objects.filter(status=InboundStatus.IGNORED).count() == 3


def test_our_own_mail_coming_back_opens_nothing(department, settings):
    settings.HELPDESK_REPLY_ADDRESS = "support@villager.example"
    outcome = mail_receive(raw=raw_mail(sender="support+0123456789abcdef@villager.example"))
    assert outcome.status == InboundStatus.IGNORED


def test_huge_and_overfull_mails_are_refused_and_the_next_one_is_taken(owner_a, department):
    huge = raw_mail(
        sender=owner_a.user.email, message_id="<huge@a>", attachments=[("big.iso", b"x" * (30 * 1024 * 1024))]
    )
    many = raw_mail(
        sender=owner_a.user.email, message_id="<many@a>", attachments=[(f"f{n}.txt", b"x") for n in range(200)]
    )
    broken = b"From: " + owner_a.user.email.encode() + b"\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\xff\xfe"
    fine = raw_mail(sender=owner_a.user.email, subject="Still here", message_id="<fine@a>")
    outcomes = [mail_receive(raw=raw) for raw in (huge, many, broken, fine)]
    assert [outcome.status for outcome in outcomes[:2]] == [InboundStatus.REFUSED, InboundStatus.REFUSED]
    assert "over the limit" in outcomes[0].reason
    assert "200 attachments" in outcomes[1].reason
    assert outcomes[3].status == InboundStatus.ACCEPTED
    assert Ticket.objects.filter(subject="Still here").count() == 1
    assert (
        InboundMail.objects.filter(status=InboundStatus.REFUSED, message_id__in=["<huge@a>", "<many@a>"]).count() == 2
    )


def test_no_header_injection_through_subject_or_names(owner_a, department, agent, smtp_sink, run_jobs,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    ticket = open_ticket(owner_a, department, subject="Hi\r\nBcc: victim@example.org\r\nX-Evil: 1")
    agent.user.full_name = "Eve\r\nBcc: victim2@example.org"
    agent.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.ticket_staff_reply(actor=actor(agent), ticket_id=ticket.pk, body="ok")
    run_jobs()
    [raw] = smtp_sink.raw
    headers = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\nbcc:" not in headers
    assert b"\nx-evil:" not in headers
    [sent] = smtp_sink.received
    assert sent["Bcc"] is None
    assert sent["X-Evil"] is None


def test_the_inbound_webhook_takes_raw_mime(client: Client, owner_a, department, settings):
    settings.HELPDESK_INBOUND_SECRET = "hook-secret"
    raw = raw_mail(sender=owner_a.user.email, subject="By webhook", message_id="<hook@a>")
    assert client.post("/helpdesk/inbound/wrong/", raw, content_type="message/rfc822").status_code == 404
    response = client.post("/helpdesk/inbound/hook-secret/", raw, content_type="message/rfc822")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Ticket.objects.get().subject == "By webhook"


def test_mail_to_a_mailbox_goes_to_its_department(owner_a, department):
    from hostkeep.helpdesk.models import Department

    billing = Department.objects.create(name="Billing")
    mailbox = Mailbox.objects.create(
        name="billing", address="billing@x", host="127.0.0.1", username="u", password="p", department=billing
    )
    outcome = mail_receive(raw=raw_mail(sender=owner_a.user.email, message_id="<d@a>"), mailbox=mailbox)
    assert Ticket.objects.get(pk=outcome.ticket_id).department == billing
