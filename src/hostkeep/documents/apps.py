from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """Pdfs of invoices, credit notes, acts, contracts and statements; numbering, storage, exports."""

    name = "hostkeep.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from hostkeep.documents import notifications

        notifications.register()
