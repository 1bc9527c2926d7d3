"""The manual module (a task for staff; active when they confirm) and reconciliation's list of
drift between billing and a panel."""

from __future__ import annotations

import pytest
import requests

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.catalog.models import Product
from hostkeep.provisioning import actions
from hostkeep.provisioning.choices import DriftKind, TaskKind, TaskStatus
from hostkeep.provisioning.models import ModuleConnection, ProvisioningTask, ReconciliationDrift
from hostkeep.provisioning.reconciliation import reconcile_all
from hostkeep.provisioning.tests.fixtures import drive
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(service: Service) -> str:
    return Service.objects.get(pk=service.pk).status


def test_manual_module_waits_for_staff_to_confirm(catalog, customer_contact, order_and_pay, run_jobs, admin):
    Product.objects.filter(pk=catalog["product"].pk).update(
        module="manual", module_settings={"instructions": "Rack a server and install Paper."}
    )
    ModuleConnection.objects.create(name="Our staff", module="manual")
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: ProvisioningTask.objects.filter(service=service).exists())
    task = ProvisioningTask.objects.get(service=service)
    assert (task.kind, task.status, task.detail) == (
        TaskKind.MANUAL_SETUP,
        TaskStatus.OPEN,
        "Rack a server and install Paper.",
    )
    run_jobs()
    assert status_of(service) == ServiceStatus.PROVISIONING
    actions.task_resolve(actor=actor_for_user(admin.user), task_id=task.pk)
    assert status_of(service) == ServiceStatus.ACTIVE


def test_a_customer_cannot_resolve_staff_tasks(catalog, customer_contact, order_and_pay, run_jobs):
    from hostkeep.core.errors import PermissionRefused

    Product.objects.filter(pk=catalog["product"].pk).update(module="manual", module_settings={})
    ModuleConnection.objects.create(name="Our staff", module="manual")
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: ProvisioningTask.objects.filter(service=service).exists())
    task = ProvisioningTask.objects.get(service=service)
    with pytest.raises(PermissionRefused):
        actions.task_resolve(actor=actor_for_user(customer_contact.user), task_id=task.pk)
    assert ProvisioningTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    assert status_of(service) == ServiceStatus.PROVISIONING


def test_reconciliation_lists_drift(panel, connection, customer_contact, order_and_pay, run_jobs):
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    assert reconcile_all() == {"Panel FRA": 0}
    remote = panel.server_by_external_id(f"service-{service.pk}")
    headers = {"Authorization": f"Bearer {panel.api_key}", "Accept": "application/json"}
    # Someone suspends it by hand on the panel: billing still thinks it is active.
    answer = requests.post(f"{panel.url}/api/application/servers/{remote.id}/suspend", headers=headers, timeout=5)
    assert answer.status_code == 204
    assert reconcile_all() == {"Panel FRA": 1}
    drift = ReconciliationDrift.objects.get()
    assert (drift.service_id, drift.kind, drift.billing_state, drift.remote_state) == (
        service.pk,
        DriftKind.STATE_MISMATCH,
        "active",
        "suspended",
    )
    # Then deletes it.
    answer = requests.delete(f"{panel.url}/api/application/servers/{remote.id}", headers=headers, timeout=5)
    assert answer.status_code == 204
    reconcile_all()
    assert list(ReconciliationDrift.objects.values_list("service_id", "kind")) == [
        (service.pk, DriftKind.MISSING_ON_PANEL)
    ]


def test_usage_of_a_pay_as_you_go_server_is_stored_once_per_hour(
    panel, connection, customer_contact, order_and_pay, run_jobs
):
    from hostkeep.provisioning.usage import usage_collect
    from hostkeep.usage.models import UsageRecord

    service = order_and_pay(customer_contact, plan="payg")
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    # server_hours is metered by the plan; memory_gb_hours is not, so it is refused.
    assert usage_collect() == {"accepted": 1, "duplicates": 0, "refused": 1}
    assert usage_collect() == {"accepted": 0, "duplicates": 1, "refused": 1}
    record = UsageRecord.objects.get(service=service)
    assert (record.resource, record.quantity) == ("server_hours", 1)
