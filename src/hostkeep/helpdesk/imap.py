"""Polling one IMAP mailbox with imap-tools. Sizes are read first, so a huge mail is refused
from its headers without being downloaded; every mail is handled and then marked seen on its
own, so one bad mail never stalls the ones after it. Nothing here runs inside a transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags

from hostkeep.core import clock
from hostkeep.core.errors import RetryableError
from hostkeep.helpdesk.mail_in import Outcome, mail_receive
from hostkeep.helpdesk.models import Mailbox

logger = logging.getLogger(__name__)
BATCH = 200
FETCH_CHUNK = 20  # mails under the size limit fetched per IMAP command (at most 20 x 25 MB in memory)


@dataclass
class PollResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts


def _connect(mailbox: Mailbox) -> MailBox | MailBoxUnencrypted:
    box_class = MailBox if mailbox.use_ssl else MailBoxUnencrypted
    client = box_class(mailbox.host, port=mailbox.port, timeout=30)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def mailbox_poll_once(mailbox: Mailbox, *, limit: int = BATCH) -> PollResult:
    """Fetch up to ``limit`` unseen mails and hand each to ``mail_receive``."""
    result = PollResult()
    try:
        client = _connect(mailbox)
    except Exception as error:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=f"{type(error).__name__}: {error}"[:2000])
        raise RetryableError(f"IMAP {mailbox.name}: {error}") from error
    with client:
        listing = list(client.fetch(AND(seen=False), headers_only=True, mark_seen=False, limit=limit, bulk=True))
        small: list[str] = []
        for header in listing:
            if not header.uid:
                continue
            if header.size_rfc822 > settings.HELPDESK_MAIL_MAX_BYTES:
                # Refused from its headers alone: the body is never downloaded.
                _handle(result, mailbox, header.uid, header.obj.as_bytes(), size=header.size_rfc822)
                client.flag(header.uid, MailMessageFlags.SEEN, True)
            else:
                small.append(header.uid)
        for first in range(0, len(small), FETCH_CHUNK):
            chunk = small[first : first + FETCH_CHUNK]
            for message in client.fetch(AND(uid=chunk), mark_seen=False, bulk=True):
                _handle(result, mailbox, message.uid or "?", message.obj.as_bytes())
            client.flag(chunk, MailMessageFlags.SEEN, True)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=clock.now(), last_error="")
    return result


def _handle(result: PollResult, mailbox: Mailbox, uid: str, raw: bytes, *, size: int | None = None) -> None:
    """One mail; whatever goes wrong with it is logged and the poll goes on."""
    try:
        result.outcomes.append(mail_receive(raw=raw, mailbox=mailbox, size=size))
    except Exception:
        logger.exception("mailbox %s: mail %s could not be handled", mailbox.name, uid)
