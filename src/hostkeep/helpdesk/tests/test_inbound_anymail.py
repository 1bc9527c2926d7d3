"""Mail posted by an e-mail service to django-anymail's inbound webhooks (Postmark, Mailgun,
SparkPost payloads in their documented formats) takes the same path as IMAP mail: a known
contact opens a ticket, a reply with the ticket's token joins it, mail to a mailbox's address
goes to its department. A wrong basic-auth secret or a wrong Mailgun signature is refused and
creates nothing; without a webhook secret configured the endpoints do not exist."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from hostkeep.helpdesk.choices import Channel, InboundStatus
from hostkeep.helpdesk.models import Department, InboundMail, Mailbox, Ticket, TicketMessage
from hostkeep.helpdesk.tests.helpers import open_ticket, raw_mail

pytestmark = pytest.mark.django_db

SECRET = "hook-user:hook-password"
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture(autouse=True)
def _anymail_secrets(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def basic_auth(credentials: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def postmark_payload(*, sender: str, subject: str, text: str, message_id: str, to: str = "support@villager.example"):
    """Postmark's inbound JSON (parsed fields, no RawEmail), as its documentation shows it."""
    return {
        "FromName": "Alpha Owner",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Alpha Owner", "MailboxHash": ""},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Fri, 1 Aug 2025 16:45:32 -0400",
        "TextBody": text,
        "HtmlBody": f"<p>{text}</p>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {"Name": "Message-ID", "Value": message_id},
            {"Name": "X-Spam-Status", "Value": "No"},
        ],
        "Attachments": [
            {
                "Name": "server.log",
                "Content": base64.b64encode(b"[12:00] crashed\n").decode(),
                "ContentType": "text/plain",
                "ContentLength": 16,
            }
        ],
    }


def post_postmark(client: Client, payload: dict, **headers: str):
    return client.post(
        "/helpdesk/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json", **headers
    )


def test_postmark_inbound_opens_a_ticket_for_a_known_contact(client: Client, owner_a, department):
    payload = postmark_payload(
        sender=owner_a.user.email, subject="Server is down", text="It stopped at 12:00", message_id="<pm-1@alpha>"
    )
    response = post_postmark(client, payload, **basic_auth())
    assert response.status_code == 200
    [outcome] = response.json()["received"]
    assert outcome["status"] == InboundStatus.ACCEPTED
    ticket = Ticket.objects.get()
    assert outcome["ticket"] == ticket.pk
    assert (ticket.customer, ticket.contact, ticket.channel, ticket.subject) == (
        owner_a.customer,
        owner_a,
        Channel.EMAIL,
        "Server is down",
    )
    message = ticket.messages.get()
    assert (message.body, message.email_message_id) == ("It stopped at 12:00", "<pm-1@alpha>")
    assert message.attachments.get().filename == "server.log"
    assert InboundMail.objects.get().status == InboundStatus.ACCEPTED

    # The same mail posted again (a service retry) is recorded once and opens nothing.
    again = post_postmark(client, payload, **basic_auth())
    assert again.json()["received"][0]["reason"] == "duplicate"
    assert (Ticket.objects.count(), TicketMessage.objects.count()) == (1, 1)


def test_postmark_raw_email_reply_with_the_token_joins_the_ticket(client: Client, owner_a, department):
    ticket = open_ticket(owner_a, department)
    raw = raw_mail(
        sender=owner_a.user.email,
        to=f"support+{ticket.reply_token}@villager.example",
        subject="Re: Server down",
        body="Still down",
        message_id="<pm-reply@alpha>",
    )
    payload = {
        **postmark_payload(sender=owner_a.user.email, subject="Re: Server down", text="x", message_id="<x@x>"),
        "RawEmail": raw.decode(),
    }
    response = post_postmark(client, payload, **basic_auth())
    assert response.json()["received"][0]["ticket"] == ticket.pk
    assert list(ticket.messages.values_list("body", flat=True)) == ["It **crashed**", "Still down"]
    assert Ticket.objects.count() == 1


def test_a_spoofed_reply_from_another_customer_opens_a_review_ticket(client: Client, owner_a, owner_b, department):
    ticket = open_ticket(owner_a, department)
    raw = raw_mail(
        sender=owner_b.user.email,
        to=f"support+{ticket.reply_token}@villager.example",
        subject="Re: Server down",
        body="let me in",
        message_id="<spoof@beta>",
    )
    payload = {**postmark_payload(sender=owner_b.user.email, subject="s", text="x", message_id="<y@y>")}
    payload["RawEmail"] = raw.decode()
    post_postmark(client, payload, **basic_auth())
    assert ticket.messages.count() == 1
    stranger = Ticket.objects.exclude(pk=ticket.pk).get()
    assert (stranger.customer, stranger.needs_review) == (None, True)


@pytest.mark.parametrize("credentials", ["hook-user:wrong", "someone:hook-password", None])
def test_postmark_with_a_wrong_or_missing_secret_is_refused_and_creates_nothing(
    client: Client, owner_a, department, credentials
):
    payload = postmark_payload(sender=owner_a.user.email, subject="s", text="t", message_id="<pm-bad@alpha>")
    headers = basic_auth(credentials) if credentials else {}
    assert post_postmark(client, payload, **headers).status_code == 400
    assert (Ticket.objects.count(), InboundMail.objects.count()) == (0, 0)


def test_without_a_webhook_secret_the_endpoints_do_not_exist(client: Client, owner_a, department, settings):
    settings.ANYMAIL = {}
    payload = postmark_payload(sender=owner_a.user.email, subject="s", text="t", message_id="<pm-off@alpha>")
    assert post_postmark(client, payload).status_code == 404
    assert post_postmark(client, payload, **basic_auth()).status_code == 404
    assert (Ticket.objects.count(), InboundMail.objects.count()) == (0, 0)


def mailgun_fields(raw: bytes, *, key: str = SIGNING_KEY, recipient: str = "billing@villager.example") -> dict:
    """Mailgun's forward() of a route to the ``mime`` URL: the raw message in ``body-mime``,
    signed with the webhook signing key over timestamp + token."""
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": recipient,
        "sender": "bounce@alpha.example",
        "subject": "Invoice question",
        "body-mime": raw.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def test_mailgun_inbound_goes_to_the_department_of_the_mailbox_it_was_sent_to(client: Client, owner_a, department):
    billing = Department.objects.create(name="Billing")
    Mailbox.objects.create(
        name="billing", address="billing@villager.example", host="127.0.0.1", username="u", password="p",
        department=billing,
    )  # fmt: skip
    raw = raw_mail(
        sender=owner_a.user.email,
        to="billing@villager.example",
        subject="Invoice question",
        body="Why two lines?",
        message_id="<mg-1@alpha>",
    )
    response = client.post("/helpdesk/anymail/mailgun/inbound/", mailgun_fields(raw), **basic_auth())
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.department, ticket.customer, ticket.subject) == (billing, owner_a.customer, "Invoice question")


def test_mailgun_with_a_wrong_signature_or_no_signing_key_is_refused(client: Client, owner_a, department, settings):
    raw = raw_mail(sender=owner_a.user.email, subject="Forged", message_id="<mg-forged@alpha>")
    forged = mailgun_fields(raw, key="not-the-key")
    assert client.post("/helpdesk/anymail/mailgun/inbound/", forged, **basic_auth()).status_code == 400
    right = mailgun_fields(raw)
    assert client.post("/helpdesk/anymail/mailgun/inbound/", right, **basic_auth("x:y")).status_code == 400
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert client.post("/helpdesk/anymail/mailgun/inbound/", right, **basic_auth()).status_code == 404
    assert (Ticket.objects.count(), InboundMail.objects.count()) == (0, 0)


def test_sparkpost_relay_message_and_an_auto_reply_loop(client: Client, owner_a, department):
    def relay(raw: bytes) -> str:
        event = {
            "msys": {
                "relay_message": {
                    "content": {
                        "email_rfc822": base64.b64encode(raw).decode(),
                        "email_rfc822_is_base64": True,
                        "headers": [],
                        "html": "",
                        "subject": "",
                        "text": "",
                        "to": ["support@villager.example"],
                    },
                    "customer_id": "1337",
                    "friendly_from": owner_a.user.email,
                    "msg_from": owner_a.user.email,
                    "rcpt_to": "support@villager.example",
                    "webhook_id": "739564",
                    "protocol": "smtp",
                }
            }
        }
        return json.dumps([event])

    person = raw_mail(sender=owner_a.user.email, subject="Via SparkPost", message_id="<sp-1@alpha>")
    robot = raw_mail(
        sender=owner_a.user.email, subject="Out of office", message_id="<sp-2@alpha>",
        headers={"Auto-Submitted": "auto-replied"},
    )  # fmt: skip
    for raw in (person, robot):
        response = client.post(
            "/helpdesk/anymail/sparkpost/inbound/", relay(raw), content_type="application/json", **basic_auth()
        )
        assert response.status_code == 200
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Via SparkPost"]
    assert InboundMail.objects.get(message_id="<sp-2@alpha>").status == InboundStatus.IGNORED
