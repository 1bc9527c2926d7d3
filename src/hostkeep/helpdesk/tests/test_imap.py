"""Polling a real IMAP server: Debian's dovecot on 127.0.0.1, started by the tests. A mail
with a 30 MB attachment and one with 200 attachments are refused (and marked seen) while the
mail after them becomes a ticket; a second poll finds nothing new."""

from __future__ import annotations

import pytest
from imap_tools import AND, MailBoxUnencrypted

from hostkeep.helpdesk.choices import InboundStatus
from hostkeep.helpdesk.imap import mailbox_poll_once
from hostkeep.helpdesk.models import InboundMail, Mailbox, Ticket
from hostkeep.helpdesk.tasks import mailboxes_poll
from hostkeep.helpdesk.tests.helpers import raw_mail

pytestmark = pytest.mark.django_db

USER = "support@villager.example"


@pytest.fixture
def mailbox(dovecot, department):
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.port).login(USER, dovecot.users[USER]) as box:
        uids = [message.uid for message in box.fetch(AND(all=True), headers_only=True, mark_seen=False)]
        if uids:
            box.delete(uids)
    return Mailbox.objects.create(
        name="support",
        address=USER,
        host="127.0.0.1",
        port=dovecot.port,
        use_ssl=False,
        username=USER,
        password=dovecot.users[USER],
        department=department,
    )


def test_polling_refuses_huge_and_overfull_mail_and_takes_the_next(dovecot, mailbox, owner_a):
    sender = owner_a.user.email
    dovecot.deliver(
        USER, raw_mail(sender=sender, message_id="<huge@a>", attachments=[("disk.img", b"\0" * (30 * 1024 * 1024))])
    )
    dovecot.deliver(
        USER, raw_mail(sender=sender, message_id="<many@a>", attachments=[(f"{n}.txt", b"x") for n in range(200)])
    )
    dovecot.deliver(
        USER, raw_mail(sender=sender, subject="Cannot log in", body="Пароль не работает", message_id="<ok@a>")
    )
    dovecot.deliver(USER, raw_mail(sender="x@y.z", headers={"Auto-Submitted": "auto-replied"}, message_id="<auto@a>"))

    result = mailbox_poll_once(mailbox)

    assert result.counts == {InboundStatus.REFUSED: 2, InboundStatus.ACCEPTED: 1, InboundStatus.IGNORED: 1}
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.customer, ticket.department) == (
        "Cannot log in",
        owner_a.customer,
        mailbox.department,
    )
    assert ticket.messages.get().body == "Пароль не работает"
    huge = InboundMail.objects.get(message_id="<huge@a>")
    assert (huge.status, huge.size > 30 * 1024 * 1024) == (InboundStatus.REFUSED, True)
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.port).login(USER, dovecot.users[USER]) as box:
        assert list(box.fetch(AND(seen=False), headers_only=True, mark_seen=False)) == []
    assert mailbox_poll_once(mailbox).counts == {}
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None


def test_the_scheduled_job_polls_every_active_mailbox(dovecot, mailbox, owner_a, run_jobs):
    dovecot.deliver(USER, raw_mail(sender=owner_a.user.email, subject="By the job", message_id="<job@a>"))
    mailboxes_poll.enqueue()
    run_jobs()
    assert Ticket.objects.get().subject == "By the job"
