"""Core records shared by every app: the audit log, the outbox and gapless counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hostkeep.core.choices import ActorKind


class AuditEvent(models.Model):
    """Who did what, when and from where. Append-only: the database refuses UPDATE and DELETE.

    ``customer_id`` is a plain column (core sits below accounts) so a customer's entries can
    be listed to that customer without a join the layers forbid.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["customer_id", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class OutboxEvent(models.Model):
    """An event announced upward, written in the same transaction as the change it reports.

    A job delivers it to the handlers listed in the apps' ``handlers.py`` after commit, so a
    crash between the change and the delivery loses nothing.
    """

    topic = models.CharField(max_length=80, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class OutboxDelivery(models.Model):
    """One handler has processed one event: unique, so a redelivery skips finished handlers."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    delivered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once")]

    def __str__(self) -> str:
        return f"{self.handler} <- {self.event_id}"


class SequenceCounter(models.Model):
    """The last number given in a gapless series (per kind, legal entity and year, say).

    Numbers are taken inside the caller's transaction with the row locked, so a rolled-back
    transaction gives its number back and two issuers never share one.
    """

    scope = models.CharField(max_length=120, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("sequence counter")
        verbose_name_plural = _("sequence counters")

    def __str__(self) -> str:
        return f"{self.scope}: {self.last_value}"
