"""The only writes of helpdesk: tickets, messages and notes, status, assignment, escalation,
ratings, time logs, charges and canned replies. Each action is atomic, writes one audit entry
and announces itself through the outbox; mail out and the search index follow the commit."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.models import Contact, Customer, Project, StaffMember, User
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.billing.actions import PlannedLine, invoice_create
from hostkeep.billing.choices import LineKind
from hostkeep.billing.models import Invoice
from hostkeep.core import clock
from hostkeep.core.actions import AuditActor, audit_record, outbox_emit
from hostkeep.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from hostkeep.core.money import Money
from hostkeep.helpdesk import search, storage
from hostkeep.helpdesk.choices import (
    OPEN_STATUSES,
    STATUS_TRANSITIONS,
    AuthorKind,
    Channel,
    MessageKind,
    SupportLine,
    TicketPriority,
    TicketStatus,
)
from hostkeep.helpdesk.models import (
    AgentRate,
    Attachment,
    CannedReply,
    CustomerRate,
    Department,
    Escalation,
    Rating,
    SlaPolicy,
    Tag,
    Ticket,
    TicketMessage,
    TimeLog,
)
from hostkeep.helpdesk.storage import IncomingFile
from hostkeep.services.models import Service

MAX_BODY = 100_000


def _new_token() -> str:
    return secrets.token_hex(8)


def _text(value: str, field: str, *, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("This field is required."), fields={field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationFailed(
            _("Too long (at most %(limit)s characters).") % {"limit": limit},
            fields={field: [_("Too long.")]},
        )
    return value


def sla_policy_for(department: Department, service: Service | None) -> SlaPolicy | None:
    """The most specific SLA row: department and plan, then department, then the default."""
    plan_id = service.plan_id if service else None
    # ``department__in=[department, None]`` would drop the None: the default rows need isnull.
    candidates = SlaPolicy.objects.filter(Q(department=department) | Q(department__isnull=True))
    best: SlaPolicy | None = None
    best_rank = -1
    for policy in candidates:
        if policy.plan_id not in (None, plan_id):
            continue
        rank = (2 if policy.department_id else 0) + (1 if policy.plan_id else 0)
        if rank > best_rank:
            best, best_rank = policy, rank
    return best


def _staff_member(actor: Actor) -> StaffMember | None:
    if actor.user is None:
        return None
    return StaffMember.objects.filter(user=actor.user, is_active=True).first()


def _lock(ticket_id: object) -> Ticket:
    try:
        # Only the ticket row is locked (the customer is an outer join PostgreSQL will not lock).
        tickets = Ticket.objects.select_for_update(of=("self",)).select_related("department", "customer")
        return tickets.get(pk=_int(ticket_id))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Ticket not found.")) from None


def _lock_for_customer(actor: Actor, ticket_id: object) -> Ticket:
    customer = actor.require_customer(CustomerPermission.OPEN_TICKETS)
    ticket = _lock(ticket_id)
    if ticket.customer_id != customer.pk:
        raise NotFound(_("Ticket not found."))
    return ticket


def _lock_for_staff(actor: Actor, ticket_id: object, permission: StaffPermission) -> Ticket:
    actor.require(permission)
    return _lock(ticket_id)


def _store_files(ticket: Ticket, message: TicketMessage, files: list[IncomingFile]) -> None:
    storage.check_files(files)
    for item in files:
        path, digest = storage.write(ticket.pk, item.data)
        Attachment.objects.create(
            ticket=ticket,
            message=message,
            filename=storage.clean_filename(item.filename),
            content_type=(item.content_type or "application/octet-stream")[:100],
            size=len(item.data),
            storage_path=path,
            sha256=digest,
        )


def _after_commit_mail(message: TicketMessage) -> None:
    """Public staff replies (and the first answer to a mail) go out by e-mail after commit."""
    if message.kind != MessageKind.REPLY or message.author_kind == AuthorKind.CUSTOMER:
        return
    message_id = message.pk

    def enqueue() -> None:
        from hostkeep.helpdesk.tasks import ticket_message_mail

        ticket_message_mail.enqueue(message_id=message_id)

    transaction.on_commit(enqueue)


def _add_message(
    ticket: Ticket,
    *,
    body: str,
    kind: str,
    author_kind: str,
    channel: str,
    author_user: User | None = None,
    author_email: str = "",
    public_author_name: str = "",
    sent_as_department: bool = False,
    files: list[IncomingFile] | None = None,
    email_message_id: str = "",
    at: dt.datetime | None = None,
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        author_kind=author_kind,
        author_user=author_user,
        author_email=author_email[:254],
        public_author_name=public_author_name[:200],
        sent_as_department=sent_as_department,
        body=_text(body, "body", limit=MAX_BODY),
        channel=channel,
        email_message_id=email_message_id[:998],
        created_at=at or clock.now(),
    )
    if files:
        _store_files(ticket, message, files)
    search.index_message(message)
    return message


def ticket_create(
    *,
    audit_actor: AuditActor,
    subject: str,
    body: str,
    department: Department,
    channel: str,
    customer: Customer | None,
    contact: Contact | None = None,
    requester_email: str = "",
    requester_name: str = "",
    priority: str = TicketPriority.NORMAL,
    service: Service | None = None,
    project: Project | None = None,
    domain: str = "",
    files: list[IncomingFile] | None = None,
    needs_review: bool = False,
    email_message_id: str = "",
    author_user: User | None = None,
) -> Ticket:
    """Open a ticket with its first message (the shared core of the portal, API, mail and
    widget ways in; callers check who may do it). SLA due times are fixed here."""
    now = clock.now()
    if priority not in TicketPriority.values:
        raise ValidationFailed(_("Unknown priority."), fields={"priority": [_("Unknown priority.")]})
    if files:
        storage.check_files(files)
    policy = sla_policy_for(department, service)
    ticket = Ticket.objects.create(
        customer=customer,
        contact=contact,
        requester_email=(requester_email or (contact.user.email if contact else ""))[:254],
        requester_name=(requester_name or (contact.user.full_name if contact else ""))[:200],
        service=service,
        project=project,
        domain=domain[:253],
        department=department,
        priority=priority,
        subject=_text(subject, "subject", limit=250),
        reply_token=_new_token(),
        channel=channel,
        needs_review=needs_review or customer is None,
        is_paid=department.is_paid,
        fixed_price=department.price_per_ticket if department.is_paid else None,
        created_at=now,
        updated_at=now,
        first_response_due=now + dt.timedelta(minutes=policy.first_response_minutes) if policy else None,
        resolution_due=now + dt.timedelta(minutes=policy.resolution_minutes) if policy else None,
    )
    search.index_subject(ticket)
    message = _add_message(
        ticket,
        body=body,
        kind=MessageKind.REPLY,
        author_kind=AuthorKind.CUSTOMER,
        channel=channel,
        author_user=author_user or (contact.user if contact else None),
        author_email=ticket.requester_email,
        public_author_name=ticket.requester_name or ticket.requester_email,
        files=files,
        email_message_id=email_message_id,
        at=now,
    )
    audit_record(
        actor=audit_actor,
        action="helpdesk.ticket_open",
        customer_id=customer.pk if customer else None,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"channel": channel, "department": department.pk},
    )
    outbox_emit(topic="ticket.opened", payload={"ticket_id": ticket.pk, "message_id": message.pk})
    return ticket


@transaction.atomic
def ticket_open(
    *,
    actor: Actor,
    subject: str,
    body: str,
    department_id: object,
    priority: str = TicketPriority.NORMAL,
    service_id: object = None,
    project_id: object = None,
    domain: str = "",
    files: list[IncomingFile] | None = None,
    channel: str = Channel.PORTAL,
) -> Ticket:
    """A customer's contact opens a ticket for the account it acts for. The service and
    project must be the account's own; the department must be one customers may choose."""
    customer = actor.require_customer(CustomerPermission.OPEN_TICKETS)
    department = Department.objects.filter(pk=_int(department_id), is_public=True).first()
    if department is None:
        raise ValidationFailed(_("Choose a department."), fields={"department": [_("Choose a department.")]})
    service = None
    if service_id not in (None, ""):
        service = Service.objects.filter(pk=_int(service_id), customer=customer).select_related("plan").first()
        if service is None:
            raise ValidationFailed(_("Unknown service."), fields={"service": [_("Unknown service.")]})
    project = None
    if project_id not in (None, ""):
        project = Project.objects.filter(pk=_int(project_id), customer=customer).first()
        if project is None:
            raise ValidationFailed(_("Unknown project."), fields={"project": [_("Unknown project.")]})
    contact = Contact.objects.select_related("user").filter(customer=customer, user=actor.user).first()
    return ticket_create(
        audit_actor=actor.audit(),
        subject=subject,
        body=body,
        department=department,
        channel=channel,
        customer=customer,
        contact=contact,
        priority=priority,
        service=service,
        project=project,
        domain=domain or (project.domain if project else ""),
        files=files,
    )


def _int(value: object) -> int:
    """An id or number from a form or payload; 0 (which matches no row) when it is not one."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _reopen_status(ticket: Ticket) -> str:
    return TicketStatus.WAITING_ON_STAFF


def _customer_message(
    ticket: Ticket,
    *,
    body: str,
    channel: str,
    author_user: User | None,
    author_email: str,
    author_name: str,
    files: list[IncomingFile] | None,
    email_message_id: str = "",
    audit_actor: AuditActor,
) -> TicketMessage:
    now = clock.now()
    message = _add_message(
        ticket,
        body=body,
        kind=MessageKind.REPLY,
        author_kind=AuthorKind.CUSTOMER,
        channel=channel,
        author_user=author_user,
        author_email=author_email,
        public_author_name=author_name or author_email,
        files=files,
        email_message_id=email_message_id,
        at=now,
    )
    ticket.status = _reopen_status(ticket) if ticket.status != TicketStatus.NEW else TicketStatus.NEW
    ticket.resolved_at = None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    audit_record(
        actor=audit_actor,
        action="helpdesk.customer_reply",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"message": message.pk, "channel": channel},
    )
    outbox_emit(topic="ticket.replied", payload={"ticket_id": ticket.pk, "message_id": message.pk, "side": "customer"})
    return message


@transaction.atomic
def ticket_customer_reply(
    *,
    actor: Actor,
    ticket_id: object,
    body: str,
    files: list[IncomingFile] | None = None,
    channel: str = Channel.PORTAL,
) -> TicketMessage:
    """A contact of the ticket's customer answers (reopening a resolved or closed ticket)."""
    ticket = _lock_for_customer(actor, ticket_id)
    user = actor.user
    return _customer_message(
        ticket,
        body=body,
        channel=channel,
        author_user=user,
        author_email=user.email if user else "",
        author_name=(user.full_name or user.email) if user else "",
        files=files,
        audit_actor=actor.audit(),
    )


def mail_customer_reply(
    *, ticket: Ticket, body: str, sender: str, sender_name: str, files: list[IncomingFile], email_message_id: str
) -> TicketMessage:
    """A reply that came by mail from a person already checked to belong to the ticket."""
    user = User.objects.filter(email__iexact=sender).first()
    return _customer_message(
        ticket,
        body=body,
        channel=Channel.EMAIL,
        author_user=user,
        author_email=sender,
        author_name=sender_name or (user.full_name if user else ""),
        files=files,
        email_message_id=email_message_id,
        audit_actor=AuditActor(kind="system", label=f"mail from {sender}"[:254]),
    )


@transaction.atomic
def ticket_staff_reply(
    *,
    actor: Actor,
    ticket_id: object,
    body: str,
    note: bool = False,
    files: list[IncomingFile] | None = None,
    status: str = "",
    channel: str = Channel.STAFF,
) -> TicketMessage:
    """An agent answers publicly, or writes an internal note (never shown to customers). A
    public reply by line 3 (or on a line-3 ticket) goes out as the department, never naming
    the agent. The first public reply stops the first-response clock."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    member = _staff_member(actor)
    user = actor.user
    as_department = ticket.line == SupportLine.THIRD or (member is not None and member.role == StaffRole.SUPPORT_LINE_3)
    if note:
        public_name = ""
    elif as_department:
        public_name = ticket.department.name
    else:
        public_name = (user.full_name or ticket.department.name) if user else ticket.department.name
    now = clock.now()
    message = _add_message(
        ticket,
        body=body,
        kind=MessageKind.NOTE if note else MessageKind.REPLY,
        author_kind=AuthorKind.STAFF,
        channel=channel,
        author_user=user,
        public_author_name=public_name,
        sent_as_department=as_department and not note,
        files=files,
        at=now,
    )
    fields = ["updated_at"]
    if not note:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            fields.append("first_responded_at")
        ticket.status = TicketStatus.WAITING_ON_CUSTOMER
        fields.append("status")
        if ticket.assignee_id is None and member is not None:
            ticket.assignee = member
            fields.append("assignee")
    if status:
        _check_move(ticket.status if note else TicketStatus.OPEN, status)
        ticket.status = status
        if status == TicketStatus.RESOLVED:
            ticket.resolved_at = now
            fields.append("resolved_at")
        fields.append("status")
    ticket.updated_at = now
    ticket.save(update_fields=sorted(set(fields)))
    audit_record(
        actor=actor.audit(),
        action="helpdesk.note" if note else "helpdesk.staff_reply",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"message": message.pk},
    )
    if not note:
        outbox_emit(topic="ticket.replied", payload={"ticket_id": ticket.pk, "message_id": message.pk, "side": "staff"})
        _after_commit_mail(message)
    return message


def _check_move(current: str, target: str) -> None:
    if target not in TicketStatus.values:
        raise ValidationFailed(_("Unknown status."), fields={"status": [_("Unknown status.")]})
    if target != current and target not in STATUS_TRANSITIONS.get(current, frozenset()):
        raise Conflict(_("A ticket cannot move from this status to that one."))


@transaction.atomic
def ticket_set_status(*, actor: Actor, ticket_id: object, status: str) -> Ticket:
    """Staff move a ticket by hand; a customer may only resolve or close its own ticket."""
    if actor.is_staff:
        ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    else:
        ticket = _lock_for_customer(actor, ticket_id)
        if status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise PermissionRefused(_("You may only resolve or close a ticket."))
    _check_move(ticket.status, status)
    now = clock.now()
    previous = ticket.status
    ticket.status = status
    ticket.updated_at = now
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
    if status in OPEN_STATUSES:
        ticket.resolved_at = None
    ticket.save(update_fields=["status", "updated_at", "resolved_at"])
    audit_record(
        actor=actor.audit(),
        action="helpdesk.status",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"from": previous, "to": status},
    )
    return ticket


@transaction.atomic
def ticket_assign(*, actor: Actor, ticket_id: object, assignee_id: object) -> Ticket:
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    assignee = None
    if assignee_id not in (None, ""):
        assignee = StaffMember.objects.filter(pk=_int(assignee_id), is_active=True).first()
        if assignee is None:
            raise ValidationFailed(_("Unknown staff member."), fields={"assignee": [_("Unknown staff member.")]})
    ticket.assignee = assignee
    ticket.updated_at = clock.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    audit_record(
        actor=actor.audit(),
        action="helpdesk.assign",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"assignee": assignee.pk if assignee else None},
    )
    return ticket


@transaction.atomic
def ticket_escalate(
    *, actor: Actor, ticket_id: object, to_line: object, to_department_id: object = None, reason: str
) -> Escalation:
    """Move a ticket to another line and/or department, with a reason; it leaves its
    assignee so the receiving team picks it up."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    reason = _text(reason, "reason", limit=2000)
    line = _int(to_line) or ticket.line
    if line not in SupportLine.values:
        raise ValidationFailed(_("Unknown support line."), fields={"to_line": [_("Unknown support line.")]})
    department = ticket.department
    if to_department_id not in (None, ""):
        found = Department.objects.filter(pk=_int(to_department_id)).first()
        if found is None:
            raise ValidationFailed(_("Unknown department."), fields={"to_department": [_("Unknown department.")]})
        department = found
    if line == ticket.line and department.pk == ticket.department_id:
        raise Conflict(_("The ticket is already there."))
    escalation = Escalation.objects.create(
        ticket=ticket,
        from_line=ticket.line,
        to_line=line,
        from_department=ticket.department,
        to_department=department,
        reason=reason,
        by=actor.user,
        created_at=clock.now(),
    )
    ticket.line = line
    ticket.department = department
    ticket.assignee = None
    ticket.updated_at = escalation.created_at
    ticket.save(update_fields=["line", "department", "assignee", "updated_at"])
    audit_record(
        actor=actor.audit(),
        action="helpdesk.escalate",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"to_line": line, "to_department": department.pk, "reason": reason},
    )
    outbox_emit(topic="ticket.escalated", payload={"ticket_id": ticket.pk, "escalation_id": escalation.pk})
    return escalation


@transaction.atomic
def ticket_update(
    *,
    actor: Actor,
    ticket_id: object,
    priority: str | None = None,
    tags: list[str] | None = None,
    watcher_ids: list[int] | None = None,
    is_paid: bool | None = None,
    fixed_price: Decimal | None = None,
    discount_percent: Decimal | None = None,
    customer_id: object = None,
) -> Ticket:
    """Staff change a ticket's details; matching an unknown sender's ticket to a customer
    (``customer_id``) also makes it visible to that customer."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    if priority is not None:
        if priority not in TicketPriority.values:
            raise ValidationFailed(_("Unknown priority."), fields={"priority": [_("Unknown priority.")]})
        ticket.priority = priority
    if is_paid is not None:
        ticket.is_paid = is_paid
    if fixed_price is not None:
        ticket.fixed_price = fixed_price if fixed_price > 0 else None
    if discount_percent is not None:
        if not Decimal(0) <= discount_percent <= Decimal(100):
            raise ValidationFailed(_("A discount is 0 to 100 %."), fields={"discount_percent": [_("0 to 100.")]})
        ticket.discount_percent = discount_percent
    if customer_id not in (None, ""):
        customer = Customer.objects.filter(pk=_int(customer_id)).first()
        if customer is None:
            raise ValidationFailed(_("Unknown customer."), fields={"customer": [_("Unknown customer.")]})
        ticket.customer = customer
        ticket.contact = (
            Contact.objects.filter(customer=customer, user__email__iexact=ticket.requester_email).first()
            if ticket.requester_email
            else None
        )
        ticket.needs_review = False
    ticket.updated_at = clock.now()
    ticket.save()
    if tags is not None:
        names = sorted({tag.strip().lower()[:50] for tag in tags if tag.strip()})
        ticket.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])
    if watcher_ids is not None:
        ticket.watchers.set(Contact.objects.filter(customer_id=ticket.customer_id or 0, pk__in=watcher_ids))
    audit_record(
        actor=actor.audit(),
        action="helpdesk.ticket_update",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
    )
    return ticket


@transaction.atomic
def ticket_watcher_add(*, actor: Actor, ticket_id: object, contact_id: object) -> Ticket:
    """Staff add one of the ticket's customer's contacts as a watcher (copied on replies). A
    contact of another customer, or a ticket not yet matched to a customer, is refused."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    if ticket.customer_id is None:
        raise Conflict(_("Match the ticket to a customer first."))
    contact = Contact.objects.filter(pk=_int(contact_id), customer_id=ticket.customer_id).first()
    if contact is None:
        raise ValidationFailed(
            _("Choose one of the customer's contacts."),
            fields={"contact": [_("Choose one of the customer's contacts.")]},
        )
    if ticket.watchers.filter(pk=contact.pk).exists():
        raise Conflict(_("This contact already watches the ticket."))
    ticket.watchers.add(contact)
    audit_record(
        actor=actor.audit(),
        action="helpdesk.watcher_add",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"contact": contact.pk},
    )
    return ticket


@transaction.atomic
def ticket_watcher_remove(*, actor: Actor, ticket_id: object, contact_id: object) -> Ticket:
    """Staff stop a contact watching the ticket."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    contact = ticket.watchers.filter(pk=_int(contact_id)).first()
    if contact is None:
        raise ValidationFailed(
            _("This contact does not watch the ticket."),
            fields={"contact": [_("This contact does not watch the ticket.")]},
        )
    ticket.watchers.remove(contact)
    audit_record(
        actor=actor.audit(),
        action="helpdesk.watcher_remove",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"contact": contact.pk},
    )
    return ticket


@transaction.atomic
def ticket_rate(*, actor: Actor, ticket_id: object, score: int, comment: str = "") -> Rating:
    """The customer rates a resolved (or closed) ticket once; the rating is credited to the
    ticket's assignee, or else the last agent who answered."""
    ticket = _lock_for_customer(actor, ticket_id)
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise Conflict(_("A ticket can be rated once it is resolved."))
    if not 1 <= int(score) <= 5:
        raise ValidationFailed(_("A rating is 1 to 5."), fields={"score": [_("A rating is 1 to 5.")]})
    if Rating.objects.filter(ticket=ticket).exists():
        raise Conflict(_("This ticket is already rated."))
    agent = ticket.assignee
    if agent is None:
        last = (
            TicketMessage.objects.filter(ticket=ticket, author_kind=AuthorKind.STAFF, kind=MessageKind.REPLY)
            .order_by("-created_at")
            .first()
        )
        agent = StaffMember.objects.filter(user_id=last.author_user_id or 0).first() if last else None
    rating = Rating.objects.create(
        ticket=ticket, agent=agent, score=int(score), comment=comment.strip()[:4000], created_at=clock.now()
    )
    audit_record(
        actor=actor.audit(),
        action="helpdesk.rate",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"score": rating.score},
    )
    return rating


def hourly_rate(ticket: Ticket, member: StaffMember) -> Money:
    """The customer's own rate if it has one, else the agent's, in the customer's currency."""
    currency = ticket.customer.currency if ticket.customer else ticket.department.currency
    customer_rate = CustomerRate.objects.filter(customer_id=ticket.customer_id or 0).first()
    if customer_rate is not None:
        return Money(customer_rate.hourly_rate, currency)
    agent_rate = AgentRate.objects.filter(staff=member, currency=currency).first()
    return Money(agent_rate.hourly_rate if agent_rate else Decimal(0), currency)


@transaction.atomic
def time_log_add(*, actor: Actor, ticket_id: object, minutes: int, billable: bool = True, note: str = "") -> TimeLog:
    """An agent logs time on a ticket, at the rate that applies now."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    member = _staff_member(actor)
    if member is None:
        raise PermissionRefused(_("Only staff members log time."))
    if not 0 < int(minutes) <= 24 * 60:
        raise ValidationFailed(_("Minutes must be 1 to 1440."), fields={"minutes": [_("1 to 1440.")]})
    rate = hourly_rate(ticket, member)
    log = TimeLog.objects.create(
        ticket=ticket,
        staff=member,
        minutes=int(minutes),
        billable=billable,
        note=note.strip()[:300],
        rate=rate.amount,
        currency=rate.currency,
        logged_at=clock.now(),
    )
    audit_record(
        actor=actor.audit(),
        action="helpdesk.time_log",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"minutes": log.minutes, "billable": billable},
    )
    return log


def ticket_charge_amount(ticket: Ticket, logs: list[TimeLog]) -> Money:
    """Fixed price if the ticket has one, else billable minutes x rate; less the discount."""
    currency = ticket.customer.currency if ticket.customer else ticket.department.currency
    if ticket.fixed_price:
        gross = Money(ticket.fixed_price, currency)
    else:
        total = sum((Decimal(log.minutes) / 60 * log.rate for log in logs if log.billable), Decimal(0))
        gross = Money(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), currency)
    discount = (gross.amount * ticket.discount_percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Money(gross.amount - discount, currency)


@transaction.atomic
def ticket_charge(*, actor: Actor, ticket_id: object) -> Invoice:
    """Post a paid ticket's charge to the customer's ledger through billing: the fixed price
    once, or the billable time not charged yet. The invoice's source key makes it idempotent."""
    ticket = _lock_for_staff(actor, ticket_id, StaffPermission.ANSWER_TICKETS)
    if ticket.customer is None:
        raise Conflict(_("Match the ticket to a customer first."))
    if not ticket.is_paid:
        raise Conflict(_("This is not a paid request."))
    logs = list(TimeLog.objects.select_for_update().filter(ticket=ticket, invoice_id__isnull=True, billable=True))
    if ticket.fixed_price:
        key = f"helpdesk-ticket:{ticket.pk}:fixed"
        description = _("Support request #%(number)s: %(subject)s") % {"number": ticket.pk, "subject": ticket.subject}
    else:
        if not logs:
            raise Conflict(_("There is no billable time to charge."))
        key = f"helpdesk-ticket:{ticket.pk}:time:{max(log.pk for log in logs)}"
        minutes = sum(log.minutes for log in logs)
        description = _("Support request #%(number)s: %(minutes)s min") % {"number": ticket.pk, "minutes": minutes}
    amount = ticket_charge_amount(ticket, logs)
    if amount.amount <= 0:
        raise Conflict(_("Nothing to charge."))
    invoice = invoice_create(
        customer=ticket.customer,
        currency=amount.currency,
        source_key=key,
        lines=[PlannedLine(kind=LineKind.ONE_OFF, description=description[:250], amount=amount)],
    )
    TimeLog.objects.filter(pk__in=[log.pk for log in logs]).update(invoice_id=invoice.pk)
    audit_record(
        actor=actor.audit(),
        action="helpdesk.charge",
        customer_id=ticket.customer_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail={"invoice": invoice.pk, "amount": str(amount.amount)},
    )
    return invoice


@transaction.atomic
def canned_reply_save(
    *, actor: Actor, title: str, body: str, department_id: object = None, canned_id: object = None
) -> CannedReply:
    actor.require(StaffPermission.ANSWER_TICKETS)
    canned = CannedReply() if canned_id in (None, "") else CannedReply.objects.filter(pk=_int(canned_id)).first()
    if canned is None:
        raise NotFound(_("Canned reply not found."))
    canned.title = _text(title, "title", limit=120)
    canned.body = _text(body, "body", limit=20_000)
    canned.department = Department.objects.filter(pk=_int(department_id)).first() if department_id else None
    canned.save()
    audit_record(
        actor=actor.audit(), action="helpdesk.canned_reply_save", object_type="canned_reply", object_id=canned.pk
    )
    return canned


@transaction.atomic
def sla_warn_at_risk(*, within: dt.timedelta) -> int:
    """Announce (once each) open tickets whose first-response or resolution time runs out
    within ``within``; the staff hear of it through notifications."""
    now = clock.now()
    horizon = now + within
    at_risk = (
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(status__in=OPEN_STATUSES, sla_warned_at__isnull=True)
        .filter(
            Q(first_responded_at__isnull=True, first_response_due__lte=horizon)
            | Q(resolved_at__isnull=True, resolution_due__lte=horizon)
        )
        .order_by("id")[:500]
    )
    count = 0
    for ticket in at_risk:
        ticket.sla_warned_at = now
        ticket.save(update_fields=["sla_warned_at"])
        outbox_emit(topic="ticket.sla_at_risk", payload={"ticket_id": ticket.pk})
        count += 1
    return count
