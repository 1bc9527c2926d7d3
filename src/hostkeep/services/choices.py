from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


S = ServiceStatus
# The whole life of a service: pending -> provisioning -> active <-> suspended -> terminated,
# plus cancelled (by the customer or staff) and failed (provisioning gave up; retry or cancel).
SERVICE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROVISIONING, S.CANCELLED}),
    S.PROVISIONING: frozenset({S.ACTIVE, S.FAILED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.TERMINATED, S.CANCELLED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.TERMINATED, S.CANCELLED}),
    S.FAILED: frozenset({S.PROVISIONING, S.CANCELLED}),
    S.TERMINATED: frozenset(),
    S.CANCELLED: frozenset(),
}
LIVE_STATUSES = frozenset({S.ACTIVE, S.SUSPENDED})


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class ChangeKind(models.TextChoices):
    UPGRADE = "upgrade", _("Upgrade")
    DOWNGRADE = "downgrade", _("Downgrade")
    CANCELLATION = "cancellation", _("Cancellation")
    DUE_DATE = "due_date", _("Due date moved")


class CancelWhen(models.TextChoices):
    PERIOD_END = "period_end", _("At the end of the paid period")
    NOW = "now", _("Immediately")
