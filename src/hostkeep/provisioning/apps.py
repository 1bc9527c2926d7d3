from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    """Module interface + registry, provisioning jobs with retries, reconciliation with the panels."""

    name = "hostkeep.provisioning"
    label = "provisioning"
    verbose_name = _("Provisioning")

    def ready(self) -> None:
        from hostkeep.provisioning import notices
        from hostkeep.provisioning.registry import load_modules

        load_modules()
        notices.register()
