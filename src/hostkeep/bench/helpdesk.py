"""``hostkeep bench helpdesk --messages N [--database URL] [--keep]``: helpdesk at scale.

1. Mail in: min(N, 10,000) mails (or HOSTKEEP_BENCH_HELPDESK_MAILS) delivered to a private
   dovecot on 127.0.0.1 (when the dovecot binary is there and we are root) and ingested by the
   same polling code the job runs.
2. Search: N ticket messages over N/10 tickets (most open) written in bulk (COPY on PostgreSQL,
   with the full-text indexes rebuilt after the load), then 60 searches of one or two words
   of mixed frequency through the staff selector, first page of 50 each: p50 and p95.
3. Queue: the staff queue page (GET /staff/helpdesk/) over those open tickets, median of 5,
   with its query count.

Run it on a scratch database. ``--keep`` keeps the generated data, and a later run with
``--keep`` and the same ``--messages`` measures search and the queue again on it without
loading anything (and without the IMAP part unless HOSTKEEP_BENCH_HELPDESK_MAILS is set), so a
1M data set is loaded once. The last line is
``helpdesk messages=N search_p50_ms=A search_p95_ms=B queue_ms=C``.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import pwd
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.models import Contact, Customer, StaffMember, User
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.core import clock
from hostkeep.helpdesk import selectors
from hostkeep.helpdesk.choices import OPEN_STATUSES, TicketStatus
from hostkeep.helpdesk.imap import mailbox_poll_once
from hostkeep.helpdesk.models import Department, InboundMail, Mailbox, Ticket, TicketMessage

DEPARTMENT = "Benchmark department"
MESSAGES_PER_TICKET = 10
RNG = random.Random(7)  # noqa: S311 - made-up text, not security
COMMON = [
    "server",
    "minecraft",
    "restart",
    "lag",
    "error",
    "crash",
    "plugin",
    "world",
    "backup",
    "invoice",
    "payment",
    "login",
    "password",
    "disk",
    "memory",
    "cpu",
    "player",
    "spawn",
    "chunk",
    "version",
    "mod",
    "update",
    "ticket",
    "help",
    "please",
    "thanks",
    "again",
    "today",
]


def _vocabulary() -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fu", "gi"]
    words = {"".join(RNG.choice(syllables) for _ in range(RNG.randint(2, 4))) for _ in range(30_000)}
    return COMMON + sorted(words)


def run(*, stdout: Any, messages: int, database: str = "", keep: bool = False, **_: Any) -> str:
    if messages < MESSAGES_PER_TICKET:
        raise CommandError(f"--messages must be at least {MESSAGES_PER_TICKET}")
    call_command("migrate", interactive=False, verbosity=0)
    words = _vocabulary()
    kept = Department.objects.filter(name=DEPARTMENT).first()
    if kept is not None:
        loaded = TicketMessage.objects.filter(ticket__department=kept).count()
        if not keep or loaded < messages:
            raise CommandError(
                f"a previous run's data is still here ({loaded} messages): measure it again with --keep "
                f"--messages {loaded}, or use a fresh scratch database"
            )
        stdout.write(f"reusing the kept data: {loaded} messages ({connection.vendor})")
        if os.environ.get("HOSTKEEP_BENCH_HELPDESK_MAILS"):
            _mail_in(stdout, kept, int(os.environ["HOSTKEEP_BENCH_HELPDESK_MAILS"]))
        return _measure(stdout, messages)
    department = Department.objects.create(name=DEPARTMENT)
    try:
        mails = int(os.environ.get("HOSTKEEP_BENCH_HELPDESK_MAILS", "") or min(messages, 10_000))
        _mail_in(stdout, department, mails)
        started = time.monotonic()
        _load(department, messages, words)
        stdout.write(f"loaded {messages} messages in {time.monotonic() - started:.1f}s ({connection.vendor})")
        line = _measure(stdout, messages)
    finally:
        if not keep:
            _clean_up(department)
    return line


def _measure(stdout: Any, messages: int) -> str:
    stdout.write(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    p50, p95 = _search(stdout, _vocabulary_again())
    stdout.write(f"search: p50={p50:.1f}ms p95={p95:.1f}ms")
    queue_ms, queries = _queue()
    stdout.write(f"queue page: {queue_ms:.1f}ms, {queries} queries")
    stdout.write(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return f"helpdesk messages={messages} search_p50_ms={p50:.1f} search_p95_ms={p95:.1f} queue_ms={queue_ms:.1f}"


def _vocabulary_again() -> list[str]:
    """The same words ``_vocabulary`` made before the load (it draws from the shared RNG)."""
    state = RNG.getstate()
    RNG.seed(7)
    try:
        return _vocabulary()
    finally:
        RNG.setstate(state)


# --- mail in ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mail_in(stdout: Any, department: Department, count: int) -> None:
    if count <= 0:
        stdout.write("imap: skipped (HOSTKEEP_BENCH_HELPDESK_MAILS=0)")
        return
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None or os.geteuid() != 0:
        stdout.write("imap: skipped (needs the dovecot binary and root)")
        return
    base = Path(tempfile.mkdtemp(prefix="hostkeep-bench-dovecot-"))
    base.chmod(0o755)
    mail_user = pwd.getpwnam("mail")
    port = _free_port()
    user, password = "bench@villager.example", "bench-secret"
    maildir = base / "mail"
    (base / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    (base / "dovecot.conf").write_text(
        f"base_dir = {base}/run\nstate_dir = {base}/state\nlog_path = {base}/dovecot.log\nprotocols = imap\n"
        f"listen = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\nfirst_valid_uid = {mail_user.pw_uid}\n"
        f"mail_location = maildir:{maildir}/%u\nmail_uid = mail\nmail_gid = mail\n"
        f"passdb {{\n driver = passwd-file\n args = {base}/passwd\n}}\n"
        f"userdb {{\n driver = static\n args = uid=mail gid=mail home={maildir}/%u\n}}\n"
        f"service imap-login {{\n inet_listener imap {{\n  address = 127.0.0.1\n  port = {port}\n }}\n"
        f" inet_listener imaps {{\n  port = 0\n }}\n}}\n"
    )
    import mailbox

    maildir.mkdir()
    box = mailbox.Maildir(maildir / user, create=True)
    senders = _senders(50)
    for number in range(count):
        mail = EmailMessage()
        mail["From"] = senders[number % len(senders)]
        mail["To"] = user
        mail["Subject"] = f"Benchmark request {number}"
        mail["Message-ID"] = f"<bench-{number}-{time.time_ns()}@bench.invalid>"
        mail.set_content(f"Request number {number}: the server does not start.")
        box.add(mail.as_bytes())
    subprocess.run(["chown", "-R", "mail:mail", str(maildir)], check=True)  # noqa: S603, S607
    subprocess.run([binary, "-c", str(base / "dovecot.conf")], check=True, timeout=30)  # noqa: S603
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        source = Mailbox.objects.create(
            name="bench", address=user, host="127.0.0.1", port=port, use_ssl=False, username=user,
            password=password, department=department,
        )  # fmt: skip
        started = time.monotonic()
        cpu_started = time.process_time()
        taken = 0
        with _limit(stdout, sender_limit=count):
            while taken < count:
                result = mailbox_poll_once(source, limit=1000)
                if not result.outcomes:
                    break
                taken += len(result.outcomes)
        seconds = time.monotonic() - started
        cpu_ms = (time.process_time() - cpu_started) * 1000 / max(taken, 1)
        stdout.write(
            f"imap mails={taken} seconds={seconds:.1f} mails_per_s={taken / seconds:.0f} "
            f"cpu_ms_per_mail={cpu_ms:.1f} load={os.getloadavg()[0]:.1f}"
        )
    finally:
        subprocess.run([binary, "-c", str(base / "dovecot.conf"), "stop"], check=False, timeout=30)  # noqa: S603
        shutil.rmtree(base, ignore_errors=True)


class _limit:  # noqa: N801 - a tiny context manager
    """Lift the per-sender loop limit for the benchmark's few senders."""

    def __init__(self, stdout: Any, *, sender_limit: int) -> None:
        from django.conf import settings

        self.settings = settings
        self.sender_limit = sender_limit
        self.previous = settings.HELPDESK_SENDER_HOURLY_LIMIT

    def __enter__(self) -> None:
        self.settings.HELPDESK_SENDER_HOURLY_LIMIT = self.sender_limit + 1

    def __exit__(self, *args: object) -> None:
        self.settings.HELPDESK_SENDER_HOURLY_LIMIT = self.previous


def _senders(count: int) -> list[str]:
    """Contacts of benchmark customers (so mail becomes tickets of known customers)."""
    addresses = []
    for number in range(count):
        email = f"bench-contact-{number}@bench.invalid"
        user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
        customer = Customer.objects.filter(contacts__user=user).first() or Customer.objects.create(
            name=f"Benchmark customer {number}"
        )
        Contact.objects.get_or_create(customer=customer, user=user, defaults={"role": "owner"})
        addresses.append(email)
    return addresses


# --- bulk load ----------------------------------------------------------------------------


def _sentence(words: list[str], cumulative: list[float], length: int) -> str:
    return " ".join(RNG.choices(words, cum_weights=cumulative, k=length))


def _load(department: Department, messages: int, words: list[str]) -> None:
    tickets = messages // MESSAGES_PER_TICKET
    weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
    customers = list(Customer.objects.values_list("id", flat=True)[:50]) or [
        Customer.objects.create(name="Benchmark customer").pk
    ]
    now = clock.now()
    statuses = [*OPEN_STATUSES, TicketStatus.RESOLVED, TicketStatus.CLOSED]
    status_weights = [30, 30, 15, 15, 5, 5]
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS helpdesk_message_fts")
            cursor.execute("DROP INDEX IF EXISTS helpdesk_ticket_fts")
    chunk = 10_000
    for first in range(0, tickets, chunk):
        count = min(chunk, tickets - first)
        with transaction.atomic():
            ticket_rows = []
            for number in range(first, first + count):
                at = now - dt.timedelta(minutes=number)
                ticket_rows.append(
                    Ticket(
                        customer_id=customers[number % len(customers)],
                        department=department,
                        subject=_sentence(words, weights, 5)[:250],
                        reply_token=f"{number:016x}",
                        channel="email",
                        status=RNG.choices(statuses, weights=status_weights)[0],
                        created_at=at,
                        updated_at=at,
                    )
                )
            created = Ticket.objects.bulk_create(ticket_rows, batch_size=2000)
            message_rows = [
                (ticket.pk, _sentence(words, weights, 20), ticket.created_at)
                for ticket in created
                for _ in range(MESSAGES_PER_TICKET)
            ]
            _insert_messages(message_rows, [(ticket.pk, ticket.subject) for ticket in created])
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS helpdesk_message_fts ON helpdesk_ticketmessage "
                "USING gin (to_tsvector('simple', body))"
            )
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS helpdesk_ticket_fts ON helpdesk_ticket "
                "USING gin (to_tsvector('simple', subject))"
            )
            cursor.execute("ANALYZE helpdesk_ticket")
            cursor.execute("ANALYZE helpdesk_ticketmessage")


def _insert_messages(rows: list[tuple[int, str, dt.datetime]], subjects: list[tuple[int, str]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = (
                "ticket_id, kind, author_kind, author_email, public_author_name, sent_as_department, body, channel, "
                "email_message_id, created_at"
            )
            buffer = io.StringIO()
            with cursor.cursor.copy(f"COPY helpdesk_ticketmessage ({columns}) FROM STDIN") as copy:
                for ticket_id, body, at in rows:
                    copy.write_row((ticket_id, "reply", "customer", "", "Bench", False, body, "email", "", at))
            del buffer
            return
        cursor.executemany(
            "INSERT INTO helpdesk_ticketmessage (ticket_id, kind, author_kind, author_email, public_author_name, "
            "sent_as_department, body, channel, email_message_id, created_at) VALUES (%s, 'reply', 'customer', '', "
            "'Bench', 0, %s, 'email', '', %s)",
            [(ticket_id, body, at.isoformat()) for ticket_id, body, at in rows],
        )
        cursor.executemany(
            "INSERT INTO helpdesk_search (body, ticket_id, kind) VALUES (%s, %s, 'reply')",
            [(body, ticket_id) for ticket_id, body, _at in rows],
        )
        cursor.executemany(
            "INSERT INTO helpdesk_search (body, ticket_id, kind) VALUES (%s, %s, 'subject')",
            [(subject, ticket_id) for ticket_id, subject in subjects],
        )


# --- measurements -------------------------------------------------------------------------


def _search(stdout: Any, words: list[str]) -> tuple[float, float]:
    """60 searches: common words, mid-frequency words, rare words and pairs; the first page
    of each as the queue page fetches it (50 rows and one more to know there is a next page).
    The queries come from their own seeded generator, so a run on kept data asks the same."""
    pick = random.Random(11)  # noqa: S311 - made-up queries, not security
    queries = (
        COMMON[:10]
        + [words[rank] for rank in pick.sample(range(30, 2000), 15)]
        + [words[rank] for rank in pick.sample(range(2000, len(words)), 15)]
        + [f"{pick.choice(COMMON)} {words[pick.randrange(30, 3000)]}" for _ in range(20)]
    )
    timings = []
    for query in queries:
        started = time.perf_counter()
        found = selectors.tickets_for_staff(SYSTEM_ACTOR, selectors.TicketFilters(status="all", query=query))
        list(found[:51])
        timings.append(((time.perf_counter() - started) * 1000, query))
    timings.sort()
    slowest = ", ".join(f"{query!r} {ms:.0f}ms" for ms, query in timings[-5:])
    stdout.write(f"search: slowest {slowest}")
    values = [ms for ms, _query in timings]
    return statistics.median(values), values[int(len(values) * 0.95) - 1]


def _queue() -> tuple[float, int]:
    """The queue page as an agent gets it (middleware, view, template), median of 5 after one
    warm-up request, and how many queries one request makes."""
    from django.conf import settings
    from django.test.utils import CaptureQueriesContext, override_settings

    user = User.objects.filter(email="bench-agent@bench.invalid").first() or User.objects.create_user(
        email="bench-agent@bench.invalid", password=None
    )
    StaffMember.objects.get_or_create(user=user, defaults={"role": StaffRole.SUPPORT_LINE_1})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    timings = []
    # Static file names as in debug: a scratch installation has no collected-files manifest.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        for _ in range(6):
            started = time.perf_counter()
            response = client.get("/staff/helpdesk/", HTTP_HOST="127.0.0.1")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"the queue page answered {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            client.get("/staff/helpdesk/", HTTP_HOST="127.0.0.1")
    return statistics.median(timings[1:]), len(captured.captured_queries)


def _clean_up(department: Department) -> None:
    with connection.cursor() as cursor:
        tickets = "SELECT id FROM helpdesk_ticket WHERE department_id = %s"
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM helpdesk_search WHERE ticket_id IN ({tickets})", [department.pk])  # noqa: S608
        for table in ("helpdesk_attachment", "helpdesk_ticketmessage"):
            cursor.execute(f"DELETE FROM {table} WHERE ticket_id IN ({tickets})", [department.pk])  # noqa: S608
    InboundMail.objects.filter(mailbox__department=department).delete()
    InboundMail.objects.filter(ticket__department=department).delete()
    Mailbox.objects.filter(department=department).delete()
    TicketMessage.objects.filter(ticket__department=department).delete()
    Ticket.objects.filter(department=department).delete()
    department.delete()
