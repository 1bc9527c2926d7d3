"""A refused mail (too large, too many or too large attachments, unreadable) tells its sender
once, by a short notice marked Auto-Submitted; automatic mail, a repeated copy and a sender
past the hourly cap get none, and the notice coming back opens nothing."""

from __future__ import annotations

import pytest

from hostkeep.helpdesk.choices import InboundStatus
from hostkeep.helpdesk.mail_in import NOTICES_PER_SENDER_HOUR, mail_receive
from hostkeep.helpdesk.models import InboundMail, Ticket
from hostkeep.helpdesk.tests.helpers import raw_mail

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
TOO_LARGE = [("disk.img", b"\0" * (2 * MB + 1))]


@pytest.fixture
def small_limits(settings):
    settings.HELPDESK_MAIL_MAX_BYTES = 2 * MB
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1 * MB
    settings.HELPDESK_MAX_ATTACHMENTS = 3
    settings.HELPDESK_REPLY_ADDRESS = "support@villager.example"


def receive_all(raws, django_capture_on_commit_callbacks, run_jobs):
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [mail_receive(raw=raw) for raw in raws]
    run_jobs()
    return outcomes


def test_each_refused_mail_tells_its_sender_once(
    department, small_limits, smtp_sink, run_jobs, django_capture_on_commit_callbacks
):
    huge = raw_mail(
        sender="Anna <anna@example.org>", subject="Disk image", message_id="<huge@a>",
        attachments=TOO_LARGE,
    )  # fmt: skip
    many = raw_mail(
        sender="anna@example.org", message_id="<many@a>", attachments=[(f"{n}.txt", b"x") for n in range(4)]
    )
    big_file = raw_mail(sender="bob@example.org", message_id="<big@a>", attachments=[("a.bin", b"x" * (MB + 1))])
    fine = raw_mail(sender="carol@example.org", subject="Still here", message_id="<fine@a>")

    outcomes = receive_all([huge, many, big_file, fine], django_capture_on_commit_callbacks, run_jobs)

    assert [outcome.status for outcome in outcomes] == [InboundStatus.REFUSED] * 3 + [InboundStatus.ACCEPTED]
    notices = sorted(smtp_sink.received, key=lambda mail: (mail["To"], mail["In-Reply-To"]))
    assert [(mail["To"], mail["In-Reply-To"]) for mail in notices] == [
        ("anna@example.org", "<huge@a>"),
        ("anna@example.org", "<many@a>"),
        ("bob@example.org", "<big@a>"),
    ]
    for notice in notices:
        assert notice["Auto-Submitted"] == "auto-replied"
        assert notice["From"] == "support@villager.example"
    by_reply = {mail["In-Reply-To"]: mail for mail in notices}
    assert by_reply["<huge@a>"]["Subject"] == "Not delivered: Disk image"
    assert "It is larger than 2 MB." in by_reply["<huge@a>"].get_content()
    assert "It has more than 3 attachments." in by_reply["<many@a>"].get_content()
    assert "An attachment is larger than 1 MB." in by_reply["<big@a>"].get_content()
    assert InboundMail.objects.filter(refusal_noticed_at__isnull=False).count() == 3
    assert Ticket.objects.get().subject == "Still here"

    # The same mail again is a duplicate: no second record, no second notice.
    receive_all([huge], django_capture_on_commit_callbacks, run_jobs)
    assert len(smtp_sink.received) == 3
    assert InboundMail.objects.filter(message_id="<huge@a>").count() == 1


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("robot@example.org", {"Auto-Submitted": "auto-replied"}),
        ("list@example.org", {"Precedence": "bulk"}),
        ("MAILER-DAEMON@example.org", {}),
        ("someone@example.org", {"Return-Path": "<>"}),
        ("support+0123456789abcdef@villager.example", {}),
    ],
)
def test_automatic_senders_get_no_notice(
    department, small_limits, smtp_sink, run_jobs, django_capture_on_commit_callbacks, sender, headers
):
    huge = raw_mail(sender=sender, headers=headers, message_id="<auto@a>", attachments=TOO_LARGE)
    [outcome] = receive_all([huge], django_capture_on_commit_callbacks, run_jobs)
    assert outcome.status == InboundStatus.REFUSED
    assert smtp_sink.received == []
    assert InboundMail.objects.get().refusal_noticed_at is None


def test_notices_to_one_sender_stop_at_the_hourly_cap(
    department, small_limits, smtp_sink, run_jobs, django_capture_on_commit_callbacks
):
    mails = [
        raw_mail(sender="loop@example.org", message_id=f"<loop{n}@a>", attachments=TOO_LARGE)
        for n in range(NOTICES_PER_SENDER_HOUR + 2)
    ]
    outcomes = receive_all(mails, django_capture_on_commit_callbacks, run_jobs)
    assert {outcome.status for outcome in outcomes} == {InboundStatus.REFUSED}
    assert len(smtp_sink.received) == NOTICES_PER_SENDER_HOUR
    assert InboundMail.objects.filter(refusal_noticed_at__isnull=False).count() == NOTICES_PER_SENDER_HOUR


def test_the_notice_coming_back_opens_nothing_and_gets_no_notice(
    department, small_limits, smtp_sink, run_jobs, django_capture_on_commit_callbacks
):
    huge = raw_mail(sender="anna@example.org", message_id="<huge@a>", attachments=TOO_LARGE)
    receive_all([huge], django_capture_on_commit_callbacks, run_jobs)
    [sent] = smtp_sink.raw

    [outcome] = receive_all([sent], django_capture_on_commit_callbacks, run_jobs)

    assert outcome.status == InboundStatus.IGNORED
    assert len(smtp_sink.raw) == 1
    assert Ticket.objects.count() == 0


def test_a_mail_that_cannot_be_filed_is_refused_and_its_sender_told(
    db, smtp_sink, run_jobs, django_capture_on_commit_callbacks
):
    """With no department to receive it, the mail is refused (not lost in silence)."""
    mail = raw_mail(sender="anna@example.org", subject="Anyone?", message_id="<nowhere@a>")
    [outcome] = receive_all([mail], django_capture_on_commit_callbacks, run_jobs)
    assert (outcome.status, outcome.reason) == (InboundStatus.REFUSED, "no department to receive mail")
    [notice] = smtp_sink.received
    assert (notice["To"], notice["Subject"]) == ("anna@example.org", "Not delivered: Anyone?")
    assert "It could not be accepted." in notice.get_content()
    assert Ticket.objects.count() == 0
