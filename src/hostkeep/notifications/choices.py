"""Enumerations of notifications: delivery states and the kinds of endpoint."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# States a delivery job may still pick up.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", _("Outgoing webhook (signed JSON)")
    CHAT = "chat", _("Chat channel (Apprise URL)")
