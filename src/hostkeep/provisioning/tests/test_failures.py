"""Creating a game server when things go wrong, against the Pterodactyl simulator over HTTP:
outages, 500s and timeouts end with exactly one user and one server; an existing e-mail is
reused; no room on the panel fails visibly with the money kept; a 429 is honoured."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.catalog.models import Product
from hostkeep.core.models import OutboxEvent
from hostkeep.ledger.selectors import customer_balance
from hostkeep.provisioning import actions
from hostkeep.provisioning.choices import ActionKind, ActionStatus, TaskKind, TaskStatus
from hostkeep.provisioning.models import ProvisionedServer, ProvisioningAction, ProvisioningCall, ProvisioningTask
from hostkeep.provisioning.tests.fixtures import PAPER, drive
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(service: Service) -> str:
    return Service.objects.get(pk=service.pk).status


def servers_of(panel, service: Service) -> list:
    return [s for s in panel.state.servers.values() if s.external_id == f"service-{service.pk}"]


def users_with(panel, email: str) -> list:
    return [u for u in panel.state.users.values() if u.email.lower() == email.lower()]


def test_outage_500s_and_timeouts_during_create_end_with_one_user_and_one_server(
    panel, connection, customer_contact, order_and_pay, run_jobs
):
    panel.fail_next(count=1, status=500, method="POST", path=r"/users$")
    # The server is created but the answer is lost (a timeout): the retry must find it.
    panel.delay_next(3.0, count=1, method="POST", path=r"/servers$", after=True)
    panel.fail_next(count=1, status=502, method="GET", path=r"/servers/external/")
    service = order_and_pay(customer_contact)

    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)

    assert len(servers_of(panel, service)) == 1
    assert len(users_with(panel, customer_contact.user.email)) == 1
    action = ProvisioningAction.objects.get(service=service, kind=ActionKind.CREATE)
    assert action.status == ActionStatus.SUCCEEDED
    assert action.attempt == 4
    statuses = list(ProvisioningCall.objects.filter(action=action).order_by("pk").values_list("method", "status_code"))
    assert statuses[:7] == [
        ("POST", 500),  # attempt 1: POST /users, a 500
        ("GET", 502),  # attempt 2: look the server up by external id first, a 502
        ("GET", 404),  # attempt 3: no server ...
        ("GET", 404),  # ... and no user by our external id
        ("POST", 201),  # the user
        ("POST", None),  # the server: made, but the answer never came (timeout)
        ("GET", 200),  # attempt 4: found by external id, not created again
    ]
    server = ProvisionedServer.objects.get(service=service)
    assert server.remote_id == str(servers_of(panel, service)[0].id)


def test_panel_down_then_back_up(panel, connection, customer_contact, order_and_pay, run_jobs, settings):
    settings.PROVISIONING_MAX_ATTEMPTS = 50
    settings.PROVISIONING_RETRY_BASE_SECONDS = 0.1
    panel.go_down("refuse")
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: ProvisioningAction.objects.filter(service=service, attempt__gte=2).exists())
    assert status_of(service) == ServiceStatus.PROVISIONING
    assert servers_of(panel, service) == []
    panel.come_up()
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    assert len(servers_of(panel, service)) == 1
    assert len(users_with(panel, customer_contact.user.email)) == 1


def test_existing_panel_user_with_the_same_email_is_reused(
    panel, connection, customer_contact, order_and_pay, run_jobs
):
    existing = panel.add_user("thabo", customer_contact.user.email.upper())
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    (server,) = servers_of(panel, service)
    assert server.owner_id == existing.id
    assert len(users_with(panel, customer_contact.user.email)) == 1
    calls = list(ProvisioningCall.objects.filter(service=service).order_by("pk").values_list("method", "status_code"))
    assert calls[:3] == [("POST", 422), ("GET", 404), ("GET", 200)]  # create, by external id, by e-mail


def test_no_free_allocation_fails_visibly_and_keeps_the_money(
    panel, connection, catalog, customer_contact, order_and_pay, run_jobs, admin
):
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings={**PAPER, "port_range": ["30000"]})
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.FAILED)

    assert servers_of(panel, service) == []
    action = ProvisioningAction.objects.get(service=service)
    assert action.status == ActionStatus.FAILED
    assert action.attempt == 1  # a 400 is terminal: no retries
    assert "No free room on the panel" in action.last_error
    task = ProvisioningTask.objects.get(service=service)
    assert (task.kind, task.status) == (TaskKind.FAILED_ACTION, TaskStatus.OPEN)
    assert OutboxEvent.objects.filter(topic="provisioning.failed", payload__service_id=service.pk).count() == 1
    assert OutboxEvent.objects.filter(topic="provisioning.task_created", payload__task_id=task.pk).count() == 1
    # Everything topped up is back on the balance: a credit note for the order's line.
    assert customer_balance(service.customer_id, "ZAR").amount == Decimal("1000.0000")
    assert action.credit_note is not None
    assert action.credit_note.total == -Decimal("172.5000")

    # Staff fix the product and retry: created, and charged again from the balance.
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings=PAPER)
    actions.service_provisioning_retry(actor=actor_for_user(admin.user), service_id=service.pk)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    assert len(servers_of(panel, service)) == 1
    assert customer_balance(service.customer_id, "ZAR").amount == Decimal("827.5000")
    assert ProvisioningTask.objects.get(pk=task.pk).status == TaskStatus.DONE


def test_staff_refund_of_a_failed_service(panel, connection, catalog, customer_contact, order_and_pay, run_jobs, admin):
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings={**PAPER, "port_range": ["30000"]})
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.FAILED)
    actions.service_provisioning_refund(actor=actor_for_user(admin.user), service_id=service.pk, reason="No room")
    assert status_of(service) == ServiceStatus.CANCELLED
    assert customer_balance(service.customer_id, "ZAR").amount == Decimal("827.5000")  # 172.50 paid back out


def test_rate_limit_is_honoured(panel, connection, customer_contact, order_and_pay, run_jobs):
    panel.rate_limit = 2
    panel.rate_limit_window_s = 1.5
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    calls = list(ProvisioningCall.objects.filter(service=service).order_by("pk"))
    throttled = [call for call in calls if call.status_code == 429]
    assert throttled
    for call in throttled:
        following = next(c for c in calls if c.pk > call.pk)
        # Retry-After (1-2 s) is waited out before the next call; nothing was done twice.
        assert (following.occurred_at - call.occurred_at).total_seconds() >= 0.9
    assert len(servers_of(panel, service)) == 1
    assert len(users_with(panel, customer_contact.user.email)) == 1
