"""Mail into tickets, from IMAP polling or the inbound webhook. One mail is handled on its own
(its own transaction, its own refusal), so a huge or malformed mail never stalls the rest.

Threading: the ticket token in a ``+token`` address or ``[#token]`` in the subject, else the
In-Reply-To/References ids of earlier messages. A reply joins a ticket only when its sender
belongs to that ticket (a contact of its customer, or its original requester); anyone else
opens a new ticket for staff to review. Automatic mail (Auto-Submitted, Precedence, bounces,
a sender writing too often) never opens or joins a ticket.

A refused mail (too large, too many or too large attachments, unreadable, nowhere to file it)
is answered once with a short notice saying so, unless it is automatic mail or its sender
already got NOTICES_PER_SENDER_HOUR notices this hour; the notice itself is marked Auto-Submitted, so
well-behaved systems do not answer it, and a loop stops at that hourly cap."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Contact
from hostkeep.core import clock
from hostkeep.core.actions import AuditActor
from hostkeep.core.errors import ValidationFailed
from hostkeep.helpdesk import actions
from hostkeep.helpdesk.choices import Channel, InboundStatus
from hostkeep.helpdesk.models import Department, InboundMail, Mailbox, Ticket, TicketMessage
from hostkeep.helpdesk.rendering import header_safe
from hostkeep.helpdesk.storage import IncomingFile

logger = logging.getLogger(__name__)

TOKEN_IN_ADDRESS = re.compile(r"\+([0-9a-f]{16})@", re.IGNORECASE)
TOKEN_IN_SUBJECT = re.compile(r"\[#([0-9a-f]{16})\]", re.IGNORECASE)
MESSAGE_IDS = re.compile(r"<[^<>\s]+>")
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)(\+[^@]*)?@", re.IGNORECASE)
NOTICES_PER_SENDER_HOUR = 3
# Why a mail was refused, as the notice tells its sender.
TOO_LARGE, TOO_MANY_FILES, FILE_TOO_LARGE, UNREADABLE, NOT_ACCEPTED = (
    "too_large", "too_many_files", "file_too_large", "unreadable", "not_accepted",
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str = ""
    ticket_id: int | None = None


def _headers(raw: bytes) -> Message:
    return BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024], headersonly=True)


def _message_id(headers: Message, raw: bytes) -> str:
    found = MESSAGE_IDS.findall(str(headers.get("Message-ID", "")))
    if found:
        return str(found[0])[:998]
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@hostkeep.invalid>"


def _automatic_reason(headers: Message, sender: str, *, recent_from_sender: int) -> str:
    """Why a mail is automatic (and must not open a ticket), or '' for a person's mail.
    ``recent_from_sender`` is how many mails this sender sent in the last hour."""
    auto = str(headers.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"[:300]
    precedence = str(headers.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "List-Id", "X-Loop"):
        if headers.get(header) is not None:
            return f"{header} present"
    if headers.get_content_type() == "multipart/report":
        return "delivery report"
    if str(headers.get("Return-Path", "")).strip() == "<>":
        return "empty return path"
    if not sender or AUTOMATIC_SENDERS.match(sender):
        return "automatic sender"
    own = settings.HELPDESK_REPLY_ADDRESS.lower()
    local, _, domain = own.partition("@")
    if sender.startswith(local + "@") or (sender.startswith(local + "+") and sender.endswith("@" + domain)):
        return "our own address"
    if recent_from_sender >= settings.HELPDESK_SENDER_HOURLY_LIMIT:
        return "too many mails from this sender (loop)"
    return ""


def _history(message_id: str, sender: str) -> tuple[bool, int]:
    """In one query (per mail, so plain SQL): whether this Message-ID came in before, and how
    many mails the sender sent in the last hour."""
    since = clock.now() - dt.timedelta(hours=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(CASE WHEN message_id = %s THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN sender = %s AND received_at >= %s THEN 1 ELSE 0 END), 0) "
            "FROM helpdesk_inboundmail WHERE message_id = %s OR (sender = %s AND sender <> '' AND received_at >= %s)",
            [message_id, sender, since, message_id, sender, since],
        )
        duplicates, recent = cursor.fetchone()
    return bool(duplicates), int(recent)


def _record(message_id: str, *, mailbox: Mailbox | None, sender: str, subject: str, size: int, status: str,
            reason: str = "", ticket: Ticket | None = None) -> InboundMail | None:  # fmt: skip
    """Insert the mail's record; None if this Message-ID was seen already."""
    try:
        with transaction.atomic():
            return InboundMail.objects.create(
                message_id=message_id,
                mailbox=mailbox,
                sender=sender[:254],
                subject=subject[:250],
                size=size,
                status=status,
                reason=reason[:300],
                ticket=ticket,
                received_at=clock.now(),
            )
    except IntegrityError:
        return None


def _sender(headers: Message) -> tuple[str, str]:
    name, address = email.utils.parseaddr(str(headers.get("From", "")))
    return (name or "").strip()[:200], (address or "").strip().lower()[:254]


def _find_ticket(parsed: AnymailInboundMessage, subject: str) -> Ticket | None:
    recipients = " ".join(
        str(parsed.get(header, "")) for header in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    )
    token_match = TOKEN_IN_ADDRESS.search(recipients) or TOKEN_IN_SUBJECT.search(subject)
    if token_match:
        ticket = Ticket.objects.filter(reply_token=token_match.group(1).lower()).first()
        if ticket is not None:
            return ticket
    ids = MESSAGE_IDS.findall(f"{parsed.get('In-Reply-To', '')} {parsed.get('References', '')}")
    if ids:
        message = (
            TicketMessage.objects.filter(email_message_id__in=ids[-20:])
            .select_related("ticket")
            .order_by("-id")
            .first()
        )
        if message is not None:
            return message.ticket
    return None


def _belongs(ticket: Ticket, sender: str) -> bool:
    if ticket.customer_id is None:
        return bool(ticket.requester_email) and ticket.requester_email.lower() == sender
    if ticket.requester_email.lower() == sender and ticket.contact_id is None and not ticket.needs_review:
        return True  # a widget requester who is not a login
    return Contact.objects.filter(customer_id=ticket.customer_id, user__email__iexact=sender).exists()


def _body(parsed: AnymailInboundMessage) -> str:
    text = parsed.text
    if not text and parsed.html:
        import nh3

        text = nh3.clean(parsed.html, tags=set())
    return (text or "").strip() or "(no text)"


def _files(parsed: AnymailInboundMessage) -> list[IncomingFile]:
    files = []
    for part in parsed.attachments:
        data = part.get_content_bytes() or b""
        files.append(IncomingFile(part.get_filename() or "attachment", part.get_content_type(), data))
    return files


def mail_receive(*, raw: bytes, mailbox: Mailbox | None = None, size: int | None = None) -> Outcome:
    """Turn one raw mail into a ticket or a reply, or record why not. Never raises for a bad
    mail: the caller moves on to the next. ``size`` is the real size when only the headers
    of a mail too large to download are given."""
    try:
        headers = _headers(raw)
    except Exception:  # a mail too broken to read its headers
        headers = Message()
    message_id = _message_id(headers, raw)
    sender_name, sender = _sender(headers)
    subject = str(headers.get("Subject", ""))[:250]
    size = max(size or 0, len(raw))

    duplicate, recent_from_sender = _history(message_id, sender)
    if duplicate:
        return Outcome(InboundStatus.IGNORED, "duplicate")
    automatic = _automatic_reason(headers, sender, recent_from_sender=recent_from_sender)

    def refuse(status: str, reason: str, why: str = "") -> Outcome:
        record = _record(
            message_id, mailbox=mailbox, sender=sender, subject=subject, size=size, status=status, reason=reason
        )
        logger.info("inbound mail %s from %s %s: %s", message_id, sender, status, reason)
        if record is not None and why and not automatic:
            _refusal_notice_later(record, why)
        return Outcome(status, reason)

    if size > settings.HELPDESK_MAIL_MAX_BYTES:
        return refuse(InboundStatus.REFUSED, f"mail of {size} bytes is over the limit", TOO_LARGE)
    if automatic:
        return refuse(InboundStatus.IGNORED, automatic)
    try:
        parsed = AnymailInboundMessage.parse_raw_mime_bytes(raw)
        subject = str(parsed.subject or "").strip()[:250] or "(no subject)"
        body = _body(parsed)
        files = _files(parsed)
    except Exception as error:
        return refuse(InboundStatus.REFUSED, f"malformed mail: {type(error).__name__}", UNREADABLE)
    if len(files) > settings.HELPDESK_MAX_ATTACHMENTS:
        return refuse(InboundStatus.REFUSED, f"{len(files)} attachments is over the limit", TOO_MANY_FILES)
    if any(len(item.data) > settings.HELPDESK_ATTACHMENT_MAX_BYTES for item in files):
        return refuse(InboundStatus.REFUSED, "an attachment is over the size limit", FILE_TOO_LARGE)
    try:
        with transaction.atomic():
            ticket = _deliver(
                parsed, mailbox=mailbox, subject=subject, body=body, files=files, sender=sender,
                sender_name=sender_name, message_id=message_id,
            )  # fmt: skip
            if _record(
                message_id, mailbox=mailbox, sender=sender, subject=subject, size=size,
                status=InboundStatus.ACCEPTED, ticket=ticket,
            ) is None:  # fmt: skip
                transaction.set_rollback(True)
                return Outcome(InboundStatus.IGNORED, "duplicate")
    except ValidationFailed as error:
        return refuse(InboundStatus.REFUSED, error.message, NOT_ACCEPTED)
    return Outcome(InboundStatus.ACCEPTED, ticket_id=ticket.pk)


def _deliver(
    parsed: AnymailInboundMessage,
    *,
    mailbox: Mailbox | None,
    subject: str,
    body: str,
    files: list[IncomingFile],
    sender: str,
    sender_name: str,
    message_id: str,
) -> Ticket:
    existing = _find_ticket(parsed, subject)
    if existing is not None and _belongs(existing, sender):
        ticket = Ticket.objects.select_for_update().get(pk=existing.pk)
        actions.mail_customer_reply(
            ticket=ticket, body=body, sender=sender, sender_name=sender_name, files=files, email_message_id=message_id
        )
        return ticket
    department = mailbox.department if mailbox else Department.objects.order_by("sort_order", "id").first()
    if department is None:
        raise ValidationFailed("no department to receive mail")
    contacts = list(
        Contact.objects.filter(user__email__iexact=sender, user__is_active=True).select_related("customer", "user")[:2]
    )
    # A reply that names someone else's ticket is never joined to it, and never guessed onto
    # an account either: staff look at it.
    known = contacts[0] if len(contacts) == 1 and existing is None else None
    cleaned_subject = TOKEN_IN_SUBJECT.sub("", subject).strip() or subject
    return actions.ticket_create(
        audit_actor=AuditActor(kind="system", label=f"mail from {sender}"[:254]),
        subject=cleaned_subject,
        body=body,
        department=department,
        channel=Channel.EMAIL,
        customer=known.customer if known else None,
        contact=known,
        requester_email=sender,
        requester_name=sender_name,
        files=files,
        needs_review=known is None,
        email_message_id=message_id,
        author_user=known.user if known else None,
    )


# --- telling the sender of a refused mail -------------------------------------------------


def _refusal_notice_later(record: InboundMail, why: str) -> None:
    """Send the notice by a job after the record is committed (never inside the transaction)."""
    inbound_id = record.pk

    def enqueue() -> None:
        from hostkeep.helpdesk.tasks import inbound_refusal_notice

        inbound_refusal_notice.enqueue(inbound_id=inbound_id, why=why)

    transaction.on_commit(enqueue)


def _notice_text(why: str) -> str:
    limit_mb = {
        TOO_LARGE: settings.HELPDESK_MAIL_MAX_BYTES // (1024 * 1024),
        FILE_TOO_LARGE: settings.HELPDESK_ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
    reasons = {
        TOO_LARGE: _("It is larger than %(size)s MB.") % {"size": limit_mb[TOO_LARGE]},
        TOO_MANY_FILES: _("It has more than %(count)s attachments.") % {"count": settings.HELPDESK_MAX_ATTACHMENTS},
        FILE_TOO_LARGE: _("An attachment is larger than %(size)s MB.") % {"size": limit_mb[FILE_TOO_LARGE]},
        UNREADABLE: _("It could not be read."),
    }
    return "\n\n".join(
        (
            _("Your message to our support was not accepted and did not open a ticket."),
            reasons.get(why, _("It could not be accepted.")),
            _("Please send it again without it, or open a ticket on our website."),
            _("This notice was sent automatically; replies to it are not read."),
        )
    )


def _notice_language(sender: str) -> str:
    contact = Contact.objects.filter(user__email__iexact=sender).select_related("customer").first()
    return contact.customer.language if contact is not None else settings.LANGUAGE_CODE


def refusal_notice_send(*, inbound_id: int, why: str) -> bool:
    """Tell the sender of a refused mail, once, that it was refused. The notice is claimed on
    the record before it is sent (a crash loses it rather than sending it twice) and released
    if sending fails, so a retry sends it. Not sent to automatic senders (checked when the
    mail came in) or past NOTICES_PER_SENDER_HOUR notices to one address in an hour."""
    record = InboundMail.objects.filter(pk=inbound_id, status=InboundStatus.REFUSED).select_related("mailbox").first()
    if record is None or not record.sender or record.refusal_noticed_at is not None:
        return False
    now = clock.now()
    recent = InboundMail.objects.filter(
        sender=record.sender, refusal_noticed_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= NOTICES_PER_SENDER_HOUR:
        return False
    if not InboundMail.objects.filter(pk=record.pk, refusal_noticed_at__isnull=True).update(refusal_noticed_at=now):
        return False  # another worker has it
    from_address = record.mailbox.address if record.mailbox else settings.HELPDESK_REPLY_ADDRESS
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply"}
    if not record.message_id.endswith("@hostkeep.invalid>"):
        headers["In-Reply-To"] = record.message_id
        headers["References"] = record.message_id
    with translation.override(_notice_language(record.sender)):
        subject = _("Not delivered: %(subject)s") % {"subject": header_safe(record.subject, limit=150)}
        body = _notice_text(why)
    mail = EmailMessage(subject=subject, body=body, from_email=from_address, to=[record.sender], headers=headers)
    try:
        mail.send()
    except ValueError:  # an address no mail can be sent to (BadHeaderError is one): never retried
        logger.info("refusal notice of inbound mail %s not sent: bad address %r", record.pk, record.sender)
        return False
    except Exception:
        InboundMail.objects.filter(pk=record.pk).update(refusal_noticed_at=None)
        raise
    return True
