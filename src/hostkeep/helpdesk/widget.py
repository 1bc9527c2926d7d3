"""The site widget: a ticket from a visitor of a customer's project site, without a login."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Contact
from hostkeep.core.actions import AuditActor
from hostkeep.core.errors import ValidationFailed
from hostkeep.helpdesk.actions import ticket_create
from hostkeep.helpdesk.choices import Channel
from hostkeep.helpdesk.models import Ticket, WidgetKey


@transaction.atomic
def widget_ticket_open(*, key: WidgetKey, payload: dict[str, Any]) -> Ticket:
    """The ticket goes to the key's customer and project. The visitor's address is checked for
    form only; it becomes the requester (answered by mail), and is linked to a contact only
    when it is one of that customer's."""
    sender = str(payload.get("email", "")).strip().lower()[:254]
    try:
        validate_email(sender)
    except ValidationError:
        raise ValidationFailed(
            _("Enter a valid e-mail address."), fields={"email": [_("Enter a valid e-mail address.")]}
        ) from None
    customer = key.project.customer
    contact = Contact.objects.select_related("user").filter(customer=customer, user__email__iexact=sender).first()
    return ticket_create(
        audit_actor=AuditActor(kind="anonymous", label=f"widget {key.project.name}: {sender}"[:254]),
        subject=str(payload.get("subject", ""))[:250],
        body=str(payload.get("message", ""))[:20_000],
        department=key.department,
        channel=Channel.WIDGET,
        customer=customer,
        contact=contact,
        requester_email=sender,
        requester_name=str(payload.get("name", "")).strip()[:200],
        project=key.project,
        domain=key.project.domain,
    )
