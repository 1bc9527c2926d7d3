"""Conversation mail: a public staff reply goes to the ticket's people with threading headers
(Message-ID, In-Reply-To, References) and the ticket token in Reply-To and the subject. Names
and subjects are made header-safe; the body is the sanitised Markdown. Notes never get here."""

from __future__ import annotations

import email.utils

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from hostkeep.helpdesk.choices import AuthorKind, MessageKind
from hostkeep.helpdesk.models import Ticket, TicketMessage
from hostkeep.helpdesk.rendering import header_safe, markdown_to_html


def reply_address(ticket: Ticket) -> str:
    local, _, domain = settings.HELPDESK_REPLY_ADDRESS.partition("@")
    return f"{local}+{ticket.reply_token}@{domain}"


def subject_line(ticket: Ticket) -> str:
    return f"Re: {header_safe(ticket.subject, limit=180)} [#{ticket.reply_token}]"


def recipients(ticket: Ticket) -> list[str]:
    found: list[str] = []
    if ticket.contact is not None:
        found.append(ticket.contact.user.email)
    elif ticket.requester_email:
        found.append(ticket.requester_email)
    found.extend(ticket.watchers.values_list("user__email", flat=True))
    unique: dict[str, str] = {}
    for address in found:
        unique.setdefault(address.lower(), address)
    return list(unique.values())


def build(message: TicketMessage) -> EmailMultiAlternatives | None:
    """The mail for one public staff reply, or None when there is no one to send it to."""
    if message.kind != MessageKind.REPLY or message.author_kind == AuthorKind.CUSTOMER:
        return None
    ticket = message.ticket
    to = recipients(ticket)
    if not to:
        return None
    department = ticket.department
    _, default_address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    from_address = department.email or default_address or settings.HELPDESK_REPLY_ADDRESS
    if message.sent_as_department or not message.public_author_name:
        display = department.name
    else:
        display = f"{message.public_author_name} ({department.name})"
    domain = settings.HELPDESK_REPLY_ADDRESS.partition("@")[2] or "localhost"
    message_id = email.utils.make_msgid(idstring=f"hk{ticket.pk}.{message.pk}", domain=domain)
    earlier = list(
        TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY, id__lt=message.pk)
        .exclude(email_message_id="")
        .order_by("id")
        .values_list("email_message_id", flat=True)
    )
    headers = {"Message-ID": message_id, "X-Hostkeep-Ticket": str(ticket.pk)}
    if earlier:
        headers["In-Reply-To"] = earlier[-1]
        headers["References"] = " ".join(earlier[-10:])
    language = ticket.customer.language if ticket.customer else settings.LANGUAGE_CODE
    context = {
        "ticket": ticket,
        "author": display,
        "body_html": markdown_to_html(message.body),
        "body_text": message.body,
    }
    with translation.override(language):
        text = render_to_string("helpdesk/email/reply.txt", context)
        html = render_to_string("helpdesk/email/reply.html", context)
    mail = EmailMultiAlternatives(
        subject=subject_line(ticket),
        body=text,
        from_email=email.utils.formataddr((header_safe(display, limit=120), from_address)),
        to=to,
        reply_to=[reply_address(ticket)],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        from hostkeep.helpdesk import storage

        mail.attach(attachment.filename, storage.path_of(attachment.storage_path).read_bytes(), attachment.content_type)
    return mail


def message_mail_send(*, message_id: int) -> str:
    """Send one reply's mail once: the Message-ID is saved after sending, and a message that
    has one is not sent again."""
    message = (
        TicketMessage.objects.select_related("ticket__department", "ticket__contact__user", "ticket__customer")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.email_message_id:
        return ""
    mail = build(message)
    if mail is None:
        return ""
    mail.send()
    TicketMessage.objects.filter(pk=message.pk, email_message_id="").update(
        email_message_id=mail.extra_headers["Message-ID"]
    )
    return str(mail.extra_headers["Message-ID"])
