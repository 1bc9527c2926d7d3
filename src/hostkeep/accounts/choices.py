from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class ContactRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    READ_ONLY = "read_only", _("Read-only")


class StaffRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    ACCOUNTANT = "accountant", _("Accountant")
    SUPPORT_LINE_1 = "support_1", _("Support, line 1")
    SUPPORT_LINE_2 = "support_2", _("Support, line 2")
    SUPPORT_LINE_3 = "support_3", _("Support, line 3")
    ENGINEER = "engineer", _("Engineer")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    RUSSIAN = "ru", _("Russian")
    SPANISH = "es", _("Spanish")
