"""Reads of helpdesk. Customer reads start from ``customer_scope`` (another account's ticket or
attachment is simply not found) and never include internal notes; staff reads start from a
staff permission check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum

from hostkeep.accounts.models import Project, StaffMember
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.core import clock
from hostkeep.helpdesk import search
from hostkeep.helpdesk.choices import OPEN_STATUSES, MessageKind
from hostkeep.helpdesk.models import (
    Attachment,
    CannedReply,
    Department,
    Rating,
    Ticket,
    TicketMessage,
    TimeLog,
    WidgetKey,
)
from hostkeep.helpdesk.rendering import fill_variables
from hostkeep.services.models import Service

PUBLIC = Q(kind=MessageKind.REPLY)


def _public_messages() -> Prefetch[Any]:
    return Prefetch(
        "messages",
        queryset=TicketMessage.objects.filter(PUBLIC).prefetch_related("attachments").order_by("created_at", "id"),
        to_attr="public_messages",
    )


# --- customer side ------------------------------------------------------------------------


def tickets_for_customer(
    actor: Actor, *, status: str = "", project_id: object = None, query: str = ""
) -> QuerySet[Ticket]:
    queryset = customer_scope(
        Ticket.objects.select_related("department", "project", "service"), actor, CustomerPermission.OPEN_TICKETS
    )
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if project_id not in (None, ""):
        queryset = queryset.filter(project_id=int(str(project_id)) if str(project_id).isdigit() else 0)
    if query:
        queryset = search.filter_tickets(queryset, query, include_notes=False)
    return queryset.order_by("-updated_at", "-id")


def ticket_for_customer(actor: Actor, ticket_id: object) -> Ticket:
    """One of the account's tickets with its public messages only (``public_messages``)."""
    queryset = customer_scope(
        Ticket.objects.select_related("department", "project", "service", "rating").prefetch_related(
            _public_messages(), "watchers__user"
        ),
        actor,
        CustomerPermission.OPEN_TICKETS,
    )
    return get_scoped(queryset, ticket_id)


def attachment_for_customer(actor: Actor, attachment_id: object) -> Attachment:
    """A file of a public message of one of the account's tickets (never a note's file)."""
    queryset = customer_scope(
        Attachment.objects.filter(message__kind=MessageKind.REPLY),
        actor,
        CustomerPermission.OPEN_TICKETS,
        field="ticket__customer",
    )
    return get_scoped(queryset, attachment_id)


def departments_for_customer() -> QuerySet[Department]:
    return Department.objects.filter(is_public=True).order_by("sort_order", "name")


def services_for_ticket_form(actor: Actor) -> QuerySet[Service]:
    return customer_scope(
        Service.objects.select_related("product", "plan"), actor, CustomerPermission.OPEN_TICKETS
    ).order_by("id")


def projects_for_ticket_form(actor: Actor) -> QuerySet[Project]:
    return customer_scope(Project.objects.filter(is_active=True), actor, CustomerPermission.OPEN_TICKETS)


@dataclass(frozen=True)
class PlanRules:
    plan: str
    text: str


def rules_of_service(actor: Actor) -> list[PlanRules]:
    """The rules of service of the plans the account uses, shown before it opens a ticket."""
    seen: dict[int, PlanRules] = {}
    for service in services_for_ticket_form(actor):
        if service.plan.rules_of_service and service.plan_id not in seen:
            seen[service.plan_id] = PlanRules(str(service.plan), service.plan.rules_of_service)
    return list(seen.values())


# --- staff side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    assignee: str = ""
    department: str = ""
    line: str = ""
    customer: str = ""
    project: str = ""
    tag: str = ""
    query: str = ""
    needs_review: bool = False


def _digits(value: str) -> int | None:
    return int(value) if value and value.isdigit() else None


def tickets_for_staff(actor: Actor, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """The staff queue: open tickets first by default, filtered as asked."""
    actor.require(StaffPermission.VIEW_TICKETS)
    filters = filters or TicketFilters()
    queryset = Ticket.objects.select_related("department", "customer", "assignee__user", "project")
    if filters.status == "open" or not filters.status:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee__user=actor.user)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=_digits(filters.assignee))
    for field, value in (
        ("department_id", filters.department),
        ("line", filters.line),
        ("customer_id", filters.customer),
        ("project_id", filters.project),
    ):
        if value:
            queryset = queryset.filter(**{field: _digits(value)})
    if filters.tag:
        queryset = queryset.filter(tags__name=filters.tag.lower())
    if filters.needs_review:
        queryset = queryset.filter(needs_review=True)
    if filters.query:
        queryset = search.filter_tickets(queryset, filters.query, include_notes=True)
    return queryset.order_by("-updated_at", "-id")


COUNT_CAP = 1000


@dataclass(frozen=True)
class TicketPage:
    """One page of a ticket list, newest first, without counting every ticket: ``count`` is
    exact up to ``COUNT_CAP`` and ``None`` above it (or when not counted, as for searches)."""

    tickets: list[Ticket]
    number: int
    size: int
    has_next: bool
    count: int | None
    counted: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.tickets else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.tickets)

    @property
    def count_capped(self) -> bool:
        return self.counted and self.count is None

    @property
    def cap(self) -> int:
        return COUNT_CAP


def ticket_page(tickets: QuerySet[Ticket], *, number: object, size: int, count: bool = True) -> TicketPage:
    """A page of an ordered ticket list: one query for the page (a row more tells whether there
    is a next page) and, when asked, one capped count. Each costs about a page of index
    entries, however many tickets match (an exact count of 100,000 open tickets does not)."""
    page_number = int(str(number)) if str(number or "").isdigit() and int(str(number)) > 0 else 1
    offset = (page_number - 1) * size
    rows = list(tickets[offset : offset + size + 1])
    total: int | None = None
    if count:
        total = tickets.order_by().values("id")[: COUNT_CAP + 1].count()
        total = total if total <= COUNT_CAP else None
    return TicketPage(
        tickets=rows[:size], number=page_number, size=size, has_next=len(rows) > size, count=total, counted=count
    )


def ticket_for_staff(actor: Actor, ticket_id: object) -> Ticket:
    actor.require(StaffPermission.VIEW_TICKETS)
    queryset = Ticket.objects.select_related(
        "department", "customer", "contact__user", "assignee__user", "project", "service", "rating"
    ).prefetch_related(
        Prefetch(
            "messages",
            queryset=TicketMessage.objects.select_related("author_user").prefetch_related("attachments"),
            to_attr="all_messages",
        ),
        "tags",
        "watchers__user",
        Prefetch("time_logs", queryset=TimeLog.objects.select_related("staff__user")),
        "escalations__to_department",
        "escalations__from_department",
    )
    return get_scoped(queryset, ticket_id)


def attachment_for_staff(actor: Actor, attachment_id: object) -> Attachment:
    actor.require(StaffPermission.VIEW_TICKETS)
    return get_scoped(Attachment.objects.all(), attachment_id)


def canned_replies_for_staff(actor: Actor, *, department_id: int | None = None) -> QuerySet[CannedReply]:
    actor.require(StaffPermission.VIEW_TICKETS)
    queryset = CannedReply.objects.select_related("department")
    if department_id:
        queryset = queryset.filter(Q(department_id=department_id) | Q(department__isnull=True))
    return queryset.order_by("title")


def ticket_variables(ticket: Ticket, actor: Actor) -> dict[str, str]:
    """The values canned replies may use."""
    customer_name = ""
    if ticket.contact_id and ticket.contact is not None:
        customer_name = ticket.contact.user.full_name or ticket.contact.user.email
    customer_name = customer_name or ticket.requester_name or (ticket.customer.name if ticket.customer else "")
    service = ticket.service
    return {
        "customer_name": customer_name,
        "customer": ticket.customer.name if ticket.customer else "",
        "service": (service.label or str(service.product.name)) if service else "",
        "due_date": service.next_due_date.isoformat() if service else "",
        "ticket_subject": ticket.subject,
        "ticket_number": str(ticket.pk),
        "agent_name": (actor.user.full_name or actor.user.email) if actor.user else "",
        "department": ticket.department.name,
    }


def canned_reply_filled(actor: Actor, *, canned_id: object, ticket: Ticket) -> str:
    canned = get_scoped(canned_replies_for_staff(actor), canned_id)
    return fill_variables(canned.body, ticket_variables(ticket, actor))


def sla_breaches(actor: Actor, *, at: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets past a first-response or resolution target."""
    actor.require(StaffPermission.VIEW_TICKETS)
    now = at or clock.now()
    return (
        Ticket.objects.select_related("department", "customer", "assignee__user")
        .filter(status__in=OPEN_STATUSES)
        .filter(
            Q(first_responded_at__isnull=True, first_response_due__lt=now)
            | Q(resolved_at__isnull=True, resolution_due__lt=now)
        )
        .order_by("first_response_due", "id")
    )


def ratings_by_agent(actor: Actor) -> QuerySet[StaffMember]:
    actor.require(StaffPermission.VIEW_TICKETS)
    return (
        StaffMember.objects.filter(ratings__isnull=False)
        .select_related("user")
        .annotate(average=Avg("ratings__score"), count=Count("ratings"))
        .order_by("-average", "user__email")
    )


def recent_ratings(actor: Actor) -> QuerySet[Rating]:
    actor.require(StaffPermission.VIEW_TICKETS)
    return Rating.objects.select_related("ticket", "agent__user").order_by("-created_at")[:50]


def time_by_agent(actor: Actor, *, since: dt.datetime | None = None) -> QuerySet[StaffMember]:
    """Logged minutes per agent (all and billable), for cost, salary and profit reports."""
    actor.require(StaffPermission.VIEW_TICKETS)
    logs = Q(time_logs__logged_at__gte=since) if since else Q()
    return (
        StaffMember.objects.filter(time_logs__isnull=False)
        .select_related("user")
        .annotate(
            minutes=Sum("time_logs__minutes", filter=logs),
            billable_minutes=Sum("time_logs__minutes", filter=logs & Q(time_logs__billable=True)),
        )
        .order_by("user__email")
    )


def departments_for_staff(actor: Actor) -> QuerySet[Department]:
    actor.require(StaffPermission.VIEW_TICKETS)
    return Department.objects.order_by("sort_order", "name")


def agents_for_staff(actor: Actor) -> QuerySet[StaffMember]:
    actor.require(StaffPermission.VIEW_TICKETS)
    return StaffMember.objects.filter(is_active=True).select_related("user").order_by("user__email")


def widget_key(key: str) -> WidgetKey | None:
    return (
        WidgetKey.objects.select_related("project__customer", "department")
        .filter(key=key, is_active=True, project__is_active=True)
        .first()
    )
