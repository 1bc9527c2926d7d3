"""Portal pages of provisioning: log in to the panel of a service, and a new panel password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.core.errors import Conflict, TerminalError
from hostkeep.portal.views import customer_page
from hostkeep.provisioning import panel_actions


@customer_page
def service_panel(request: ActorRequest, service_id: int) -> HttpResponse:
    """Send the customer to their server in the panel."""
    try:
        url = panel_actions.service_panel_link(actor=request.actor, service_id=service_id)
    except (Conflict, TerminalError) as error:
        messages.error(request, error.message)
        return redirect("portal:service_detail", service_id)
    return redirect(url)


@customer_page
@require_POST
def service_panel_password(request: ActorRequest, service_id: int) -> HttpResponse:
    try:
        password = panel_actions.service_panel_password_reset(actor=request.actor, service_id=service_id)
    except (Conflict, TerminalError) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Your new panel password is %(password)s — it is shown only this once.") % {"password": password},
        )
    return redirect("portal:service_detail", service_id)
