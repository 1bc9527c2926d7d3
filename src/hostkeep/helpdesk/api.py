"""Helpdesk endpoints: customer-scoped (``customer_router``) and staff (``staff_router``), so a
mobile app can do what the pages do. Permissions are checked by the selectors and actions."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.accounts.permissions import Actor
from hostkeep.helpdesk import actions, actions_setup, selectors, selectors_setup
from hostkeep.helpdesk.choices import Channel
from hostkeep.helpdesk.pagination import CappedLimitOffsetPagination
from hostkeep.helpdesk.schemas import (
    AgentRatingOut,
    AssignIn,
    CannedReplyOut,
    DepartmentOut,
    EscalateIn,
    FilledReplyOut,
    InvoiceRefOut,
    MessageIn,
    MessageOut,
    RatingIn,
    RatingOut,
    StaffMessageIn,
    StaffMessageOut,
    StaffTicketDetailOut,
    StaffTicketOut,
    StatusIn,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketUpdateIn,
    TimeLogIn,
    TimeLogOut,
)
from hostkeep.helpdesk.schemas_setup import (
    AgentRateIn,
    AgentRateOut,
    ConnectionReportOut,
    CustomerRateIn,
    CustomerRateOut,
    DepartmentIn,
    DepartmentSetupOut,
    MailboxIn,
    MailboxOut,
    SlaTargetIn,
    SlaTargetOut,
    WatcherIn,
    WatcherOut,
    WidgetKeyIn,
    WidgetKeyOut,
    WidgetKeyUpdateIn,
)
from hostkeep.helpdesk.views import attachment_response

customer_router = Router()
staff_router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


class CustomerFilters(Schema):
    status: str = ""
    project: int | None = None
    q: str = ""


@customer_router.get("/departments", response=list[DepartmentOut])
def departments(request: HttpRequest) -> Any:
    return selectors.departments_for_customer()


@customer_router.get("/tickets", response=list[TicketOut])
@paginate(CappedLimitOffsetPagination)
def tickets(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    return selectors.tickets_for_customer(
        _actor(request), status=filters.status, project_id=filters.project, query=filters.q
    )


@customer_router.post("/tickets", response={201: TicketDetailOut})
def ticket_open(request: HttpRequest, payload: TicketIn) -> Any:
    actor = _actor(request)
    ticket = actions.ticket_open(
        actor=actor,
        subject=payload.subject,
        body=payload.body,
        department_id=payload.department_id,
        priority=payload.priority,
        service_id=payload.service_id,
        project_id=payload.project_id,
        domain=payload.domain,
        files=[item.incoming() for item in payload.attachments],
        channel=Channel.API,
    )
    return Status(201, selectors.ticket_for_customer(actor, ticket.pk))


@customer_router.get("/tickets/{ticket_id}", response=TicketDetailOut)
def ticket(request: HttpRequest, ticket_id: int) -> Any:
    return selectors.ticket_for_customer(_actor(request), ticket_id)


@customer_router.post("/tickets/{ticket_id}/messages", response={201: MessageOut})
def ticket_reply(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Any:
    message = actions.ticket_customer_reply(
        actor=_actor(request),
        ticket_id=ticket_id,
        body=payload.body,
        files=[item.incoming() for item in payload.attachments],
        channel=Channel.API,
    )
    return Status(201, message)


@customer_router.post("/tickets/{ticket_id}/status", response=TicketOut)
def ticket_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Any:
    return actions.ticket_set_status(actor=_actor(request), ticket_id=ticket_id, status=payload.status)


@customer_router.post("/tickets/{ticket_id}/rating", response={201: RatingOut})
def ticket_rate(request: HttpRequest, ticket_id: int, payload: RatingIn) -> Any:
    rating = actions.ticket_rate(
        actor=_actor(request), ticket_id=ticket_id, score=payload.score, comment=payload.comment
    )
    return Status(201, rating)


@customer_router.get("/attachments/{attachment_id}")
def attachment(request: HttpRequest, attachment_id: int) -> Any:
    return attachment_response(selectors.attachment_for_customer(_actor(request), attachment_id))


# --- staff ---------------------------------------------------------------------------------


class StaffFilters(Schema):
    status: str = ""
    assignee: str = ""
    department: str = ""
    line: str = ""
    customer: str = ""
    project: str = ""
    tag: str = ""
    q: str = ""
    needs_review: bool = False


@staff_router.get("/tickets", response=list[StaffTicketOut])
@paginate(CappedLimitOffsetPagination)
def staff_tickets(request: HttpRequest, filters: Query[StaffFilters]) -> Any:
    data = filters.dict()
    data["query"] = data.pop("q")
    return selectors.tickets_for_staff(_actor(request), selectors.TicketFilters(**data))


@staff_router.get("/tickets/{ticket_id}", response=StaffTicketDetailOut)
def staff_ticket(request: HttpRequest, ticket_id: int) -> Any:
    return selectors.ticket_for_staff(_actor(request), ticket_id)


@staff_router.patch("/tickets/{ticket_id}", response=StaffTicketOut)
def staff_ticket_update(request: HttpRequest, ticket_id: int, payload: TicketUpdateIn) -> Any:
    return actions.ticket_update(actor=_actor(request), ticket_id=ticket_id, **payload.dict())


@staff_router.post("/tickets/{ticket_id}/messages", response={201: StaffMessageOut})
def staff_reply(request: HttpRequest, ticket_id: int, payload: StaffMessageIn) -> Any:
    message = actions.ticket_staff_reply(
        actor=_actor(request),
        ticket_id=ticket_id,
        body=payload.body,
        note=payload.note,
        status=payload.status,
        files=[item.incoming() for item in payload.attachments],
        channel=Channel.API,
    )
    return Status(201, message)


@staff_router.post("/tickets/{ticket_id}/status", response=StaffTicketOut)
def staff_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Any:
    return actions.ticket_set_status(actor=_actor(request), ticket_id=ticket_id, status=payload.status)


@staff_router.post("/tickets/{ticket_id}/assign", response=StaffTicketOut)
def staff_assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    return actions.ticket_assign(actor=_actor(request), ticket_id=ticket_id, assignee_id=payload.assignee_id)


@staff_router.post("/tickets/{ticket_id}/escalate", response=StaffTicketOut)
def staff_escalate(request: HttpRequest, ticket_id: int, payload: EscalateIn) -> Any:
    escalation = actions.ticket_escalate(
        actor=_actor(request),
        ticket_id=ticket_id,
        to_line=payload.to_line,
        to_department_id=payload.to_department_id,
        reason=payload.reason,
    )
    return escalation.ticket


@staff_router.post("/tickets/{ticket_id}/time", response={201: TimeLogOut})
def staff_time(request: HttpRequest, ticket_id: int, payload: TimeLogIn) -> Any:
    log = actions.time_log_add(
        actor=_actor(request),
        ticket_id=ticket_id,
        minutes=payload.minutes,
        billable=payload.billable,
        note=payload.note,
    )
    return Status(201, log)


@staff_router.post("/tickets/{ticket_id}/charge", response={201: InvoiceRefOut})
def staff_charge(request: HttpRequest, ticket_id: int) -> Any:
    return Status(201, actions.ticket_charge(actor=_actor(request), ticket_id=ticket_id))


@staff_router.get("/canned-replies", response=list[CannedReplyOut])
def staff_canned_replies(request: HttpRequest) -> Any:
    return selectors.canned_replies_for_staff(_actor(request))


@staff_router.get("/tickets/{ticket_id}/canned-replies/{canned_id}", response=FilledReplyOut)
def staff_canned_reply_filled(request: HttpRequest, ticket_id: int, canned_id: int) -> Any:
    actor = _actor(request)
    ticket = selectors.ticket_for_staff(actor, ticket_id)
    return {"body": selectors.canned_reply_filled(actor, canned_id=canned_id, ticket=ticket)}


@staff_router.get("/sla-breaches", response=list[StaffTicketOut])
@paginate(LimitOffsetPagination)
def staff_sla_breaches(request: HttpRequest) -> Any:
    return selectors.sla_breaches(_actor(request))


@staff_router.get("/ratings", response=list[AgentRatingOut])
def staff_ratings(request: HttpRequest) -> Any:
    return selectors.ratings_by_agent(_actor(request))


@staff_router.get("/attachments/{attachment_id}")
def staff_attachment(request: HttpRequest, attachment_id: int) -> Any:
    return attachment_response(selectors.attachment_for_staff(_actor(request), attachment_id))


# --- staff: watchers and set-up ------------------------------------------------------------


@staff_router.post("/tickets/{ticket_id}/watchers", response={201: list[WatcherOut]})
def staff_watcher_add(request: HttpRequest, ticket_id: int, payload: WatcherIn) -> Any:
    ticket = actions.ticket_watcher_add(actor=_actor(request), ticket_id=ticket_id, contact_id=payload.contact_id)
    return Status(201, list(ticket.watchers.select_related("user").order_by("pk")))


@staff_router.delete("/tickets/{ticket_id}/watchers/{contact_id}", response=list[WatcherOut])
def staff_watcher_remove(request: HttpRequest, ticket_id: int, contact_id: int) -> Any:
    ticket = actions.ticket_watcher_remove(actor=_actor(request), ticket_id=ticket_id, contact_id=contact_id)
    return list(ticket.watchers.select_related("user").order_by("pk"))


@staff_router.get("/setup/departments", response=list[DepartmentSetupOut])
def setup_departments(request: HttpRequest) -> Any:
    return selectors_setup.departments_for_setup(_actor(request))


@staff_router.post("/setup/departments", response={201: DepartmentSetupOut})
def setup_department_add(request: HttpRequest, payload: DepartmentIn) -> Any:
    return Status(201, actions_setup.department_save(actor=_actor(request), **payload.dict()))


@staff_router.put("/setup/departments/{department_id}", response=DepartmentSetupOut)
def setup_department_change(request: HttpRequest, department_id: int, payload: DepartmentIn) -> Any:
    return actions_setup.department_save(actor=_actor(request), department_id=department_id, **payload.dict())


@staff_router.get("/setup/sla-targets", response=list[SlaTargetOut])
def setup_sla_targets(request: HttpRequest) -> Any:
    return selectors_setup.sla_policies_for_setup(_actor(request))


@staff_router.post("/setup/sla-targets", response={201: SlaTargetOut})
def setup_sla_target_add(request: HttpRequest, payload: SlaTargetIn) -> Any:
    return Status(201, actions_setup.sla_policy_save(actor=_actor(request), **payload.dict()))


@staff_router.put("/setup/sla-targets/{policy_id}", response=SlaTargetOut)
def setup_sla_target_change(request: HttpRequest, policy_id: int, payload: SlaTargetIn) -> Any:
    return actions_setup.sla_policy_save(actor=_actor(request), policy_id=policy_id, **payload.dict())


@staff_router.delete("/setup/sla-targets/{policy_id}", response={204: None})
def setup_sla_target_delete(request: HttpRequest, policy_id: int) -> Any:
    actions_setup.sla_policy_delete(actor=_actor(request), policy_id=policy_id)
    return Status(204, None)


@staff_router.get("/setup/mailboxes", response=list[MailboxOut])
def setup_mailboxes(request: HttpRequest) -> Any:
    return selectors_setup.mailboxes_for_setup(_actor(request))


@staff_router.post("/setup/mailboxes", response={201: MailboxOut})
def setup_mailbox_add(request: HttpRequest, payload: MailboxIn) -> Any:
    return Status(201, actions_setup.mailbox_save(actor=_actor(request), **payload.dict()))


@staff_router.put("/setup/mailboxes/{mailbox_id}", response=MailboxOut)
def setup_mailbox_change(request: HttpRequest, mailbox_id: int, payload: MailboxIn) -> Any:
    return actions_setup.mailbox_save(actor=_actor(request), mailbox_id=mailbox_id, **payload.dict())


@staff_router.post("/setup/mailboxes/{mailbox_id}/test", response=ConnectionReportOut)
def setup_mailbox_test(request: HttpRequest, mailbox_id: int) -> Any:
    return actions_setup.mailbox_test(actor=_actor(request), mailbox_id=mailbox_id)


@staff_router.get("/setup/widget-keys", response=list[WidgetKeyOut])
def setup_widget_keys(request: HttpRequest) -> Any:
    return selectors_setup.widget_keys_for_setup(_actor(request))


@staff_router.post("/setup/widget-keys", response={201: WidgetKeyOut})
def setup_widget_key_add(request: HttpRequest, payload: WidgetKeyIn) -> Any:
    return Status(201, actions_setup.widget_key_create(actor=_actor(request), **payload.dict()))


@staff_router.put("/setup/widget-keys/{key_id}", response=WidgetKeyOut)
def setup_widget_key_change(request: HttpRequest, key_id: int, payload: WidgetKeyUpdateIn) -> Any:
    return actions_setup.widget_key_update(actor=_actor(request), key_id=key_id, **payload.dict())


@staff_router.post("/setup/widget-keys/{key_id}/rotate", response=WidgetKeyOut)
def setup_widget_key_rotate(request: HttpRequest, key_id: int) -> Any:
    return actions_setup.widget_key_rotate(actor=_actor(request), key_id=key_id)


@staff_router.post("/setup/widget-keys/{key_id}/revoke", response=WidgetKeyOut)
def setup_widget_key_revoke(request: HttpRequest, key_id: int) -> Any:
    return actions_setup.widget_key_revoke(actor=_actor(request), key_id=key_id)


@staff_router.get("/setup/agent-rates", response=list[AgentRateOut])
def setup_agent_rates(request: HttpRequest) -> Any:
    return selectors_setup.agent_rates_for_setup(_actor(request))


@staff_router.post("/setup/agent-rates", response=AgentRateOut)
def setup_agent_rate_save(request: HttpRequest, payload: AgentRateIn) -> Any:
    return actions_setup.agent_rate_save(actor=_actor(request), **payload.dict())


@staff_router.delete("/setup/agent-rates/{rate_id}", response={204: None})
def setup_agent_rate_delete(request: HttpRequest, rate_id: int) -> Any:
    actions_setup.agent_rate_delete(actor=_actor(request), rate_id=rate_id)
    return Status(204, None)


@staff_router.get("/setup/customer-rates", response=list[CustomerRateOut])
def setup_customer_rates(request: HttpRequest) -> Any:
    return selectors_setup.customer_rates_for_setup(_actor(request))


@staff_router.post("/setup/customer-rates", response=CustomerRateOut)
def setup_customer_rate_save(request: HttpRequest, payload: CustomerRateIn) -> Any:
    return actions_setup.customer_rate_save(actor=_actor(request), **payload.dict())


@staff_router.delete("/setup/customer-rates/{rate_id}", response={204: None})
def setup_customer_rate_delete(request: HttpRequest, rate_id: int) -> Any:
    actions_setup.customer_rate_delete(actor=_actor(request), rate_id=rate_id)
    return Status(204, None)
