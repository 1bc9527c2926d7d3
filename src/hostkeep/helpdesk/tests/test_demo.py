"""The demo's helpdesk part: departments, SLA, canned replies, a widget key and tickets, and
seeding twice changes nothing."""

from __future__ import annotations

import pytest

from hostkeep.demo.helpdesk import DEMO_WIDGET_KEY
from hostkeep.demo.seed import seed_demo
from hostkeep.helpdesk.models import CannedReply, Department, Ticket, TicketMessage, WidgetKey

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Department, CannedReply, WidgetKey, Ticket, TicketMessage))


def test_the_demo_seeds_helpdesk_once():
    seed_demo()
    first = counts()
    assert first == (3, 3, 1, 2, 4)
    assert WidgetKey.objects.get().key == DEMO_WIDGET_KEY
    assert Ticket.objects.filter(customer__name="Thabo Mokoena").count() == 2
    seed_demo()
    assert counts() == first
