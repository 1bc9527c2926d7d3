"""Helpdesk fixtures: departments and agents, a private dovecot on 127.0.0.1 (IMAP), and an
aiosmtpd sink that captures the mail Hostkeep sends."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.tests.factories import StaffFactory
from hostkeep.helpdesk.models import CannedReply, Department, SlaPolicy

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


@pytest.fixture
def department(db):
    return Department.objects.create(name="Technical support", email="tech@villager.example")


@pytest.fixture
def sla(department):
    return SlaPolicy.objects.create(department=department, first_response_minutes=60, resolution_minutes=24 * 60)


@pytest.fixture
def agent(db):
    return StaffFactory(role=StaffRole.SUPPORT_LINE_1, user__full_name="Pieter Agent")


@pytest.fixture
def line3(db):
    return StaffFactory(role=StaffRole.SUPPORT_LINE_3, user__full_name="Secret Engineer")


@pytest.fixture
def canned(department):
    return CannedReply.objects.create(
        title="Restart", body="Hello {customer_name}, we restarted {service}. Next due: {due_date}."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    port: int
    maildir: Path
    users: dict[str, str] = field(default_factory=dict)

    def deliver(self, user: str, raw: bytes) -> None:
        """Put a mail straight into a user's Maildir (as a delivery agent would)."""
        import mailbox

        box = mailbox.Maildir(self.maildir / user, create=True)
        box.add(raw)
        mail = pwd.getpwnam("mail")
        for path in (self.maildir / user).rglob("*"):
            os.chown(path, mail.pw_uid, mail.pw_gid)
        os.chown(self.maildir / user, mail.pw_uid, mail.pw_gid)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A private dovecot instance for the session (config in a tmp dir, a free port)."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; ./dev test does it)")
    if os.geteuid() != 0:
        pytest.skip("the private dovecot instance needs root to switch to the mail user")
    # Its own folder under /tmp, readable by dovecot's unprivileged auth and mail processes
    # (pytest's tmp folders are private to root).
    base = Path(tempfile.mkdtemp(prefix="hostkeep-dovecot-"))
    base.chmod(0o755)
    port = free_port()
    maildir = base / "mail"
    maildir.mkdir()
    mail = pwd.getpwnam("mail")
    os.chown(maildir, mail.pw_uid, mail.pw_gid)
    users = {"support@villager.example": "imap-secret"}
    (base / "passwd").write_text("".join(f"{user}:{{PLAIN}}{password}\n" for user, password in users.items()))
    (base / "dovecot.conf").write_text(
        f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {mail.pw_uid}
mail_location = maildir:{maildir}/%u
mail_uid = mail
mail_gid = mail
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={maildir}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    subprocess.run([DOVECOT, "-c", str(base / "dovecot.conf")], check=True, timeout=30)  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
        pytest.fail(f"dovecot did not start: {log}")
    try:
        yield Dovecot(port=port, maildir=maildir, users=users)
    finally:
        subprocess.run([DOVECOT, "-c", str(base / "dovecot.conf"), "stop"], check=False, timeout=30)  # noqa: S603
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class SmtpSink:
    port: int
    received: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """An aiosmtpd server on 127.0.0.1; Django's default mailer sends to it over SMTP."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            sink.raw.append(envelope.original_content)
            sink.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 10},
        }
    }
    try:
        yield sink
    finally:
        controller.stop()
