from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The event catalogue, channels, templates, preferences and the delivery log."""

    name = "hostkeep.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from hostkeep.notifications import security

        security.register()
