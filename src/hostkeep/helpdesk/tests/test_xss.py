"""XSS payloads in a subject, a body, a name, an attachment's name and a canned reply are inert
in the portal, the staff area, the API's HTML and outgoing e-mail."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client

from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.helpdesk import actions
from hostkeep.helpdesk.models import CannedReply
from hostkeep.helpdesk.rendering import markdown_to_html
from hostkeep.helpdesk.storage import IncomingFile
from hostkeep.helpdesk.tests.helpers import actor, open_ticket

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
LINK = "[click](javascript:alert(3))"
RAW_LINK = '<a href="javascript:alert(4)">x</a>'
SVG = "<svg onload=alert(5)>"
PAYLOAD = f"{SCRIPT} {IMG} {LINK} {RAW_LINK} {SVG}\n\n```\n{SCRIPT}\n```"


class ActiveContent(HTMLParser):
    """Collects what a browser would run: script elements with the payload, event handler
    attributes and javascript: URLs, of real elements only (escaped text is inert)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("svg", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        self.in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on") and value != "this.form.submit()":  # the site's language menu
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and "alert(" in data:
            self.found.append("script with the payload")


def assert_inert(html: str) -> None:
    parser = ActiveContent()
    parser.feed(html)
    assert parser.found == []


def test_the_renderer_keeps_code_and_drops_active_content():
    html = str(markdown_to_html(PAYLOAD + "\n\n**bold** [ok](https://example.com)"))
    assert_inert(html)
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>" in html


@pytest.fixture
def hostile(owner_a, department, agent, run_jobs, django_capture_on_commit_callbacks):
    owner_a.user.full_name = f"Mallory {SCRIPT}"
    owner_a.user.save()
    agent.user.full_name = f"Agent {IMG}"
    agent.user.save()
    canned = CannedReply.objects.create(title=f"Evil {SCRIPT}", body=f"Dear {{customer_name}} {IMG} {LINK}")
    ticket = open_ticket(
        owner_a, department, subject=f"Help {SCRIPT}", body=PAYLOAD,
        files=[IncomingFile(f'{SCRIPT}"><img src=x onerror=alert(6)>.txt', "text/html", b"<script>alert(7)</script>")],
    )  # fmt: skip
    filled = actions.ticket_staff_reply  # the agent inserts the canned reply and sends it
    from hostkeep.helpdesk.selectors import canned_reply_filled, ticket_for_staff

    body = canned_reply_filled(actor(agent), canned_id=canned.pk, ticket=ticket_for_staff(actor(agent), ticket.pk))
    with django_capture_on_commit_callbacks(execute=True):
        filled(actor=actor(agent), ticket_id=ticket.pk, body=body + "\n\n" + PAYLOAD)
    run_jobs()
    return ticket


def test_inert_in_the_portal(client: Client, owner_a, hostile):
    log_in(client, owner_a.user)
    for path in ("/portal/tickets/", f"/portal/tickets/{hostile.pk}/"):
        page = client.get(path).content.decode()
        assert "&lt;script&gt;" in page
        assert_inert(page)


def test_inert_in_the_staff_area(client: Client, agent, hostile):
    log_in(client, agent.user)
    for path in ("/staff/helpdesk/", f"/staff/helpdesk/tickets/{hostile.pk}/", "/staff/helpdesk/canned-replies/"):
        page = client.get(path).content.decode()
        assert_inert(page)


def test_inert_in_the_api_html(client: Client, owner_a, hostile):
    log_in(client, owner_a.user)
    status, body = ApiClient(client).get(f"/helpdesk/tickets/{hostile.pk}")
    assert status == 200
    for message in body["messages"]:
        assert_inert(message["body_html"])


def test_inert_in_outgoing_mail(hostile):
    [sent] = mail.outbox
    html = sent.alternatives[0][0]
    assert_inert(str(html))
    assert "&lt;script&gt;" in str(html)


def test_attachment_names_cannot_break_out_of_a_download(client: Client, owner_a, hostile):
    log_in(client, owner_a.user)
    attachment = hostile.attachments.get()
    response = client.get(f"/portal/tickets/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
