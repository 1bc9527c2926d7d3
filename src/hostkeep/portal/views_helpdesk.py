"""Portal pages of helpdesk: the account's tickets, opening one (with the rules of service of
its plans shown first), a ticket's conversation with replies, closing and rating, and
attachments as downloads. Thin views over helpdesk's selectors and actions."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.helpdesk import actions, selectors
from hostkeep.helpdesk.choices import TicketPriority, TicketStatus
from hostkeep.helpdesk.sla import sla_clocks
from hostkeep.helpdesk.views import attachment_response, incoming_files
from hostkeep.portal.views import customer_page


@customer_page
def tickets(request: ActorRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = selectors.tickets_for_customer(
        request.actor, status=status, project_id=request.GET.get("project"), query=request.GET.get("q", "")
    )
    context = {
        "page": Paginator(queryset, 25).get_page(request.GET.get("page")),
        "statuses": TicketStatus.choices,
        "projects": selectors.projects_for_ticket_form(request.actor),
        "status": status,
    }
    return render(request, "portal/helpdesk/tickets.html", context)


def _form_context(request: ActorRequest, values: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    actor = request.actor
    return {
        "departments": selectors.departments_for_customer(),
        "services": selectors.services_for_ticket_form(actor),
        "projects": selectors.projects_for_ticket_form(actor),
        "rules": selectors.rules_of_service(actor),
        "priorities": TicketPriority.choices,
        "values": values,
        "errors": errors,
    }


@customer_page
def ticket_new(request: ActorRequest) -> HttpResponse:
    if request.method != "POST":
        values = {"service": request.GET.get("service", ""), "project": request.GET.get("project", "")}
        return render(request, "portal/helpdesk/tickets_new.html", _form_context(request, values, []))
    data = request.POST
    try:
        ticket = actions.ticket_open(
            actor=request.actor,
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            department_id=data.get("department"),
            priority=data.get("priority", TicketPriority.NORMAL),
            service_id=data.get("service") or None,
            project_id=data.get("project") or None,
            domain=data.get("domain", ""),
            files=incoming_files(request),
        )
    except ValidationFailed as error:
        context = _form_context(request, data.dict(), [error.message])
        return render(request, "portal/helpdesk/tickets_new.html", context, status=422)
    messages.success(request, _("Ticket #%(number)s is opened.") % {"number": ticket.pk})
    return redirect("portal:helpdesk_ticket", ticket_id=ticket.pk)


@customer_page
def ticket_detail(request: ActorRequest, ticket_id: int, errors: list[str] | None = None) -> HttpResponse:
    ticket = selectors.ticket_for_customer(request.actor, ticket_id)
    context = {
        "ticket": ticket,
        "errors": errors or [],
        "can_rate": ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and not hasattr(ticket, "rating"),
        "is_open": ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED),
        "sla": sla_clocks(ticket),
    }
    return render(request, "portal/helpdesk/tickets_detail.html", context, status=422 if errors else 200)


@customer_page
@require_POST
def ticket_reply(request: ActorRequest, ticket_id: int) -> HttpResponse:
    try:
        actions.ticket_customer_reply(
            actor=request.actor, ticket_id=ticket_id, body=request.POST.get("body", ""), files=incoming_files(request)
        )
    except ValidationFailed as error:
        return ticket_detail(request, ticket_id, errors=[error.message])
    messages.success(request, _("Your reply is sent."))
    return redirect("portal:helpdesk_ticket", ticket_id=ticket_id)


@customer_page
@require_POST
def ticket_close(request: ActorRequest, ticket_id: int) -> HttpResponse:
    try:
        actions.ticket_set_status(actor=request.actor, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    except Conflict as error:
        return ticket_detail(request, ticket_id, errors=[error.message])
    messages.success(request, _("The ticket is marked resolved."))
    return redirect("portal:helpdesk_ticket", ticket_id=ticket_id)


@customer_page
@require_POST
def ticket_rate(request: ActorRequest, ticket_id: int) -> HttpResponse:
    score = request.POST.get("score", "")
    try:
        actions.ticket_rate(
            actor=request.actor,
            ticket_id=ticket_id,
            score=int(score) if score.isdigit() else 0,
            comment=request.POST.get("comment", ""),
        )
    except (ValidationFailed, Conflict) as error:
        return ticket_detail(request, ticket_id, errors=[error.message])
    messages.success(request, _("Thank you for your rating."))
    return redirect("portal:helpdesk_ticket", ticket_id=ticket_id)


@customer_page
def attachment(request: ActorRequest, attachment_id: int) -> HttpResponse:
    # A streamed download; the page decorators treat every answer alike.
    return cast(HttpResponse, attachment_response(selectors.attachment_for_customer(request.actor, attachment_id)))
