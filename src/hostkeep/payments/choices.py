"""Enumerations of payments and the one transition table of a payment's state."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentKind(models.TextChoices):
    CHECKOUT = "checkout", _("Online checkout")
    AUTOPAY = "autopay", _("Auto-pay with a saved method")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    MANUAL = "manual", _("Entered by staff")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UNKNOWN = "unknown", _("Unknown: asking the gateway")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Declined")
    HELD = "held", _("Held for review")
    REJECTED = "rejected", _("Rejected by staff")
    CANCELLED = "cancelled", _("Cancelled")


# The remote-driven state machine (STYLE 7): what a payment may become from each state. A
# late "declined" never undoes a success; a success after a decline (the buyer tried another
# card on the same page) is accepted.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.UNKNOWN,
            PaymentStatus.PARTIALLY_PAID,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.HELD,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.UNKNOWN: frozenset(
        {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.HELD}
    ),
    PaymentStatus.PARTIALLY_PAID: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.HELD}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.HELD}),
    PaymentStatus.HELD: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REJECTED}),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.REJECTED: frozenset(),
    PaymentStatus.CANCELLED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.HELD}),
}

OPEN_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.UNKNOWN)


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class NotificationVerdict(models.TextChoices):
    """What became of one incoming request from a gateway (every one is logged)."""

    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate: already applied")
    IGNORED = "ignored", _("Ignored: nothing to do")
    HELD = "held", _("Held for review")
    REJECTED = "rejected", _("Rejected: failed verification")
    UNKNOWN_PAYMENT = "unknown_payment", _("No such payment")
    ERROR = "error", _("Error")


class AutopayStatus(models.TextChoices):
    PENDING = "pending", _("Trying")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Every method declined")
    NO_METHOD = "no_method", _("No saved method")


class StatementLineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched and credited")
    PARTIAL = "partial", _("Part payment credited")
    DUPLICATE = "duplicate", _("Duplicate line, skipped")
    UNMATCHED = "unmatched", _("Waiting for staff")
    REVIEW = "review", _("More than asked: waiting for staff")
    ASSIGNED = "assigned", _("Assigned by staff and credited")
