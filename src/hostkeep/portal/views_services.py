"""Portal pages for what a customer has bought: the services with their state and next due
date, and a service's page with its history, a plan change priced before it is confirmed,
and cancellation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import CustomerPermission
from hostkeep.catalog import selectors as catalog_selectors
from hostkeep.catalog.templatetags.catalog_display import money
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.portal.forms_ordering import CancelForm, ServiceChangeForm, problems_of
from hostkeep.portal.views import customer_page
from hostkeep.provisioning import selectors as provisioning_selectors
from hostkeep.services import actions, selectors
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service


@customer_page
def services(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.services_for_customer(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "portal/services.html", {"page": page})


def _change_form(service: Service, data: Any = None) -> ServiceChangeForm | None:
    """The plan change form, for an active service whose product is still sold."""
    product = catalog_selectors.product_for_change(service.product_id, currency=service.currency)
    if product is None or service.status != ServiceStatus.ACTIVE:
        return None
    return ServiceChangeForm(product, service, data)


def _service_page(
    request: ActorRequest,
    service: Service,
    *,
    change_form: ServiceChangeForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = request.actor.can(CustomerPermission.MANAGE_SERVICES)
    context = {
        "service": service,
        "options": catalog_selectors.described_options(service.product_id, service.option_values),
        "can_manage": can_manage,
        "change_form": change_form or (_change_form(service) if can_manage else None),
        "cancel_form": cancel_form or CancelForm(),
        "server": provisioning_selectors.server_for_service(service),
    }
    return render(request, "portal/service_detail.html", context, status=status)


@customer_page
def service_detail(request: ActorRequest, service_id: int) -> HttpResponse:
    return _service_page(request, selectors.service_for_customer(request.actor, service_id))


@customer_page
@require_POST
def service_change_preview(request: ActorRequest, service_id: int) -> HttpResponse:
    """Step one of a plan change: what it costs now, shown for the customer to confirm."""
    actor = request.actor
    service = selectors.service_for_customer(actor, service_id)
    form = _change_form(service, request.POST)
    if form is None:
        raise Conflict(_("Only an active service can be changed."))
    if form.is_valid():
        try:
            preview = actions.service_change_preview(actor=actor, service_id=service.pk, **form.change_choices())
        except ValidationFailed as error:
            form.refuse(error)
        else:
            return render(
                request, "portal/service_change_confirm.html", {"service": service, "form": form, "preview": preview}
            )
    return _service_page(request, service, change_form=form, status=422)


@customer_page
@require_POST
def service_change_apply(request: ActorRequest, service_id: int) -> HttpResponse:
    """Step two: make the change; the prorated amount is recorded for billing."""
    actor = request.actor
    service = selectors.service_for_customer(actor, service_id)
    form = _change_form(service, request.POST)
    if form is None or not form.is_valid():
        messages.error(request, _("The change could not be read; please choose again."))
        return redirect("portal:service_detail", service.pk)
    try:
        change = actions.service_change_apply(actor=actor, service_id=service.pk, **form.change_choices())
    except (ValidationFailed, Conflict) as error:
        for problem in problems_of(error):
            messages.error(request, problem)
        return redirect("portal:service_detail", service.pk)
    if change.amount >= 0:
        message = _("Your service is changed; %(amount)s will be charged.")
    else:
        message = _("Your service is changed; %(amount)s will be credited to your balance.")
    messages.success(request, message % {"amount": money(abs(change.amount), change.currency)})
    return redirect("portal:service_detail", service.pk)


@customer_page
@require_POST
def service_cancel(request: ActorRequest, service_id: int) -> HttpResponse:
    actor = request.actor
    service = selectors.service_for_customer(actor, service_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            actions.service_cancel(actor=actor, service_id=service.pk, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            messages.success(request, _("Your cancellation is recorded."))
            return redirect("portal:service_detail", service.pk)
    return _service_page(request, service, cancel_form=form, status=422)
