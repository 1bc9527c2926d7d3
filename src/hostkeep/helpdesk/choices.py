"""Enums of helpdesk and the table of allowed status moves."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_ON_STAFF = "waiting_staff", _("Waiting on staff")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.WAITING_ON_CUSTOMER,
    TicketStatus.WAITING_ON_STAFF,
)

# Where a status may move by hand (staff or the customer closing); replies move it too.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset((*OPEN_STATUSES[1:], TicketStatus.RESOLVED, TicketStatus.CLOSED)),
    TicketStatus.OPEN: frozenset(
        (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.WAITING_ON_STAFF, TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ),
    TicketStatus.WAITING_ON_CUSTOMER: frozenset(
        (TicketStatus.OPEN, TicketStatus.WAITING_ON_STAFF, TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ),
    TicketStatus.WAITING_ON_STAFF: frozenset(
        (TicketStatus.OPEN, TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ),
    TicketStatus.RESOLVED: frozenset((TicketStatus.OPEN, TicketStatus.CLOSED)),
    TicketStatus.CLOSED: frozenset((TicketStatus.OPEN,)),
}


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SupportLine(models.IntegerChoices):
    FIRST = 1, _("Line 1")
    SECOND = 2, _("Line 2")
    THIRD = 3, _("Line 3")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    WIDGET = "widget", _("Site widget")
    API = "api", _("API")
    STAFF = "staff", _("Staff area")


class InboundStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    IGNORED = "ignored", _("Ignored (automatic mail)")
    REFUSED = "refused", _("Refused")
