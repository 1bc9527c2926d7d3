from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    ACT = "act", _("Act of services rendered")
    CONTRACT = "contract", _("Contract")
    STATEMENT = "statement", _("Statement of account")


# The prefix each kind's number carries (invoices and credit notes keep billing's numbers).
NUMBER_PREFIXES: dict[str, str] = {
    DocumentKind.ACT: "ACT",
    DocumentKind.CONTRACT: "CON",
    DocumentKind.STATEMENT: "STM",
}

DOCUMENT_LANGUAGES = ("en", "ru")
