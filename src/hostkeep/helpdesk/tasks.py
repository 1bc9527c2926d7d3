"""Jobs of helpdesk: sending a reply's mail, polling the IMAP mailboxes, the SLA watch."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

from crontask import cron
from django.conf import settings
from django.tasks import task

from hostkeep.core.errors import RetryableError
from hostkeep.core.jobs import with_retries
from hostkeep.helpdesk import actions, imap, mail_in, mail_out
from hostkeep.helpdesk.models import Mailbox


@task()
@with_retries(max_attempts=8, base_seconds=30)
def ticket_message_mail(*, message_id: int, attempt: int = 1) -> str:
    try:
        return mail_out.message_mail_send(message_id=message_id)
    except (smtplib.SMTPException, OSError) as error:
        raise RetryableError(f"mail of ticket message {message_id}: {error}") from error


@task()
@with_retries(max_attempts=8, base_seconds=30)
def inbound_refusal_notice(*, inbound_id: int, why: str, attempt: int = 1) -> bool:
    try:
        return mail_in.refusal_notice_send(inbound_id=inbound_id, why=why)
    except (smtplib.SMTPException, OSError) as error:
        raise RetryableError(f"refusal notice of inbound mail {inbound_id}: {error}") from error


@task()
@with_retries(max_attempts=3, base_seconds=60)
def mailbox_poll(*, mailbox_id: int, attempt: int = 1) -> dict[str, Any]:
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None:
        return {}
    return imap.mailbox_poll_once(mailbox).counts


@cron("* * * * *")  # type: ignore[untyped-decorator]
@task()
def mailboxes_poll() -> int:
    """Every minute, one polling job per active mailbox."""
    ids = list(Mailbox.objects.filter(is_active=True).values_list("id", flat=True))
    for mailbox_id in ids:
        mailbox_poll.enqueue(mailbox_id=mailbox_id)
    return len(ids)


@cron("*/5 * * * *")  # type: ignore[untyped-decorator]
@task()
def sla_warn_at_risk() -> int:
    return actions.sla_warn_at_risk(within=dt.timedelta(minutes=settings.HELPDESK_SLA_WARNING_MINUTES))
