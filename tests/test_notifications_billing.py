"""The events that exist today reach customers: an order, its invoice issued and paid, a
promised payment taken and about to expire (announced once), a suspended service, a new API
token; each in the portal and by e-mail, through the real outbox and jobs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory, api_token_for
from hostkeep.billing.actions import balance_top_up, promised_payment_take
from hostkeep.billing.models import DunningStep
from hostkeep.billing.tasks import promised_payments_warn_expiring
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.core import clock
from hostkeep.core.models import OutboxEvent
from hostkeep.core.money import Money
from hostkeep.core.outbox import deliver_pending
from hostkeep.ledger.choices import AccountKind
from hostkeep.notifications.models import Delivery
from hostkeep.services import actions as service_actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db, settings):
    settings.TIME_ZONE = "Africa/Johannesburg"
    ProviderLegalEntity.objects.create(name="TVP", short_code="tvp", country="ZA", tax_id="4999999999", is_default=True)
    return ContactFactory(customer__currency="ZAR", customer__country="ZA", user__language="es")


@pytest.fixture
def settle(django_capture_on_commit_callbacks, run_jobs):
    """Deliver every outbox event and run every job due, until nothing is left."""

    def run() -> None:
        for _round in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                delivered = deliver_pending()
            with django_capture_on_commit_callbacks(execute=True):
                run_jobs()
            if not delivered:
                break

    return run


def inbox(user) -> list[str]:
    return list(Delivery.objects.filter(user=user, channel="inapp").order_by("id").values_list("subject", flat=True))


def test_an_order_paid_from_the_balance_tells_the_customer_in_their_language(customer, settle):
    catalog = minecraft_catalog()
    balance_top_up(
        customer=customer.customer,
        amount=Money(Decimal(1000), "ZAR"),
        idempotency_key="t",
        description="t",
        source=AccountKind.ADJUSTMENTS,
    )
    actor = actor_for_user(customer.user)
    service_actions.cart_add(actor=actor, plan_id=catalog["stone"].pk)
    order = service_actions.checkout(actor=actor)

    settle()

    subjects = inbox(customer.user)
    assert subjects[0] == f"Pedido {order.number} recibido"
    assert any(s.startswith("Factura ") and not s.endswith("pagada") for s in subjects)
    assert any(s.endswith("pagada") for s in subjects)
    assert sorted(m.subject for m in mail.outbox) == sorted(subjects)
    assert all(m.to == [customer.user.email] for m in mail.outbox)


def test_a_promised_payment_about_to_expire_is_announced_once(customer, settle, settings):
    settings.PROMISED_PAYMENT_DAYS = 1
    promise = promised_payment_take(actor=actor_for_user(customer.user), amount="100")

    assert promised_payments_warn_expiring.call() == 1
    assert promised_payments_warn_expiring.call() == 0
    settle()

    assert DunningStep.objects.filter(key=f"promise-expiring:{promise.pk}").count() == 1
    assert OutboxEvent.objects.filter(topic="billing.promised_payment_expiring").count() == 1
    assert inbox(customer.user) == ["Pago prometido de 100.00 ZAR", f"Su pago prometido vence el {_when(promise)}"]


def _when(promise) -> str:
    return promise.expires_at.astimezone(clock.provider_zone()).strftime("%Y-%m-%d %H:%M %Z").strip()


def test_a_suspended_service_and_a_new_api_token_reach_the_right_people(customer, settle):
    catalog = minecraft_catalog()
    technical = ContactFactory(customer=customer.customer, role="technical")
    readonly = ContactFactory(customer=customer.customer, role="read_only")
    actor = actor_for_user(customer.user)
    service_actions.cart_add(actor=actor, plan_id=catalog["stone"].pk)
    service_actions.checkout(actor=actor)
    service = Service.objects.get(customer=customer.customer)
    for state in (ServiceStatus.PROVISIONING, ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED):
        service_actions.service_transition(service_id=service.pk, to=state, actor=SYSTEM_ACTOR, reason="Abuse")
    api_token_for(technical.user, name="ci")

    settle()

    assert f"{service} is suspended" in inbox(technical.user)
    assert any("suspendido" in s for s in inbox(customer.user))
    assert inbox(readonly.user) == []
    assert "New API token ci" in inbox(technical.user)
    assert not any("token" in s.lower() for s in inbox(customer.user))
