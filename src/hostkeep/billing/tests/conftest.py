import datetime as dt
from decimal import Decimal

import pytest

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.core.money import Money
from hostkeep.core.outbox import deliver_pending
from hostkeep.services import actions as service_actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

SAST = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture
def entity(db):
    return ProviderLegalEntity.objects.create(
        name="The Villager People (Pty) Ltd", short_code="tvp", country="ZA", tax_id="4999999999", is_default=True
    )


@pytest.fixture
def catalog(db, settings, entity):
    settings.TIME_ZONE = "Africa/Johannesburg"
    return minecraft_catalog()


def make_active_service(catalog, *, plan="stone", customer_contact=None, **options) -> Service:
    contact = customer_contact or ContactFactory(customer__currency="ZAR", customer__country="ZA")
    actor = actor_for_user(contact.user)
    service_actions.cart_add(actor=actor, plan_id=catalog[plan].pk, option_values=options or None)
    service_actions.checkout(actor=actor)
    deliver_pending()  # the order is invoiced by billing's outbox handler
    service = Service.objects.filter(customer=contact.customer).latest("id")
    service_actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    service_actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    service.refresh_from_db()
    return service


def zar(value) -> Money:
    return Money(Decimal(str(value)), "ZAR")
