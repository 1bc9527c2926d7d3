"""Demo data for helpdesk (seeded by ``seed_demo``; every step finds what an earlier run made):
three departments with SLA targets, canned replies, a project of Blocky Builders with a site
widget key, agent rates, and a few tickets for the demo customers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hostkeep.accounts.models import Contact, Project, StaffMember
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.core import clock
from hostkeep.helpdesk import actions
from hostkeep.helpdesk.models import AgentRate, CannedReply, Department, SlaPolicy, Ticket, WidgetKey

DEMO_WIDGET_KEY = "wk_demo_blocky_builders"

CANNED = [
    (
        "Restarted the server",
        "Hello {customer_name},\n\nwe restarted **{service}** and it is running again. "
        "Please tell us if it happens again.",
    ),
    (
        "Renewal reminder",
        "Hello {customer_name},\n\n{service} is paid until {due_date}. You can renew it from the portal.",
    ),
    (
        "Need the server log",
        "Hello {customer_name},\n\nplease attach the latest log, for example:\n\n```\nlogs/latest.log\n```",
    ),
]


def seed() -> None:
    """Add helpdesk's demo data."""
    technical, _ = Department.objects.get_or_create(
        name="Technical support", defaults={"email": "support@villager.example", "sort_order": 1}
    )
    Department.objects.get_or_create(name="Billing", defaults={"email": "billing@villager.example", "sort_order": 2})
    development, _ = Department.objects.get_or_create(
        name="Development (paid)",
        defaults={"email": "dev@villager.example", "sort_order": 3, "is_paid": True, "currency": "ZAR"},
    )
    SlaPolicy.objects.get_or_create(
        department=technical, plan=None, defaults={"first_response_minutes": 60, "resolution_minutes": 24 * 60}
    )
    SlaPolicy.objects.get_or_create(
        department=development,
        plan=None,
        defaults={"first_response_minutes": 8 * 60, "resolution_minutes": 5 * 24 * 60},
    )
    for title, body in CANNED:
        CannedReply.objects.get_or_create(title=title, defaults={"body": body})
    for member in StaffMember.objects.all():
        AgentRate.objects.get_or_create(staff=member, defaults={"hourly_rate": Decimal(450), "currency": "ZAR"})

    blocky = Contact.objects.filter(user__email="lerato@example.co.za").select_related("customer").first()
    if blocky is not None:
        project, _ = Project.objects.get_or_create(
            customer=blocky.customer, name="Blocky shop", defaults={"domain": "shop.blocky.example"}
        )
        WidgetKey.objects.get_or_create(
            key=DEMO_WIDGET_KEY,
            defaults={
                "project": project,
                "department": technical,
                "allowed_origins": "http://127.0.0.1:8000\nhttp://localhost:8000\nhttps://shop.blocky.example",
                "created_at": clock.now(),
            },
        )
    _tickets(technical, development)


def _tickets(technical: Department, development: Department) -> None:
    thabo = Contact.objects.filter(user__email="thabo@example.co.za").select_related("user", "customer").first()
    support = StaffMember.objects.filter(user__email="support@villager.example").select_related("user").first()
    if thabo is None or Ticket.objects.filter(customer=thabo.customer).exists():
        return
    customer_actor = actor_for_user(thabo.user, customer_id=thabo.customer_id)
    lag = actions.ticket_open(
        actor=customer_actor,
        subject="Lag spikes every evening",
        body="Between 19:00 and 21:00 the TPS drops to 12.\n\n```\n[Server thread/WARN]: Can't keep up!\n```",
        department_id=technical.pk,
    )
    actions.ticket_open(
        actor=customer_actor,
        subject="A custom plugin for my server",
        body="Could you write a small plugin that greets new players?",
        department_id=development.pk,
    )
    if support is not None:
        staff_actor = actor_for_user(support.user)
        actions.ticket_staff_reply(
            actor=staff_actor,
            ticket_id=lag.pk,
            body="Checking the node's load; chunk pre-generation may help.",
            note=True,
        )
        actions.ticket_staff_reply(
            actor=staff_actor,
            ticket_id=lag.pk,
            body="Hello Thabo, we moved your server to a quieter node. Is it better this evening?",
        )


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of helpdesk talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
