"""Staff pages of the helpdesk's set-up: departments (and how they are paid), SLA targets per
department and plan, IMAP mailboxes with a connection test, widget keys per project (with the
script tag to embed, rotation and revocation) and hourly rates; plus the watchers box of a
ticket. Thin views: a form shapes the input, one set-up action checks and writes it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.models import default_currency
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.helpdesk import actions, actions_setup, selectors_setup
from hostkeep.helpdesk.forms_setup import (
    AgentRateForm,
    CustomerRateForm,
    DepartmentForm,
    MailboxForm,
    SlaPolicyForm,
    WidgetKeyForm,
)
from hostkeep.staff import views_helpdesk
from hostkeep.staff.views import staff_page

REFUSALS = (ValidationFailed, Conflict)


def _posted(request: ActorRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _page(request: ActorRequest, template: str, context: dict[str, Any], *, invalid: bool = False) -> HttpResponse:
    return render(request, f"staff/helpdesk/{template}", context, status=422 if invalid else 200)


# --- departments -----------------------------------------------------------------------------


@staff_page
def departments(request: ActorRequest, department_id: int | None = None) -> HttpResponse:
    """The departments with their SLA targets, and the form to add one (or change one)."""
    actor = request.actor
    department = selectors_setup.department_for_setup(actor, department_id) if department_id else None
    if request.method == "POST":
        form = DepartmentForm(request.POST)
    elif department is not None:
        form = DepartmentForm(
            initial={
                "name": department.name,
                "email": department.email,
                "is_public": department.is_public,
                "charging": actions_setup.department_charging(department),
                "price_per_ticket": department.price_per_ticket or "",
                "currency": department.currency,
                "sort_order": department.sort_order,
            }
        )
    else:
        form = DepartmentForm(initial={"currency": default_currency()})
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions_setup.department_save(actor=actor, department_id=department_id, **form.cleaned_data)
        except REFUSALS as error:
            form.refuse(error)
        else:
            messages.success(request, _("The department “%(name)s” is saved.") % {"name": saved.name})
            return redirect("staff:helpdesk_setup_departments")
    context = {
        "departments": selectors_setup.departments_for_setup(actor),
        "department": department,
        "form": form,
    }
    return _page(request, "setup_departments.html", context, invalid=request.method == "POST")


# --- SLA targets -----------------------------------------------------------------------------


@staff_page
def sla_targets(request: ActorRequest, policy_id: int | None = None) -> HttpResponse:
    actor = request.actor
    policy = selectors_setup.sla_policy_for_setup(actor, policy_id) if policy_id else None
    choices = {
        "departments": selectors_setup.departments_for_setup(actor),
        "plans": selectors_setup.plans_for_setup(actor),
    }
    initial = {}
    if policy is not None:
        initial = {
            "department": policy.department_id or "",
            "plan": policy.plan_id or "",
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
        }
    form = SlaPolicyForm(_posted(request), initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions_setup.sla_policy_save(
                actor=actor,
                policy_id=policy_id,
                department_id=data["department"],
                plan_id=data["plan"],
                first_response_minutes=data["first_response_minutes"],
                resolution_minutes=data["resolution_minutes"],
            )
        except REFUSALS as error:
            form.refuse(error)
        else:
            messages.success(request, _("The SLA target is saved."))
            return redirect("staff:helpdesk_setup_sla")
    context = {"policies": selectors_setup.sla_policies_for_setup(actor), "policy": policy, "form": form}
    return _page(request, "setup_sla.html", context, invalid=request.method == "POST")


@staff_page
@require_POST
def sla_target_delete(request: ActorRequest, policy_id: int) -> HttpResponse:
    actions_setup.sla_policy_delete(actor=request.actor, policy_id=policy_id)
    messages.success(request, _("The SLA target is removed."))
    return redirect("staff:helpdesk_setup_sla")


# --- mailboxes -------------------------------------------------------------------------------


@staff_page
def mailboxes(request: ActorRequest, mailbox_id: int | None = None) -> HttpResponse:
    actor = request.actor
    mailbox = selectors_setup.mailbox_for_setup(actor, mailbox_id) if mailbox_id else None
    departments_ = selectors_setup.departments_for_setup(actor)
    initial: dict[str, Any] = {}
    if mailbox is not None:
        initial = {
            field: getattr(mailbox, field)
            for field in ("name", "address", "host", "port", "use_ssl", "username", "folder", "is_active")
        }
        initial["department"] = mailbox.department_id
    form = MailboxForm(_posted(request), initial=initial, departments=departments_)
    if mailbox is None:
        form.fields["password"].required = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = actions_setup.mailbox_save(
                actor=actor, mailbox_id=mailbox_id, department_id=data.pop("department"), **data
            )
        except REFUSALS as error:
            form.refuse(error)
        else:
            messages.success(request, _("The mailbox “%(name)s” is saved; test it.") % {"name": saved.name})
            return redirect("staff:helpdesk_setup_mailboxes")
    context = {"mailboxes": selectors_setup.mailboxes_for_setup(actor), "mailbox": mailbox, "form": form}
    return _page(request, "setup_mailboxes.html", context, invalid=request.method == "POST")


@staff_page
@require_POST
def mailbox_test(request: ActorRequest, mailbox_id: int) -> HttpResponse:
    """Log in to the mailbox now and say what happened (nothing is fetched)."""
    report = actions_setup.mailbox_test(actor=request.actor, mailbox_id=mailbox_id)
    (messages.success if report.ok else messages.error)(request, report.message)
    return redirect("staff:helpdesk_setup_mailboxes")


# --- widget keys -----------------------------------------------------------------------------


@staff_page
def widget_keys(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = WidgetKeyForm(
        _posted(request),
        departments=selectors_setup.departments_for_setup(actor),
        projects=selectors_setup.projects_for_setup(actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key = actions_setup.widget_key_create(
                actor=actor,
                project_id=data["project"],
                department_id=data["department"],
                allowed_origins=data["allowed_origins"],
                hourly_limit=data["hourly_limit"],
            )
        except REFUSALS as error:
            form.refuse(error)
        else:
            messages.success(request, _("The widget key is made: embed the script tag below on the site."))
            return redirect("staff:helpdesk_setup_widget_key", key_id=key.pk)
    context = {"keys": selectors_setup.widget_keys_for_setup(actor), "form": form}
    return _page(request, "setup_widget_keys.html", context, invalid=request.method == "POST")


@staff_page
def widget_key(request: ActorRequest, key_id: int) -> HttpResponse:
    """One key: the script tag to embed, its origins and department, rotate and revoke."""
    actor = request.actor
    key = selectors_setup.widget_key_for_setup(actor, key_id)
    form = WidgetKeyForm(
        _posted(request),
        initial={
            "department": key.department_id,
            "allowed_origins": key.allowed_origins,
            "hourly_limit": key.hourly_limit,
        },
        departments=selectors_setup.departments_for_setup(actor),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions_setup.widget_key_update(
                actor=actor,
                key_id=key.pk,
                department_id=form.cleaned_data["department"],
                allowed_origins=form.cleaned_data["allowed_origins"],
                hourly_limit=form.cleaned_data["hourly_limit"],
            )
        except REFUSALS as error:
            form.refuse(error)
        else:
            messages.success(request, _("The widget key is saved."))
            return redirect("staff:helpdesk_setup_widget_key", key_id=key.pk)
    script_url = request.build_absolute_uri(reverse("helpdesk:widget_script", args=[key.key]))
    context = {
        "key": key,
        "form": form,
        "script_tag": f'<script src="{script_url}" async></script>',
        "rate_per_hour": key.rate_per_hour(),
    }
    return _page(request, "setup_widget_key.html", context, invalid=request.method == "POST")


@staff_page
@require_POST
def widget_key_rotate(request: ActorRequest, key_id: int) -> HttpResponse:
    actions_setup.widget_key_rotate(actor=request.actor, key_id=key_id)
    messages.success(request, _("The key is replaced: the old script tag no longer works; embed the new one."))
    return redirect("staff:helpdesk_setup_widget_key", key_id=key_id)


@staff_page
@require_POST
def widget_key_revoke(request: ActorRequest, key_id: int) -> HttpResponse:
    actions_setup.widget_key_revoke(actor=request.actor, key_id=key_id)
    messages.success(request, _("The key is revoked: the widget no longer opens tickets."))
    return redirect("staff:helpdesk_setup_widget_key", key_id=key_id)


# --- hourly rates ----------------------------------------------------------------------------


@staff_page
def rates(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    agents = selectors_setup.agents_for_setup(actor)
    posted = request.POST.get("form") if request.method == "POST" else None
    agent_form = AgentRateForm(
        request.POST if posted == "agent" else None,
        initial={"currency": default_currency()},
        agents=agents,
    )
    customer_form = CustomerRateForm(request.POST if posted == "customer" else None)
    if posted == "agent" and agent_form.is_valid():
        try:
            actions_setup.agent_rate_save(
                actor=actor,
                staff_id=agent_form.cleaned_data["staff"],
                hourly_rate=agent_form.cleaned_data["hourly_rate"],
                currency=agent_form.cleaned_data["currency"],
            )
        except REFUSALS as error:
            agent_form.refuse(error)
        else:
            messages.success(request, _("The agent's rate is saved."))
            return redirect("staff:helpdesk_setup_rates")
    if posted == "customer" and customer_form.is_valid():
        try:
            actions_setup.customer_rate_save(
                actor=actor,
                customer_id=customer_form.cleaned_data["customer"],
                hourly_rate=customer_form.cleaned_data["hourly_rate"],
            )
        except REFUSALS as error:
            customer_form.refuse(error)
        else:
            messages.success(request, _("The customer's rate is saved."))
            return redirect("staff:helpdesk_setup_rates")
    context = {
        "agent_rates": selectors_setup.agent_rates_for_setup(actor),
        "customer_rates": selectors_setup.customer_rates_for_setup(actor),
        "agent_form": agent_form,
        "customer_form": customer_form,
    }
    return _page(request, "setup_rates.html", context, invalid=posted is not None)


@staff_page
@require_POST
def agent_rate_delete(request: ActorRequest, rate_id: int) -> HttpResponse:
    actions_setup.agent_rate_delete(actor=request.actor, rate_id=rate_id)
    messages.success(request, _("The agent's rate is removed."))
    return redirect("staff:helpdesk_setup_rates")


@staff_page
@require_POST
def customer_rate_delete(request: ActorRequest, rate_id: int) -> HttpResponse:
    actions_setup.customer_rate_delete(actor=request.actor, rate_id=rate_id)
    messages.success(request, _("The customer's rate is removed."))
    return redirect("staff:helpdesk_setup_rates")


# --- watchers of a ticket --------------------------------------------------------------------


def _watchers(request: ActorRequest, ticket_id: int, contact_id: object, *, add: bool) -> HttpResponse:
    action = actions.ticket_watcher_add if add else actions.ticket_watcher_remove
    try:
        action(actor=request.actor, ticket_id=ticket_id, contact_id=contact_id)
    except REFUSALS as error:
        return views_helpdesk.ticket_detail(request, ticket_id, errors=[error.message])
    messages.success(request, _("The watcher is added.") if add else _("The watcher is removed."))
    return redirect("staff:helpdesk_ticket", ticket_id=ticket_id)


@staff_page
@require_POST
def watcher_add(request: ActorRequest, ticket_id: int) -> HttpResponse:
    return _watchers(request, ticket_id, request.POST.get("contact"), add=True)


@staff_page
@require_POST
def watcher_remove(request: ActorRequest, ticket_id: int, contact_id: int) -> HttpResponse:
    return _watchers(request, ticket_id, contact_id, add=False)
