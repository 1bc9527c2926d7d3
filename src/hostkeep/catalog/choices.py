from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    HIDDEN = "hidden", _("Hidden (direct link only)")
    RETIRED = "retired", _("Retired (no new orders)")


class PricingModel(models.TextChoices):
    ONE_TIME = "one_time", _("One-time")
    RECURRING = "recurring", _("Recurring")
    PAY_AS_YOU_GO = "pay_as_you_go", _("Pay as you go")
    ALLOCATION_POOL = "allocation_pool", _("Allocation pool")
    HYBRID = "hybrid", _("Hybrid (fixed fee plus usage)")


class PeriodUnit(models.TextChoices):
    ONCE = "once", _("once")
    MONTH = "month", _("month")
    DAY = "day", _("day")
    HOUR = "hour", _("hour")


class OptionKind(models.TextChoices):
    QUANTITY = "quantity", _("Quantity in a range")
    SELECT = "select", _("Choice from a list")


class PromoKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    FIXED = "fixed", _("Fixed amount off")


class RefundPolicy(models.TextChoices):
    NONE = "none", _("No refund on cancellation")
    PRORATED = "prorated", _("Unused share of the period credited to the balance")


# Recurring plans bill in these periods (BRIEF.md); days and hours only where a product allows.
MONTH_PERIODS = (1, 3, 6, 12)
