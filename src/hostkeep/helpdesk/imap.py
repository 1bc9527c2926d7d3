"""Polling one IMAP mailbox with imap-tools. Sizes are read first, so a huge mail is refused
from its headers without being downloaded; the rest is fetched in chunks (by count and by
bytes), each chunk handled in one database transaction in which every mail has its own
savepoint, so one bad mail is rolled back and logged on its own and never stalls the ones
after it. A chunk is marked seen only after its transaction has committed; no IMAP call is
made while a transaction is open."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from functools import cached_property
from typing import cast

from django.conf import settings
from django.db import transaction
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessage, MailMessageFlags

from hostkeep.core import clock
from hostkeep.core.errors import RetryableError
from hostkeep.helpdesk.mail_in import Outcome, mail_receive
from hostkeep.helpdesk.models import Mailbox

logger = logging.getLogger(__name__)
BATCH = 200
FETCH_CHUNK = 50  # mails fetched per IMAP command and handled per transaction ...
FETCH_CHUNK_BYTES = 50 * 1024 * 1024  # ... and at most this many bytes of them in memory at once


class _RawMessage(MailMessage):
    """A fetched mail kept as the bytes the server sent: ``mail_receive`` parses them once
    (imap-tools would parse every mail up front, and giving it back as bytes would render the
    parsed mail again)."""

    def __init__(self, fetch_data: list[object]) -> None:
        raw, uid_data, flag_data = self._get_message_data_parts(fetch_data)
        self._raw_uid_data = uid_data
        self._raw_flag_data = flag_data
        self.raw: bytes = raw

    @cached_property
    def obj(self) -> Message:  # type: ignore[override]
        return message_from_bytes(self.raw)


def _raw(message: MailMessage) -> bytes:
    return cast(_RawMessage, message).raw


class _Client:
    email_message_class = _RawMessage


class _MailBox(_Client, MailBox):
    pass


class _MailBoxUnencrypted(_Client, MailBoxUnencrypted):
    pass


@dataclass
class PollResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts


def _connect(mailbox: Mailbox) -> _MailBox | _MailBoxUnencrypted:
    box_class = _MailBox if mailbox.use_ssl else _MailBoxUnencrypted
    client = box_class(mailbox.host, port=mailbox.port, timeout=30)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def _chunks(sized: list[tuple[str, int]]) -> Iterator[list[str]]:
    """UIDs in groups of at most FETCH_CHUNK mails and FETCH_CHUNK_BYTES (one mail at least)."""
    chunk: list[str] = []
    total = 0
    for uid, size in sized:
        if chunk and (len(chunk) >= FETCH_CHUNK or total + size > FETCH_CHUNK_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    if chunk:
        yield chunk


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
        small: list[tuple[str, int]] = []
        for header in listing:
            if not header.uid:
                continue
            if header.size_rfc822 > settings.HELPDESK_MAIL_MAX_BYTES:
                # Refused from its headers alone: the body is never downloaded.
                _handle(result, mailbox, header.uid, _raw(header), size=header.size_rfc822)
                client.flag(header.uid, MailMessageFlags.SEEN, True)
            else:
                small.append((header.uid, header.size_rfc822))
        for chunk in _chunks(small):
            fetched = list(client.fetch(AND(uid=chunk), mark_seen=False, bulk=True))
            with transaction.atomic():
                for message in fetched:
                    _handle(result, mailbox, message.uid or "?", _raw(message))
            client.flag(chunk, MailMessageFlags.SEEN, True)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=clock.now(), last_error="")
    return result


def _handle(result: PollResult, mailbox: Mailbox, uid: str, raw: bytes, *, size: int | None = None) -> None:
    """One mail in its own savepoint; whatever goes wrong with it is rolled back to there and
    logged, and the poll goes on."""
    try:
        with transaction.atomic():
            result.outcomes.append(mail_receive(raw=raw, mailbox=mailbox, size=size))
    except Exception:
        logger.exception("mailbox %s: mail %s could not be handled", mailbox.name, uid)
