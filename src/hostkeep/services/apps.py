from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "hostkeep.services"
    label = "services"
    verbose_name = _("Services and orders")

    def ready(self) -> None:
        from hostkeep.services import notifications

        notifications.register()
