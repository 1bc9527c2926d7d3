from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Gateway interface + registry, gateway accounts, payments, refunds, webhook events; credits the ledger."""

    name = "hostkeep.payments"
    label = "payments"
    verbose_name = _("Payments")
