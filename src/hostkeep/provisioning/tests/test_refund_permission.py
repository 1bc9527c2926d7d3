"""Who may do what with a failed creation: an engineer (provisioning, no billing) retries but
cannot pay money out; the refund is refused up front, by action, page and API, with a clear
message and nothing moved; an administrator refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import StaffFactory, api_token_for
from hostkeep.catalog.models import Product
from hostkeep.core.errors import PermissionRefused
from hostkeep.core.models import AuditEvent
from hostkeep.ledger.models import LedgerTransaction
from hostkeep.ledger.selectors import customer_balance
from hostkeep.provisioning import actions
from hostkeep.provisioning.choices import TaskStatus
from hostkeep.provisioning.models import ProvisioningTask
from hostkeep.provisioning.tests.fixtures import PAPER, drive
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service, ServiceEvent

pytestmark = pytest.mark.django_db(transaction=True)

NEEDS_BILLING = "Refunding needs the billing permission as well; ask an accountant or an administrator."


@pytest.fixture
def failed(panel, connection, catalog, customer_contact, order_and_pay, run_jobs) -> Service:
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings={**PAPER, "port_range": ["30000"]})
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: Service.objects.get(pk=service.pk).status == ServiceStatus.FAILED)
    return Service.objects.get(pk=service.pk)


def snapshot(service: Service) -> tuple:
    return (
        Service.objects.get(pk=service.pk).status,
        customer_balance(service.customer_id, "ZAR").amount,
        LedgerTransaction.objects.count(),
        ServiceEvent.objects.filter(service=service).count(),
        AuditEvent.objects.count(),
        list(ProvisioningTask.objects.filter(service=service).values_list("status", flat=True)),
    )


def test_an_engineer_cannot_refund_and_nothing_moves(failed, transactional_db):
    engineer = StaffFactory(role=StaffRole.ENGINEER)
    before = snapshot(failed)
    assert before[0] == ServiceStatus.FAILED
    assert before[1] == Decimal("1000.0000")  # the failure put the payment back on the balance

    with pytest.raises(PermissionRefused) as refused:
        actions.service_provisioning_refund(actor=actor_for_user(engineer.user), service_id=failed.pk, reason="x")
    assert refused.value.message == NEEDS_BILLING
    assert snapshot(failed) == before

    client = log_in(Client(), engineer.user)
    page = client.get(f"/staff/provisioning/services/{failed.pk}/").content.decode()
    assert 'id="retry"' in page
    assert 'id="refund"' not in page
    assert 'id="refund-needs-billing"' in page
    response = client.post(f"/staff/provisioning/services/{failed.pk}/refund/", {"reason": "No room"}, follow=True)
    assert response.status_code == 200
    assert NEEDS_BILLING in response.content.decode()
    assert snapshot(failed) == before

    _token, plain = api_token_for(engineer.user)  # audited itself
    before = snapshot(failed)
    status, body = ApiClient(Client(), token=plain).post(
        f"/staff/provisioning/services/{failed.pk}/refund", {"reason": "No room"}
    )
    assert (status, body["error"]["code"], body["error"]["message"]) == (403, "permission_denied", NEEDS_BILLING)
    assert snapshot(failed) == before


def test_an_accountant_cannot_reach_provisioning_and_an_admin_refunds(failed, admin, transactional_db):
    accountant = StaffFactory(role=StaffRole.ACCOUNTANT)
    before = snapshot(failed)
    with pytest.raises(PermissionRefused):
        actions.service_provisioning_refund(actor=actor_for_user(accountant.user), service_id=failed.pk, reason="x")
    with pytest.raises(PermissionRefused):
        actions.service_provisioning_retry(actor=actor_for_user(accountant.user), service_id=failed.pk)
    assert snapshot(failed) == before

    client = log_in(Client(), admin.user)
    assert 'id="refund"' in client.get(f"/staff/provisioning/services/{failed.pk}/").content.decode()
    client.post(f"/staff/provisioning/services/{failed.pk}/refund/", {"reason": "No room on the panel"})
    assert Service.objects.get(pk=failed.pk).status == ServiceStatus.CANCELLED
    assert customer_balance(failed.customer_id, "ZAR").amount == Decimal("827.5000")  # 172.50 paid back out
    assert set(ProvisioningTask.objects.filter(service=failed).values_list("status", flat=True)) == {TaskStatus.DONE}
