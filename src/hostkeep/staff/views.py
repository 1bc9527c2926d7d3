"""Staff area pages: each checks a staff permission through the Actor, then reads selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from hostkeep.accounts import selectors
from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.core.errors import HostkeepError

View = Callable[..., HttpResponse]


def staff_page(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: ActorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_staff:
            return (
                redirect("portal:dashboard")
                if request.actor.is_customer
                else render(request, "portal/no_account.html", status=403)
            )
        try:
            return view(request, *args, **kwargs)
        except HostkeepError as error:
            return render(request, "error.html", {"error": error}, status=error.status)

    return wrapper


@staff_page
def dashboard(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    context: dict[str, Any] = {"permissions": sorted(actor.staff_permissions)}
    if actor.can(StaffPermission.VIEW_CUSTOMERS):
        context["customer_count"] = selectors.customers_for_staff(actor).count()
    if actor.can(StaffPermission.VIEW_AUDIT):
        context["recent"] = selectors.audit_for_staff(actor)[:10]
    return render(request, "staff/dashboard.html", context)


@staff_page
def customers(request: ActorRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.customers_for_staff(request.actor, search=search), 50).get_page(request.GET.get("page"))
    return render(request, "staff/customers.html", {"page": page, "q": search})


@staff_page
def customer_detail(request: ActorRequest, customer_id: int) -> HttpResponse:
    actor = request.actor
    customer = selectors.customer_for_staff(actor, customer_id)
    context = {
        "customer": customer,
        "contacts": selectors.customer_contacts_for_staff(actor, customer),
        "entities": selectors.customer_legal_entities_for_staff(actor, customer),
        "events": selectors.audit_for_staff(actor, customer_id=customer.pk)[:50]
        if actor.can(StaffPermission.VIEW_AUDIT)
        else [],
    }
    return render(request, "staff/customer_detail.html", context)


@staff_page
def team(request: ActorRequest) -> HttpResponse:
    return render(request, "staff/team.html", {"members": selectors.staff_members_for_staff(request.actor)})


@staff_page
def audit(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.audit_for_staff(request.actor), 100).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page})
