from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    """Tickets, messages, departments, support lines, canned replies, attachments, mail, time logs."""

    name = "hostkeep.helpdesk"
    label = "helpdesk"
    verbose_name = _("Helpdesk")

    def ready(self) -> None:
        from hostkeep.helpdesk import events

        events.register()
