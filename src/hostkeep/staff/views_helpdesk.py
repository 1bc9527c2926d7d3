"""Staff pages of helpdesk: the queue (filters and search), a ticket with its notes, replies
with canned replies, assignment, escalation, time and charges, SLA breaches, ratings and time
per agent, canned replies. Thin views over helpdesk's selectors and actions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.core.errors import Conflict, NotFound, ValidationFailed
from hostkeep.helpdesk import actions, selectors
from hostkeep.helpdesk.choices import SupportLine, TicketPriority, TicketStatus
from hostkeep.helpdesk.sla import sla_clocks
from hostkeep.helpdesk.views import attachment_response, incoming_files
from hostkeep.staff.views import staff_page

FILTER_NAMES = ("status", "assignee", "department", "line", "customer", "project", "tag", "query")


@staff_page
def queue(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    values = {name: request.GET.get(name, "").strip() for name in FILTER_NAMES}
    filters = selectors.TicketFilters(**values, needs_review=request.GET.get("needs_review") == "1")
    # A search is not counted: the page of newest matches is found without visiting them all.
    page = selectors.ticket_page(
        selectors.tickets_for_staff(actor, filters), number=request.GET.get("page"), size=50, count=not values["query"]
    )
    context = {
        "page": page,
        "filters": values,
        "statuses": TicketStatus.choices,
        "lines": SupportLine.choices,
        "departments": selectors.departments_for_staff(actor),
        "agents": selectors.agents_for_staff(actor),
    }
    return render(request, "staff/helpdesk/queue.html", context)


@staff_page
def ticket_detail(request: ActorRequest, ticket_id: int, errors: list[str] | None = None) -> HttpResponse:
    actor = request.actor
    ticket = selectors.ticket_for_staff(actor, ticket_id)
    context = {
        "ticket": ticket,
        "sla": sla_clocks(ticket),
        "errors": errors or [],
        "statuses": TicketStatus.choices,
        "priorities": TicketPriority.choices,
        "lines": SupportLine.choices,
        "departments": selectors.departments_for_staff(actor),
        "agents": selectors.agents_for_staff(actor),
        "canned_replies": selectors.canned_replies_for_staff(actor, department_id=ticket.department_id),
        "charge_preview": actions.ticket_charge_amount(
            ticket, [log for log in ticket.time_logs.all() if not log.invoice_id]
        )
        if ticket.is_paid and ticket.customer_id
        else None,
    }
    return render(request, "staff/helpdesk/ticket.html", context, status=422 if errors else 200)


def _act(request: ActorRequest, ticket_id: int, work: Callable[[], Any], done: str) -> HttpResponse:
    try:
        work()
    except (ValidationFailed, Conflict) as error:
        return ticket_detail(request, ticket_id, errors=[error.message])
    messages.success(request, done)
    return redirect("staff:helpdesk_ticket", ticket_id=ticket_id)


@staff_page
@require_POST
def ticket_reply(request: ActorRequest, ticket_id: int) -> HttpResponse:
    note = request.POST.get("note") == "1"
    return _act(
        request,
        ticket_id,
        lambda: actions.ticket_staff_reply(
            actor=request.actor,
            ticket_id=ticket_id,
            body=request.POST.get("body", ""),
            note=note,
            status=request.POST.get("status", ""),
            files=incoming_files(request),
        ),
        _("The note is saved.") if note else _("The reply is sent."),
    )


@staff_page
@require_POST
def ticket_status(request: ActorRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda: actions.ticket_set_status(
            actor=request.actor, ticket_id=ticket_id, status=request.POST.get("status", "")
        ),
        _("The status is changed."),
    )


@staff_page
@require_POST
def ticket_assign(request: ActorRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda: actions.ticket_assign(
            actor=request.actor, ticket_id=ticket_id, assignee_id=request.POST.get("assignee")
        ),
        _("The ticket is assigned."),
    )


@staff_page
@require_POST
def ticket_escalate(request: ActorRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda: actions.ticket_escalate(
            actor=request.actor,
            ticket_id=ticket_id,
            to_line=request.POST.get("to_line"),
            to_department_id=request.POST.get("to_department"),
            reason=request.POST.get("reason", ""),
        ),
        _("The ticket is escalated."),
    )


def _decimal(value: str | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(_("Enter a number.")) from None


@staff_page
@require_POST
def ticket_update(request: ActorRequest, ticket_id: int) -> HttpResponse:
    data = request.POST

    def work() -> None:
        actions.ticket_update(
            actor=request.actor,
            ticket_id=ticket_id,
            priority=data.get("priority") or None,
            tags=[tag for tag in data.get("tags", "").replace(",", " ").split() if tag],
            is_paid=data.get("is_paid") == "1",
            fixed_price=_decimal(data.get("fixed_price")) or Decimal(0),
            discount_percent=_decimal(data.get("discount_percent")),
            customer_id=data.get("customer") or None,
        )

    return _act(request, ticket_id, work, _("The ticket is saved."))


@staff_page
@require_POST
def ticket_time(request: ActorRequest, ticket_id: int) -> HttpResponse:
    minutes = request.POST.get("minutes", "")
    return _act(
        request,
        ticket_id,
        lambda: actions.time_log_add(
            actor=request.actor,
            ticket_id=ticket_id,
            minutes=int(minutes) if minutes.isdigit() else 0,
            billable=request.POST.get("billable") == "1",
            note=request.POST.get("note", ""),
        ),
        _("The time is logged."),
    )


@staff_page
@require_POST
def ticket_charge(request: ActorRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda: actions.ticket_charge(actor=request.actor, ticket_id=ticket_id),
        _("The charge is posted to the customer's balance."),
    )


@staff_page
def canned_reply_filled(request: ActorRequest, ticket_id: int, canned_id: int) -> HttpResponse:
    """The canned reply with the ticket's values filled in, for the reply box (JSON)."""
    actor = request.actor
    ticket = selectors.ticket_for_staff(actor, ticket_id)
    try:
        body = selectors.canned_reply_filled(actor, canned_id=canned_id, ticket=ticket)
    except NotFound as error:
        return JsonResponse(error.as_dict(), status=404)
    return JsonResponse({"body": body})


@staff_page
def attachment(request: ActorRequest, attachment_id: int) -> HttpResponse:
    # A streamed download; the page decorators treat every answer alike.
    return cast(HttpResponse, attachment_response(selectors.attachment_for_staff(request.actor, attachment_id)))


@staff_page
def sla_breaches(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.sla_breaches(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "staff/helpdesk/sla.html", {"page": page})


@staff_page
def reports(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    context = {
        "agents": selectors.ratings_by_agent(actor),
        "recent": selectors.recent_ratings(actor),
        "time": selectors.time_by_agent(actor),
    }
    return render(request, "staff/helpdesk/reports.html", context)


@staff_page
def canned_replies(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    errors: list[str] = []
    if request.method == "POST":
        try:
            actions.canned_reply_save(
                actor=actor,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                department_id=request.POST.get("department") or None,
                canned_id=request.POST.get("canned_id") or None,
            )
        except ValidationFailed as error:
            errors.append(error.message)
        else:
            messages.success(request, _("The canned reply is saved."))
            return redirect("staff:helpdesk_canned_replies")
    context = {
        "canned_replies": selectors.canned_replies_for_staff(actor),
        "departments": selectors.departments_for_staff(actor),
        "errors": errors,
    }
    return render(request, "staff/helpdesk/canned.html", context, status=422 if errors else 200)
