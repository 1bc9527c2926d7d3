from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingMode(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid: periods are charged from the balance before they start")
    POSTPAID = "postpaid", _("Postpaid: periods and usage are invoiced afterwards")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


class LineKind(models.TextChoices):
    SERVICE_PERIOD = "service_period", _("Service period")
    USAGE = "usage", _("Usage")
    ADDON = "addon", _("Add-on")
    SETUP_FEE = "setup_fee", _("Setup fee")
    ONE_OFF = "one_off", _("One-off charge")
    DISCOUNT = "discount", _("Discount")
    PRORATION = "proration", _("Plan change")
    DEBT = "debt", _("Unpaid promised payment")


class PromisedPaymentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REPAID = "repaid", _("Repaid")
    EXPIRED = "expired", _("Expired unpaid")


class DunningStepKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before due")
    OVERDUE = "overdue", _("Overdue")
    SUSPENDED = "suspended", _("Suspended for debt")
    TERMINATED = "terminated", _("Terminated for debt")
    UNSUSPENDED = "unsuspended", _("Unsuspended after payment")
