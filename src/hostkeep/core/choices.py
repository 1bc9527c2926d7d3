from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    API_TOKEN = "api_token", _("API token")
    SYSTEM = "system", _("System")
    ANONYMOUS = "anonymous", _("Anonymous")
