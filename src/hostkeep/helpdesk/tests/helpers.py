"""Building blocks of helpdesk tests: actors and raw mails."""

from __future__ import annotations

from email.message import EmailMessage

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.helpdesk import actions
from hostkeep.helpdesk.models import Ticket


def actor(person):
    return actor_for_user(person.user)


def open_ticket(contact, department, *, subject="Server down", body="It **crashed**", files=None) -> Ticket:
    return actions.ticket_open(
        actor=actor(contact), subject=subject, body=body, department_id=department.pk, files=files or []
    )


def raw_mail(
    *,
    sender: str,
    subject: str = "Help",
    body: str = "Please help",
    to: str = "support@villager.example",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, data in attachments or []:
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return mail.as_bytes()
