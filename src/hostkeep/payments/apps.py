import importlib

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Gateway interface + registry, gateway accounts, payments, refunds, webhook events; credits the ledger."""

    name = "hostkeep.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from hostkeep.payments import builtin  # noqa: F401 - registers the manual gateway
        from hostkeep.payments.notifications import register_events

        # The gateways installed (settings.PAYMENT_GATEWAY_MODULES); each registers itself.
        for module_name in getattr(settings, "PAYMENT_GATEWAY_MODULES", ()):
            importlib.import_module(module_name)
        register_events()
