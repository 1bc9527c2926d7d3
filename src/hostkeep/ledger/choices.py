from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    """Debit-positive double entry. Customer balance is credit-normal (money the provider holds
    for the customer); receivable is debit-normal (money the customer owes)."""

    CUSTOMER_BALANCE = "customer_balance", _("Customer balance")
    RECEIVABLE = "receivable", _("Accounts receivable")
    REVENUE = "revenue", _("Revenue")
    TAX_PAYABLE = "tax_payable", _("Tax payable")
    GATEWAY_CLEARING = "gateway_clearing", _("Gateway clearing")
    PROMISED_CREDIT = "promised_credit", _("Promised credit")
    REFUNDS = "refunds", _("Refunds paid out")
    ADJUSTMENTS = "adjustments", _("Manual adjustments")


PER_CUSTOMER = frozenset({AccountKind.CUSTOMER_BALANCE, AccountKind.RECEIVABLE, AccountKind.PROMISED_CREDIT})


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    PAYMENT = "payment", _("Payment")
    CHARGE = "charge", _("Charge")
    INVOICE = "invoice", _("Invoice issued")
    SETTLEMENT = "settlement", _("Invoice paid from balance")
    CREDIT = "credit", _("Credit")
    REFUND = "refund", _("Refund")
    PROMISED_PAYMENT = "promised_payment", _("Promised payment")
    PROMISED_PAYMENT_END = "promised_payment_end", _("Promised payment ended")
    ADJUSTMENT = "adjustment", _("Manual adjustment")
    REVERSAL = "reversal", _("Reversal")
