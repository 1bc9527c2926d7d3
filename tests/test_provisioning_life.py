"""The whole life of a game server against the Pterodactyl simulator over HTTP: ordered, paid,
created, installing, active, suspended for debt, unsuspended on payment, upgraded, terminated;
the panel's own state is checked at each step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.billing.actions import balance_top_up, manual_charge
from hostkeep.billing.dunning import dunning_run
from hostkeep.core import clock
from hostkeep.core.models import OutboxEvent
from hostkeep.core.money import Money
from hostkeep.provisioning.choices import ActionKind, ActionStatus, ServerState
from hostkeep.provisioning.models import ProvisionedServer, ProvisioningAction, ProvisioningCall
from hostkeep.provisioning.tests.fixtures import drive
from hostkeep.services import actions as service_actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service


def status_of(service: Service) -> str:
    return Service.objects.get(pk=service.pk).status


@pytest.mark.django_db(transaction=True)
def test_the_whole_life_of_a_game_server(panel, connection, customer_contact, order_and_pay, run_jobs, admin):
    panel.install_seconds = None  # the installation finishes when the test says so
    service = order_and_pay(customer_contact, options={"ram_gb": 2, "location": "jhb"})
    assert status_of(service) == ServiceStatus.PENDING
    assert panel.server_by_external_id(f"service-{service.pk}") is None

    # Paid (from the balance when billing invoices the order) -> created on the panel, installing.
    drive(run_jobs, lambda: ProvisionedServer.objects.filter(service=service, state=ServerState.INSTALLING).exists())
    remote = panel.server_by_external_id(f"service-{service.pk}")
    assert remote is not None
    assert remote.status == "installing"
    assert status_of(service) == ServiceStatus.PROVISIONING
    owner = panel.state.users[remote.owner_id]
    assert (owner.email, owner.external_id) == (customer_contact.user.email, f"customer-{customer_contact.customer_id}")
    assert (remote.memory, remote.disk, remote.cpu) == (2048, 10240, 200)

    # Wings finishes installing -> the service becomes active with its address.
    panel.complete_install(remote.id)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    server = ProvisionedServer.objects.get(service=service)
    allocation = panel.state.allocations[remote.allocation_id]
    assert server.address == f"{allocation.ip}:{allocation.port}"
    assert server.remote_id == str(remote.id)
    assert panel.server(remote.id).status is None
    assert OutboxEvent.objects.filter(topic="service.created", payload__service_id=service.pk).count() == 1

    # An unpaid charge goes past the grace period -> suspended for debt, on the panel too.
    manual_charge(
        actor=actor_for_user(admin.user),
        customer_id=service.customer_id,
        amount="2000",
        reason="Extra work",
        key="debt-1",
    )
    dunning_run(at=clock.now() + dt.timedelta(days=5))
    assert status_of(service) == ServiceStatus.SUSPENDED
    drive(run_jobs, lambda: panel.server(remote.id).status == "suspended")
    drive(run_jobs, lambda: ProvisionedServer.objects.get(service=service).state == ServerState.SUSPENDED)

    # The customer pays -> unsuspended, on the panel too.
    balance_top_up(
        customer=service.customer, amount=Money(Decimal("3000"), "ZAR"), idempotency_key="pay-debt", description="EFT"
    )
    assert status_of(service) == ServiceStatus.ACTIVE
    drive(run_jobs, lambda: panel.server(remote.id).status is None)

    # Upgraded to 4 GB -> the panel's build limits follow.
    service_actions.service_change_apply(
        actor=actor_for_user(customer_contact.user), service_id=service.pk, option_values={"ram_gb": 4}
    )
    drive(run_jobs, lambda: panel.server(remote.id).memory == 4096)
    assert ProvisionedServer.objects.get(service=service).resources["memory"] == 4096

    # Terminated -> gone from the panel, its port free again.
    service_actions.service_transition(
        service_id=service.pk, to=ServiceStatus.TERMINATED, actor=SYSTEM_ACTOR, reason="Contract ended"
    )
    drive(run_jobs, lambda: panel.server_by_external_id(f"service-{service.pk}") is None)
    assert panel.state.allocations[remote.allocation_id].server_id is None
    assert ProvisionedServer.objects.get(service=service).state == ServerState.DELETED

    kinds = list(ProvisioningAction.objects.filter(service=service).order_by("pk").values_list("kind", "status"))
    assert kinds == [
        (ActionKind.CREATE, ActionStatus.SUCCEEDED),
        (ActionKind.SUSPEND, ActionStatus.SUCCEEDED),
        (ActionKind.UNSUSPEND, ActionStatus.SUCCEEDED),
        (ActionKind.CHANGE_PACKAGE, ActionStatus.SUCCEEDED),
        (ActionKind.TERMINATE, ActionStatus.SUCCEEDED),
    ]
    # Every call and its answer is in the service's log.
    calls = list(ProvisioningCall.objects.filter(service=service).values_list("method", "path", "status_code"))
    assert ("POST", "/servers?include=allocations", 201) in calls
    assert ("POST", f"/servers/{remote.id}/suspend", 204) in calls
    assert ("DELETE", f"/servers/{remote.id}", 204) in calls
