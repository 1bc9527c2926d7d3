"""Channels: one small interface, one registry, one class per way of reaching someone.

A *personal* channel reaches a person (in-app, e-mail, SMS, Telegram): the person's
preferences decide whether it is used and ``address`` says where. The other channels reach an
``Endpoint`` staff configure (a signed webhook, a team chat). ``send`` raises
``RetryableError`` for what may work later (network, 5xx, a full mailbox server) and
``TerminalError`` for what never will (a refused URL, a rejected address); the delivery job
turns those into retries and the delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import apprise
import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hostkeep.accounts.models import Contact, User
from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.core.registry import Registry
from hostkeep.notifications import addresses
from hostkeep.notifications.models import ChannelAccount, Delivery, UserAddress

SIGNATURE_HEADER = "X-Hostkeep-Signature"
TIMESTAMP_HEADER = "X-Hostkeep-Timestamp"
EVENT_HEADER = "X-Hostkeep-Event"
TIMEOUT_SECONDS = 10


class Channel(ABC):
    """One way of delivering a rendered message."""

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    personal: ClassVar[bool] = True
    default_enabled: ClassVar[bool] = False
    # In-app needs no job: the delivery row is the message.
    immediate: ClassVar[bool] = False

    def available(self) -> bool:
        """Whether the provider has set this channel up at all."""
        return True

    def address(self, user: User) -> str | None:
        """Where this person is reached on this channel; None if nowhere."""
        return None

    def body(self, subject: str, text: str) -> str:
        """The message this channel sends when no template is written for it."""
        return text

    @abstractmethod
    def send(self, delivery: Delivery) -> None:
        """Deliver one rendered message; raise RetryableError or TerminalError on failure."""


channels: Registry[Channel] = Registry("notification channel")


def channel_get(name: str) -> Channel:
    return channels.get(name)()


def personal_channels() -> list[Channel]:
    return [cls() for cls in channels if cls.personal]


@channels.register
class InAppChannel(Channel):
    name = "inapp"
    label = gettext_lazy("In the portal")
    default_enabled = True
    immediate = True

    def address(self, user: User) -> str | None:
        return user.email

    def send(self, delivery: Delivery) -> None:
        """Nothing leaves: the row itself is shown in the notification centre."""


@channels.register
class EmailChannel(Channel):
    """E-mail through Django's mailer ("default" in MAILERS: SMTP, a file, or an e-mail
    service through django-anymail), as text with an HTML alternative."""

    name = "email"
    label = gettext_lazy("E-mail")
    default_enabled = True

    def address(self, user: User) -> str | None:
        return user.email or None

    def send(self, delivery: Delivery) -> None:
        message = EmailMultiAlternatives(
            subject=delivery.subject.replace("\n", " ")[:250],
            body=delivery.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.address],
        )
        if delivery.body_html:
            message.attach_alternative(delivery.body_html, "text/html")
        for attachment in delivery.notification.attachments:
            path = _private_file(attachment.get("storage_path", ""))
            if path is not None:
                message.attach(attachment.get("filename", path.name), path.read_bytes(), attachment.get("content_type"))
        try:
            message.send(using="default")
        except smtplib.SMTPRecipientsRefused as error:
            raise TerminalError(_("The mail server refused the address: %(error)s") % {"error": error}) from error
        except (smtplib.SMTPException, OSError) as error:
            raise RetryableError(_("The mail server did not take the message: %(error)s") % {"error": error}) from error


def _private_file(storage_path: str) -> Path | None:
    """A file inside the private storage; anything pointing outside it is ignored."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / storage_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


# Apprise services whose host is taken from the URL (self-hosted); for the others the host is
# fixed by the service (the plug-in's ``notify_url``) or listed here.
SELF_HOSTED_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls", "ntfy", "ntfys", "gotify", "gotifys"})
SERVICE_HOSTS = {"twilio": "api.twilio.com", "slack": "hooks.slack.com", "msteams": "outlook.office.com"}


def apprise_target_host(url: str) -> tuple[str, int | None]:
    """The host an Apprise URL will actually call, for the private-address check."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise TerminalError(_("This is not an Apprise URL Hostkeep can use."), code="url_refused")
    scheme = urlsplit(url).scheme.lower()
    if scheme in SELF_HOSTED_SCHEMES:
        return str(plugin.host or ""), plugin.port
    notify_url = getattr(plugin, "notify_url", None)
    if isinstance(notify_url, str) and "://" in notify_url:
        parts = urlsplit(notify_url)
        return parts.hostname or "", parts.port
    if scheme in SERVICE_HOSTS:
        return SERVICE_HOSTS[scheme], None
    raise TerminalError(_("Apprise service %(scheme)s is not supported.") % {"scheme": scheme}, code="url_refused")


def apprise_send(url: str, *, title: str, body: str) -> None:
    """Check where the URL leads, then hand the message to Apprise."""
    host, port = apprise_target_host(url)
    addresses.check_host(host, port)
    sender = apprise.Apprise()
    sender.add(url)
    with apprise.LogCapture(level=apprise.logging.WARNING) as log:  # type: ignore[no-untyped-call]
        delivered = sender.notify(body=body, title=title)
        output = log.getvalue() if hasattr(log, "getvalue") else ""
    if not delivered:
        reason = " ".join(str(output).split())[-500:] or _("the service did not accept the message")
        raise RetryableError(_("Apprise could not deliver: %(reason)s") % {"reason": reason})


class AppriseChannel(Channel):
    """A personal channel through the provider's account on an Apprise service; the account's
    URL has ``{address}`` where the person's number or chat id goes."""

    def account(self) -> ChannelAccount | None:
        return ChannelAccount.objects.filter(channel=self.name, enabled=True).first()

    def available(self) -> bool:
        return self.account() is not None

    def address(self, user: User) -> str | None:
        row = UserAddress.objects.filter(user=user, channel=self.name).first()
        return row.address if row else None

    def body(self, subject: str, text: str) -> str:
        return f"{subject}\n\n{text}".strip()

    def send(self, delivery: Delivery) -> None:
        account = self.account()
        if account is None:
            raise TerminalError(_("The %(channel)s channel is not set up.") % {"channel": self.label})
        url = account.url.replace("{address}", quote(delivery.address, safe="+@"))
        apprise_send(url, title="", body=delivery.body_text)


@channels.register
class SmsChannel(AppriseChannel):
    name = "sms"
    label = gettext_lazy("SMS")

    def address(self, user: User) -> str | None:
        own = super().address(user)
        if own:
            return own
        phone = Contact.objects.filter(user=user).exclude(phone="").values_list("phone", flat=True).first()
        return phone or None

    def body(self, subject: str, text: str) -> str:
        return subject


@channels.register
class TelegramChannel(AppriseChannel):
    name = "telegram"
    label = gettext_lazy("Telegram")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex: what the ``X-Hostkeep-Signature``
    header carries as ``t=<timestamp>,v1=<signature>``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_body(delivery: Delivery) -> bytes:
    notification = delivery.notification
    document: dict[str, Any] = {
        "id": f"{notification.pk}:{delivery.pk}",
        "event": notification.topic,
        "occurred_at": notification.created_at.isoformat(),
        "customer_id": notification.customer_id,
        "data": notification.context,
        "link": notification.link,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@channels.register
class WebhookChannel(Channel):
    """A signed JSON POST to the provider's own systems. Headers: ``X-Hostkeep-Event``,
    ``X-Hostkeep-Timestamp`` (Unix seconds) and ``X-Hostkeep-Signature: t=<ts>,v1=<hex>``
    where hex = HMAC-SHA256(secret, "<ts>.<raw body>"); receivers should refuse timestamps
    older than five minutes."""

    name = "webhook"
    label = gettext_lazy("Outgoing webhook")
    personal = False

    def send(self, delivery: Delivery) -> None:
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.enabled:
            raise TerminalError(_("The webhook was removed or switched off."))
        addresses.check_url(endpoint.url)
        body = webhook_body(delivery)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Hostkeep-Webhooks/1",
            EVENT_HEADER: delivery.notification.topic,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: f"t={timestamp},v1={webhook_signature(endpoint.secret, timestamp, body)}",
        }
        try:
            response = requests.post(
                endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
            )
        except requests.RequestException as error:
            raise RetryableError(_("The webhook could not be reached: %(error)s") % {"error": error}) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(_("The webhook answered %(status)s.") % {"status": response.status_code})
        if response.status_code >= 300:
            raise TerminalError(_("The webhook refused the event: %(status)s.") % {"status": response.status_code})


@channels.register
class ChatChannel(Channel):
    """A team chat (Telegram group, Slack, Discord, a JSON endpoint) through Apprise."""

    name = "chat"
    label = gettext_lazy("Chat channel")
    personal = False

    def body(self, subject: str, text: str) -> str:
        return f"{subject}\n\n{text}".strip()

    def send(self, delivery: Delivery) -> None:
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.enabled:
            raise TerminalError(_("The chat channel was removed or switched off."))
        apprise_send(endpoint.url, title="", body=delivery.body_text)
