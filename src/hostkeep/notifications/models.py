"""Notifications: occurrences of catalogue events, one delivery per recipient and channel,
preferences, templates, endpoints, channel accounts and the private-address allow-list."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.choices import Language
from hostkeep.accounts.models import Customer
from hostkeep.core.fields import EncryptedTextField
from hostkeep.notifications.choices import DeliveryStatus, EndpointKind


class Notification(models.Model):
    """One occurrence of a catalogue event. ``key`` is unique, so an event announced twice
    (or its outbox delivery repeated) is recorded, and therefore sent, once. ``context`` holds
    only plain strings: what templates may show, nothing they could reach through."""

    key = models.CharField(max_length=200, unique=True)
    topic = models.CharField(_("event"), max_length=80, db_index=True)
    category = models.CharField(_("category"), max_length=16)
    critical = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    context = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    link = models.CharField(max_length=500, blank=True)
    attachments = models.JSONField(default=list)
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.topic} ({self.key})"


class Delivery(models.Model):
    """One message of a notification to one recipient on one channel, rendered once (so the
    log shows exactly what went out). The unique constraint is the "never twice" guarantee;
    the row is also the in-app message (``read_at``) and the delivery log entry."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=20)
    recipient_key = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    endpoint = models.ForeignKey(
        "Endpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, default=Language.ENGLISH)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("why"), blank=True)
    created_at = models.DateTimeField(_("created"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "recipient_key", "channel"], name="notification_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["user", "channel", "read_at"])]

    def __str__(self) -> str:
        return f"{self.channel} -> {self.recipient_key}: {self.status}"


class Preference(models.Model):
    """Whether a person wants one category of events on one channel. A missing row means the
    channel's default (in-app and e-mail on, the rest off). Kept per login, so a person who is
    a contact of several accounts chooses once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(_("category"), max_length=16)
    channel = models.CharField(_("channel"), max_length=20)
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "category", "channel"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}/{self.channel}: {self.enabled}"


class UserAddress(models.Model):
    """A person's address on a personal channel other than e-mail: a phone number for SMS, a
    chat id for Telegram."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_addresses")
    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=120)

    class Meta:
        verbose_name = _("notification address")
        verbose_name_plural = _("notification addresses")
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="notification_address_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}"


class MessageTemplate(models.Model):
    """Staff's own text for one event, channel and language; without a row the text shipped
    in code is used. Rendered by ``rendering.render``: placeholders only, no code."""

    topic = models.CharField(_("event"), max_length=80)
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML (e-mail)"), blank=True)
    updated_at = models.DateTimeField(_("updated"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["topic", "channel", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [models.UniqueConstraint(fields=["topic", "channel", "language"], name="message_template_once")]

    def __str__(self) -> str:
        return f"{self.topic} / {self.channel} / {self.language}"


class Endpoint(models.Model):
    """Where events go beyond people: the provider's own systems (a signed webhook) or a team
    chat (an Apprise URL). The URL and secret are encrypted at rest; the URL is checked
    against private addresses each time it is used."""

    kind = models.CharField(_("kind"), max_length=10, choices=EndpointKind.choices)
    name = models.CharField(_("name"), max_length=100)
    url = EncryptedTextField(_("URL"))
    secret = EncryptedTextField(_("signing secret"), blank=True)
    topics = models.JSONField(_("events"), default=list, blank=True, help_text=_("Empty means every event."))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("notification endpoint")
        verbose_name_plural = _("notification endpoints")

    def __str__(self) -> str:
        return self.name


class ChannelAccount(models.Model):
    """The provider's account on a personal Apprise channel (SMS, Telegram): an Apprise URL
    with ``{address}`` where the person's number or chat id goes, e.g.
    ``tgram://BOT_TOKEN/{address}``. Encrypted, since it carries the service's token."""

    channel = models.CharField(_("channel"), max_length=20, unique=True)
    url = EncryptedTextField(_("Apprise URL"))
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")

    def __str__(self) -> str:
        return self.channel


class AllowedHost(models.Model):
    """A host staff explicitly allow outgoing webhooks and chat calls to reach even though it
    resolves to a private, loopback or link-local address (an internal system)."""

    host = models.CharField(_("host"), max_length=253, unique=True)
    note = models.CharField(_("why"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["host"]
        verbose_name = _("allowed private host")
        verbose_name_plural = _("allowed private hosts")

    def __str__(self) -> str:
        return self.host
