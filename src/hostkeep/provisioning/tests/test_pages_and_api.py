"""The server on the customer's service page, the log-in-to-panel link and panel password, the
staff pages (connections with a test, action log, retry) and the API; and a customer cannot
act on another customer's service, by page or API, with nothing moving on the panel."""

from __future__ import annotations

import pytest
from django.test import Client

from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, api_token_for
from hostkeep.provisioning.models import ModuleConnection, ProvisionedServer, ProvisioningCall
from hostkeep.provisioning.tests.fixtures import drive
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def active(panel, connection, customer_contact, order_and_pay, run_jobs) -> Service:
    service = order_and_pay(customer_contact)
    drive(run_jobs, lambda: Service.objects.get(pk=service.pk).status == ServiceStatus.ACTIVE)
    return Service.objects.get(pk=service.pk)


def test_the_customer_sees_the_server_and_logs_in_to_the_panel(active, panel, customer_contact):
    client = log_in(Client(), customer_contact.user)
    server = ProvisionedServer.objects.get(service=active)
    page = client.get(f"/portal/services/{active.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert server.address in html
    assert 'id="panel-login"' in html
    remote = panel.server_by_external_id(f"service-{active.pk}")
    assert remote is not None
    response = client.get(f"/portal/services/{active.pk}/panel/")
    assert response.status_code == 302
    assert response["Location"] == f"https://panel.example.test/server/{remote.identifier}"

    before = panel.state.users[remote.owner_id].password
    response = client.post(f"/portal/services/{active.pk}/panel-password/", follow=True)
    assert "Your new panel password is" in response.content.decode()
    assert panel.state.users[remote.owner_id].password != before


def test_another_customer_cannot_act_on_the_service(active, panel, owner_b):
    remote = panel.server_by_external_id(f"service-{active.pk}")
    password = panel.state.users[remote.owner_id].password
    calls = ProvisioningCall.objects.count()
    requests_before = panel.request_count()

    client = log_in(Client(), owner_b.user)
    assert client.get(f"/portal/services/{active.pk}/").status_code == 404
    assert client.get(f"/portal/services/{active.pk}/panel/").status_code == 404
    assert client.post(f"/portal/services/{active.pk}/panel-password/").status_code == 404
    _token, plain = api_token_for(owner_b.user)
    api = ApiClient(Client(), token=plain)
    assert api.get(f"/provisioning/services/{active.pk}/server")[0] == 404
    assert api.post(f"/provisioning/services/{active.pk}/panel-link", {})[0] == 404
    assert api.post(f"/provisioning/services/{active.pk}/panel-password", {})[0] == 404
    assert api.post(f"/staff/provisioning/services/{active.pk}/retry", {})[0] == 403

    assert panel.state.users[remote.owner_id].password == password
    assert panel.request_count() == requests_before
    assert ProvisioningCall.objects.count() == calls


def test_a_billing_contact_sees_but_cannot_reset_the_password(active, panel, customer_contact):
    reader = ContactFactory(customer=customer_contact.customer, role="billing")
    _token, plain = api_token_for(reader.user)
    api = ApiClient(Client(), token=plain)
    status, body = api.get(f"/provisioning/services/{active.pk}/server")
    assert (status, body["state"]) == (200, "ready")
    assert api.post(f"/provisioning/services/{active.pk}/panel-password", {})[0] == 403


def test_staff_pages_connection_test_and_action_log(active, panel, admin, connection):
    client = log_in(Client(), admin.user)
    page = client.get("/staff/provisioning/")
    assert page.status_code == 200
    assert "Panel FRA" in page.content.decode()
    client.post(f"/staff/provisioning/connections/{connection.pk}/test/", follow=True)
    connection.refresh_from_db()
    assert (connection.last_test_ok, connection.last_test_message) == (True, "2 locations, 3 nodes")
    detail = client.get(f"/staff/services/{active.pk}/").content.decode()
    assert f"/staff/provisioning/services/{active.pk}/" in detail
    log = client.get(f"/staff/provisioning/services/{active.pk}/").content.decode()
    assert "POST /servers?include=allocations" in log
    _token, plain = api_token_for(admin.user)
    api = ApiClient(Client(), token=plain)
    status, actions = api.get(f"/staff/provisioning/services/{active.pk}/actions")
    assert status == 200
    assert [a["kind"] for a in actions] == ["create"]
    assert [c["status_code"] for c in actions[0]["calls"]][:2] == [201, 201]


def test_a_bad_key_fails_the_connection_test(panel, admin, transactional_db):
    bad = ModuleConnection.objects.create(
        name="Wrong key", module="pterodactyl", settings={"base_url": panel.url}, secrets={"api_key": "ptla_wrong"}
    )
    client = log_in(Client(), admin.user)
    client.post(f"/staff/provisioning/connections/{bad.pk}/test/")
    bad.refresh_from_db()
    assert bad.last_test_ok is False
    assert "401" in bad.last_test_message
