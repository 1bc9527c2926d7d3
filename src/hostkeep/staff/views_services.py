"""Staff pages for services, orders and the catalogue: thin views over the services and
catalog selectors and actions; every action on a service asks for a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.catalog import selectors as catalog_selectors
from hostkeep.catalog.templatetags.catalog_display import money
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.services import actions, selectors
from hostkeep.services.models import Service
from hostkeep.staff.forms import ChangePlanForm, DueDateForm, OrderFilterForm, ServiceFilterForm, StaffActionForm
from hostkeep.staff.views import staff_page

TRANSITIONS: dict[str, Callable[..., Service]] = {
    "suspend": actions.service_suspend,
    "unsuspend": actions.service_unsuspend,
    "terminate": actions.service_terminate,
}


@staff_page
def services(request: ActorRequest) -> HttpResponse:
    form = ServiceFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {"status": "", "q": ""}
    queryset = selectors.services_for_staff(request.actor, status=filters["status"], search=filters["q"].strip())
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "staff/services.html", {"page": page, "form": form, "q": filters["q"]})


def _plans_of(service: Service) -> list[Any]:
    product = catalog_selectors.product_for_change(service.product_id, currency=service.currency)
    return list(product.plans.all()) if product is not None else []


def _service_page(request: ActorRequest, service: Service, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "service": service,
        "options": catalog_selectors.described_options(service.product_id, service.option_values),
        "can_manage": request.actor.can(StaffPermission.MANAGE_SERVICES),
        "action_form": forms.get("action_form") or StaffActionForm(),
        "change_form": forms.get("change_form") or ChangePlanForm(_plans_of(service)),
        "due_date_form": forms.get("due_date_form") or DueDateForm(initial={"due_date": service.next_due_date}),
    }
    return render(request, "staff/service_detail.html", context, status=status)


@staff_page
def service_detail(request: ActorRequest, service_id: int) -> HttpResponse:
    return _service_page(request, selectors.service_for_staff(request.actor, service_id))


@staff_page
@require_POST
def service_transition(request: ActorRequest, service_id: int, verb: str) -> HttpResponse:
    """Suspend, unsuspend or terminate, with the reason given."""
    if verb not in TRANSITIONS:
        raise Http404
    service = selectors.service_for_staff(request.actor, service_id)
    form = StaffActionForm(request.POST)
    if form.is_valid():
        try:
            TRANSITIONS[verb](actor=request.actor, service_id=service.pk, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            messages.success(request, _("Done: the service's history has the reason."))
            return redirect("staff:service_detail", service.pk)
    return _service_page(request, service, status=422, action_form=form)


@staff_page
@require_POST
def service_change_plan(request: ActorRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_staff(request.actor, service_id)
    form = ChangePlanForm(_plans_of(service), request.POST)
    if form.is_valid():
        try:
            change = actions.service_change_plan(
                actor=request.actor,
                service_id=service.pk,
                plan_id=form.cleaned_data["plan"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            amount = money(change.amount, change.currency)
            messages.success(request, _("Plan changed; %(amount)s recorded for billing.") % {"amount": amount})
            return redirect("staff:service_detail", service.pk)
    return _service_page(request, service, status=422, change_form=form)


@staff_page
@require_POST
def service_due_date(request: ActorRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_staff(request.actor, service_id)
    form = DueDateForm(request.POST)
    if form.is_valid():
        try:
            actions.service_set_due_date(actor=request.actor, service_id=service.pk, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            messages.success(request, _("Due date moved."))
            return redirect("staff:service_detail", service.pk)
    return _service_page(request, service, status=422, due_date_form=form)


@staff_page
def orders(request: ActorRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.orders_for_staff(request.actor, status=status), 50).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "can_manage": request.actor.can(StaffPermission.MANAGE_SERVICES)}
    return render(request, "staff/orders.html", context)


@staff_page
@require_POST
def order_approve(request: ActorRequest, order_id: int) -> HttpResponse:
    try:
        order = actions.order_approve(actor=request.actor, order_id=order_id)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Order %(number)s approved.") % {"number": order.number})
    return redirect("staff:orders")


@staff_page
def catalogue(request: ActorRequest) -> HttpResponse:
    context = {
        "groups": catalog_selectors.catalogue_for_staff(request.actor),
        "promo_codes": catalog_selectors.promo_codes_for_staff(request.actor),
    }
    return render(request, "staff/catalogue.html", context)
