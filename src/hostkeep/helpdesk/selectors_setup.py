"""Reads of the helpdesk's set-up screens: departments with their SLA targets, mailboxes,
widget keys and hourly rates. Each starts from the set-up permission check."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from hostkeep.accounts.models import Contact, Project, StaffMember
from hostkeep.accounts.permissions import Actor
from hostkeep.accounts.selectors import get_scoped
from hostkeep.catalog.models import Plan
from hostkeep.helpdesk.actions_setup import SETUP_PERMISSION
from hostkeep.helpdesk.models import AgentRate, CustomerRate, Department, Mailbox, SlaPolicy, Ticket, WidgetKey


def departments_for_setup(actor: Actor) -> QuerySet[Department]:
    actor.require(SETUP_PERMISSION)
    targets = SlaPolicy.objects.select_related("plan__product").order_by("plan__name", "id")
    return Department.objects.prefetch_related(Prefetch("slas", queryset=targets)).order_by("sort_order", "name")


def department_for_setup(actor: Actor, department_id: object) -> Department:
    return get_scoped(departments_for_setup(actor), department_id)


def sla_policies_for_setup(actor: Actor) -> QuerySet[SlaPolicy]:
    actor.require(SETUP_PERMISSION)
    return SlaPolicy.objects.select_related("department", "plan__product").order_by(
        "department__sort_order", "department__name", "plan__name", "id"
    )


def sla_policy_for_setup(actor: Actor, policy_id: object) -> SlaPolicy:
    return get_scoped(sla_policies_for_setup(actor), policy_id)


def plans_for_setup(actor: Actor) -> QuerySet[Plan]:
    actor.require(SETUP_PERMISSION)
    return Plan.objects.select_related("product").order_by("product__name", "name")


def mailboxes_for_setup(actor: Actor) -> QuerySet[Mailbox]:
    actor.require(SETUP_PERMISSION)
    return Mailbox.objects.select_related("department").order_by("name")


def mailbox_for_setup(actor: Actor, mailbox_id: object) -> Mailbox:
    return get_scoped(mailboxes_for_setup(actor), mailbox_id)


def widget_keys_for_setup(actor: Actor) -> QuerySet[WidgetKey]:
    actor.require(SETUP_PERMISSION)
    return WidgetKey.objects.select_related("project__customer", "department").order_by(
        "project__customer__name", "project__name", "-created_at", "-id"
    )


def widget_key_for_setup(actor: Actor, key_id: object) -> WidgetKey:
    return get_scoped(widget_keys_for_setup(actor), key_id)


def projects_for_setup(actor: Actor) -> QuerySet[Project]:
    actor.require(SETUP_PERMISSION)
    return Project.objects.filter(is_active=True).select_related("customer").order_by("customer__name", "name")


def agent_rates_for_setup(actor: Actor) -> QuerySet[AgentRate]:
    actor.require(SETUP_PERMISSION)
    return AgentRate.objects.select_related("staff__user").order_by("staff__user__email")


def customer_rates_for_setup(actor: Actor) -> QuerySet[CustomerRate]:
    actor.require(SETUP_PERMISSION)
    return CustomerRate.objects.select_related("customer").order_by("customer__name", "customer_id")


def agents_for_setup(actor: Actor) -> QuerySet[StaffMember]:
    actor.require(SETUP_PERMISSION)
    return StaffMember.objects.filter(is_active=True).select_related("user").order_by("user__email")


def watcher_choices(ticket: Ticket) -> list[Contact]:
    """The ticket customer's contacts who do not watch it yet (the staff ticket page's list;
    the caller has read the ticket through ``ticket_for_staff``)."""
    if ticket.customer_id is None:
        return []
    watching = {contact.pk for contact in ticket.watchers.all()}
    contacts = Contact.objects.filter(customer_id=ticket.customer_id).select_related("user").order_by("user__email")
    return [contact for contact in contacts if contact.pk not in watching]
