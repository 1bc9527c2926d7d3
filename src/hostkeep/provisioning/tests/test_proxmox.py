"""A VPS on the Proxmox VE simulator over HTTP: clone from the template to the next free VM id,
task polling, limits, start; a failed clone task fails the service visibly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.catalog.models import Product
from hostkeep.integrations.proxmox.simulator import ProxmoxSimulator
from hostkeep.provisioning.choices import ActionStatus, ServerState
from hostkeep.provisioning.models import ModuleConnection, ProvisionedServer, ProvisioningAction, ProvisioningCall
from hostkeep.provisioning.tests.fixtures import drive
from hostkeep.services.actions import service_transition
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)
VPS = {"node": "pve1", "template_vmid": 9000, "limits": {"cores": 2, "disk_gib": 20}}


@pytest.fixture
def cluster() -> Iterator[ProxmoxSimulator]:
    with ProxmoxSimulator(clone_seconds=0.2, task_seconds=0.03) as simulator:
        yield simulator


@pytest.fixture
def vps_product(catalog, cluster):
    Product.objects.filter(pk=catalog["product"].pk).update(module="proxmox", module_settings=VPS)
    ModuleConnection.objects.create(
        name="PVE",
        module="proxmox",
        settings={
            "host": "127.0.0.1",
            "port": cluster.port,
            "scheme": "http",
            "user": cluster.user,
            "token_name": cluster.token_name,
            "task_poll_seconds": 0.02,
        },
        secrets={"token_value": cluster.token_value},
        timeout_seconds=2,
    )
    return catalog


def status_of(service: Service) -> str:
    return Service.objects.get(pk=service.pk).status


def test_clone_polls_the_task_then_sizes_and_starts_the_vm(
    vps_product, cluster, customer_contact, order_and_pay, run_jobs
):
    service = order_and_pay(customer_contact, options={"ram_gb": 4})
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.ACTIVE)
    server = ProvisionedServer.objects.get(service=service)
    assert server.details["vmid"] == 101  # the next free id after VM 100
    vm = cluster.vm(101)
    assert vm.name == f"service-{service.pk}"
    assert (int(vm.config["cores"]), int(vm.config["memory"])) == (2, 4096)
    assert vm.status == "running"
    assert vm.disk_bytes("scsi0") == 20 * 1024**3
    assert server.resources == {"cores": 2, "memory": 4096, "disk_gib": 20}
    paths = list(ProvisioningCall.objects.filter(service=service).values_list("method", "path"))
    assert ("POST", "/nodes/pve1/qemu/9000/clone") in paths
    assert any(path.startswith("/nodes/pve1/tasks/UPID:pve1:") for _method, path in paths)

    service_transition(service_id=service.pk, to=ServiceStatus.SUSPENDED, actor=SYSTEM_ACTOR, reason="Debt")
    drive(run_jobs, lambda: ProvisionedServer.objects.get(service=service).state == ServerState.SUSPENDED)
    assert cluster.vm(101).status == "stopped"
    service_transition(service_id=service.pk, to=ServiceStatus.TERMINATED, actor=SYSTEM_ACTOR, reason="Ended")
    drive(run_jobs, lambda: ProvisionedServer.objects.get(service=service).state == ServerState.DELETED)
    assert 101 not in cluster.state.vms


def test_a_failed_clone_task_fails_the_service(vps_product, cluster, customer_contact, order_and_pay, run_jobs):
    cluster.fail_next_task(task_type="qmclone", message="storage 'local-lvm' is full")
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(service) == ServiceStatus.FAILED)
    action = ProvisioningAction.objects.get(service=service)
    assert action.status == ActionStatus.FAILED
    assert "storage 'local-lvm' is full" in action.last_error
    assert 101 not in cluster.state.vms  # PVE removes the half-made clone
