"""The staff set-up screens of the helpdesk: departments, SLA targets, mailboxes (with a real
IMAP log-in test against the private dovecot), widget keys, hourly rates, and the watchers box
of a ticket. Each: it saves, it changes, bad input is refused with a clear error and nothing
moves, and staff without the set-up permission are refused."""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.models import Project
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, StaffFactory
from hostkeep.catalog.models import Plan
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.core import clock
from hostkeep.core.models import AuditEvent
from hostkeep.helpdesk.models import AgentRate, CustomerRate, Department, Mailbox, SlaPolicy, WidgetKey
from hostkeep.helpdesk.tests.conftest import free_port
from hostkeep.helpdesk.tests.helpers import open_ticket

pytestmark = pytest.mark.django_db

IMAP_USER = "support@villager.example"


@pytest.fixture
def staff_client(client: Client, admin) -> Client:
    return log_in(client, admin.user)


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    """A support agent: answers tickets, may not change the set-up."""
    return log_in(client, agent.user)


def page(response) -> str:
    return response.content.decode()


def table_state() -> tuple:
    """Everything the set-up screens write, to show a refusal changed nothing."""
    return (
        list(Department.objects.order_by("pk").values()),
        list(SlaPolicy.objects.order_by("pk").values()),
        list(Mailbox.objects.order_by("pk").values()),
        list(WidgetKey.objects.order_by("pk").values()),
        list(AgentRate.objects.order_by("pk").values()),
        list(CustomerRate.objects.order_by("pk").values()),
    )


# --- departments -----------------------------------------------------------------------------


DEPARTMENT = {
    "name": "Priority support",
    "email": "priority@villager.example",
    "is_public": "on",
    "charging": "fixed",
    "price_per_ticket": "150.00",
    "currency": "ZAR",
    "sort_order": "5",
}


def test_a_department_is_added_and_changed_to_charge_by_time(staff_client: Client):
    response = staff_client.post("/staff/helpdesk/setup/departments/", DEPARTMENT, follow=True)
    assert response.status_code == 200
    assert "The department “Priority support” is saved." in page(response)
    department = Department.objects.get(name="Priority support")
    assert (department.email, department.is_public, department.is_paid) == ("priority@villager.example", True, True)
    assert (department.price_per_ticket, department.currency, department.sort_order) == (Decimal(150), "ZAR", 5)
    assert AuditEvent.objects.filter(action="helpdesk.department_save", object_id=str(department.pk)).count() == 1

    edit = staff_client.get(f"/staff/helpdesk/setup/departments/{department.pk}/")
    assert 'value="Priority support"' in page(edit)
    changed = {**DEPARTMENT, "charging": "time", "price_per_ticket": "", "is_public": ""}
    response = staff_client.post(f"/staff/helpdesk/setup/departments/{department.pk}/", changed)
    assert response.status_code == 302
    department.refresh_from_db()
    assert (department.is_paid, department.price_per_ticket, department.is_public) == (True, None, False)
    listing = page(staff_client.get("/staff/helpdesk/setup/departments/"))
    assert "By logged time" in listing


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"charging": "fixed", "price_per_ticket": ""}, "Enter an amount."),
        ({"price_per_ticket": "0"}, "A fixed price is more than 0."),
        ({"price_per_ticket": "12,5x"}, "Enter an amount such as 250.00."),
        ({"name": "technical SUPPORT"}, "There is already a department with this name."),
        ({"email": "not an address"}, "Enter a valid email address."),
        ({"charging": "sometimes"}, "Select a valid choice."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_bad_department_is_refused_and_nothing_changes(staff_client: Client, department, change, error):
    before = table_state()
    response = staff_client.post("/staff/helpdesk/setup/departments/", {**DEPARTMENT, **change})
    assert response.status_code == 422
    assert error in page(response)
    assert table_state() == before


def test_support_agents_and_customers_cannot_change_departments(agent_client: Client, department, owner_a):
    before = table_state()
    assert agent_client.get("/staff/helpdesk/setup/departments/").status_code == 403
    assert agent_client.post("/staff/helpdesk/setup/departments/", DEPARTMENT).status_code == 403
    response = agent_client.post(f"/staff/helpdesk/setup/departments/{department.pk}/", {**DEPARTMENT, "name": "X"})
    assert response.status_code == 403
    customer = Client()
    log_in(customer, owner_a.user)
    assert customer.post("/staff/helpdesk/setup/departments/", DEPARTMENT).status_code == 302  # to the portal
    assert table_state() == before


# --- SLA targets -----------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    return minecraft_catalog()


def test_an_sla_target_per_department_and_plan_is_added_changed_and_removed(staff_client, department, catalog):
    iron = Plan.objects.get(code="iron")
    data = {"department": department.pk, "plan": iron.pk, "first_response_minutes": 30, "resolution_minutes": 240}
    response = staff_client.post("/staff/helpdesk/setup/sla/", data, follow=True)
    assert "The SLA target is saved." in page(response)
    policy = SlaPolicy.objects.get()
    assert (policy.department, policy.plan, policy.first_response_minutes, policy.resolution_minutes) == (
        department,
        iron,
        30,
        240,
    )
    assert "Minecraft server — Iron" in page(response)

    response = staff_client.post(f"/staff/helpdesk/setup/sla/{policy.pk}/", {**data, "first_response_minutes": 45})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_minutes == 45

    every = {"department": "", "plan": "", "first_response_minutes": 120, "resolution_minutes": 2880}
    assert staff_client.post("/staff/helpdesk/setup/sla/", every).status_code == 302
    assert SlaPolicy.objects.filter(department=None, plan=None).count() == 1

    assert staff_client.post(f"/staff/helpdesk/setup/sla/{policy.pk}/delete/").status_code == 302
    assert list(SlaPolicy.objects.values_list("department", "plan")) == [(None, None)]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"resolution_minutes": 10}, "Resolution cannot be due before the first response."),
        ({"first_response_minutes": 0}, "Ensure this value is greater than or equal to 1."),
        ({"first_response_minutes": "soon"}, "Enter a whole number."),
        ({"resolution_minutes": 10_000_000}, "Enter 1 to 525600 minutes."),
        ({"plan": 999_999}, "Select a valid choice."),
        ({}, "There is already a target for this department and plan."),
    ],
)
def test_a_bad_sla_target_is_refused_and_nothing_changes(staff_client, department, sla, change, error):
    before = table_state()
    data = {"department": department.pk, "plan": "", "first_response_minutes": 30, "resolution_minutes": 240}
    response = staff_client.post("/staff/helpdesk/setup/sla/", {**data, **change})
    assert response.status_code == 422
    assert error in page(response)
    assert table_state() == before


def test_support_agents_cannot_change_sla_targets(agent_client, department, sla):
    before = table_state()
    assert agent_client.get("/staff/helpdesk/setup/sla/").status_code == 403
    data = {"department": department.pk, "first_response_minutes": 1, "resolution_minutes": 2}
    assert agent_client.post(f"/staff/helpdesk/setup/sla/{sla.pk}/", data).status_code == 403
    assert agent_client.post(f"/staff/helpdesk/setup/sla/{sla.pk}/delete/").status_code == 403
    assert table_state() == before


# --- mailboxes -------------------------------------------------------------------------------


def mailbox_data(home, **change) -> dict:
    return {
        "name": "support",
        "address": IMAP_USER,
        "host": "127.0.0.1",
        "port": "993",
        "use_ssl": "on",
        "username": IMAP_USER,
        "password": "imap-secret",
        "folder": "INBOX",
        "department": home.pk,
        "is_active": "on",
        **change,
    }


def test_a_mailbox_is_saved_with_its_password_encrypted_and_kept_when_left_empty(staff_client, department):
    response = staff_client.post("/staff/helpdesk/setup/mailboxes/", mailbox_data(department), follow=True)
    assert "The mailbox “support” is saved; test it." in page(response)
    assert "imap-secret" not in page(response)
    mailbox = Mailbox.objects.get()
    assert (mailbox.host, mailbox.port, mailbox.password, mailbox.department) == (
        "127.0.0.1",
        993,
        "imap-secret",
        department,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM helpdesk_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]
    assert "imap-secret" not in stored

    edit = page(staff_client.get(f"/staff/helpdesk/setup/mailboxes/{mailbox.pk}/"))
    assert "imap-secret" not in edit
    changed = mailbox_data(department, password="", port="143", use_ssl="", folder="Support")
    assert staff_client.post(f"/staff/helpdesk/setup/mailboxes/{mailbox.pk}/", changed).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.port, mailbox.use_ssl, mailbox.folder, mailbox.password) == (143, False, "Support", "imap-secret")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"host": "imaps://mail.example"}, "Enter a host name or address, without a scheme or port."),
        ({"port": "70000"}, "Ensure this value is less than or equal to 65535."),
        ({"password": ""}, "This field is required."),
        ({"address": "support"}, "Enter a valid email address."),
        ({"department": "999999"}, "Select a valid choice."),
    ],
)
def test_a_bad_mailbox_is_refused_and_nothing_changes(staff_client, department, change, error):
    before = table_state()
    response = staff_client.post("/staff/helpdesk/setup/mailboxes/", mailbox_data(department, **change))
    assert response.status_code == 422
    assert error in page(response)
    assert table_state() == before


def _test_message(staff_client: Client, mailbox: Mailbox) -> str:
    response = staff_client.post(f"/staff/helpdesk/setup/mailboxes/{mailbox.pk}/test/", follow=True)
    assert response.status_code == 200
    [message] = [str(message) for message in response.context["messages"]]
    return message


def test_the_connection_test_logs_in_to_a_real_imap_server(staff_client, department, dovecot):
    mailbox = Mailbox.objects.create(
        name="support",
        address=IMAP_USER,
        host="127.0.0.1",
        port=dovecot.port,
        use_ssl=False,
        username=IMAP_USER,
        password=dovecot.users[IMAP_USER],
        department=department,
    )
    assert _test_message(staff_client, mailbox).startswith(
        f"Logged in to 127.0.0.1:{dovecot.port} as {IMAP_USER}; “INBOX” holds "
    )

    Mailbox.objects.filter(pk=mailbox.pk).update(folder="Nowhere")
    assert _test_message(staff_client, mailbox) == "Logged in, but there is no folder “Nowhere”."

    mailbox.folder, mailbox.password = "INBOX", "wrong-password"
    mailbox.save()
    assert _test_message(staff_client, mailbox) == (
        f"127.0.0.1:{dovecot.port}: the server refused the user name or password."
    )

    closed = free_port()
    Mailbox.objects.filter(pk=mailbox.pk).update(port=closed)
    assert _test_message(staff_client, mailbox) == f"127.0.0.1:{closed}: the connection was refused."


def test_the_connection_test_reports_an_unknown_host(staff_client, department):
    mailbox = Mailbox.objects.create(
        name="x", address="x@x.example", host="imap.invalid", username="u", password="p", department=department
    )
    try:
        socket.getaddrinfo("imap.invalid", 993)
    except socket.gaierror:
        pass
    else:  # pragma: no cover - a resolver that answers for .invalid
        pytest.skip("this resolver answers for .invalid names")
    assert _test_message(staff_client, mailbox) == "imap.invalid: the host name is not known."


def test_support_agents_cannot_see_test_or_change_mailboxes(agent_client, department):
    mailbox = Mailbox.objects.create(
        name="support", address=IMAP_USER, host="127.0.0.1", username="u", password="p", department=department
    )
    before = table_state()
    assert agent_client.get("/staff/helpdesk/setup/mailboxes/").status_code == 403
    assert agent_client.post(f"/staff/helpdesk/setup/mailboxes/{mailbox.pk}/test/").status_code == 403
    changed = mailbox_data(department, host="evil.example")
    assert agent_client.post(f"/staff/helpdesk/setup/mailboxes/{mailbox.pk}/", changed).status_code == 403
    assert table_state() == before


# --- widget keys -----------------------------------------------------------------------------


@pytest.fixture
def project(owner_a):
    return Project.objects.create(customer=owner_a.customer, name="Alpha site", domain="alpha.example")


def test_a_widget_key_is_made_embedded_changed_rotated_and_revoked(staff_client, client, department, project):
    data = {
        "project": project.pk,
        "department": department.pk,
        "allowed_origins": "https://alpha.example/\n\nhttp://localhost:8000",
    }
    response = staff_client.post("/staff/helpdesk/setup/widget-keys/", data, follow=True)
    key = WidgetKey.objects.get()
    assert (key.project, key.department, key.is_active) == (project, department, True)
    assert key.origins() == ["https://alpha.example", "http://localhost:8000"]
    tag = f"&lt;script src=&quot;http://testserver/helpdesk/widget/{key.key}.js&quot; async&gt;&lt;/script&gt;"
    assert tag in page(response)
    assert "embed the script tag below" in page(response)
    assert Client().get(f"/helpdesk/widget/{key.key}.js").status_code == 200

    changed = {"department": department.pk, "allowed_origins": "https://www.alpha.example"}
    assert staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/", changed).status_code == 302
    key.refresh_from_db()
    assert key.origins() == ["https://www.alpha.example"]

    old = key.key
    response = staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/rotate/", follow=True)
    key.refresh_from_db()
    assert key.key != old
    assert key.key in page(response)
    assert Client().get(f"/helpdesk/widget/{old}.js").status_code == 404
    assert Client().get(f"/helpdesk/widget/{key.key}.js").status_code == 200

    response = staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/revoke/", follow=True)
    assert "The key is revoked" in page(response)
    assert "/helpdesk/widget/" not in page(response)
    assert Client().get(f"/helpdesk/widget/{key.key}.js").status_code == 404
    submit = Client().post(
        f"/helpdesk/widget/{key.key}/submit/",
        {"email": "v@x.example", "subject": "s", "message": "m"},
        content_type="application/json",
        headers={"origin": "https://www.alpha.example"},
    )
    assert submit.status_code == 403
    assert AuditEvent.objects.filter(object_type="widget_key").count() == 4


@pytest.mark.parametrize(
    ("origins", "error"),
    [
        ("alpha.example", "“alpha.example” is not an origin such as https://example.com"),
        ("https://alpha.example/contact", "“https://alpha.example/contact” is not an origin"),
        ("javascript://alpha.example", "is not an origin such as https://example.com"),
        ("https://alpha.example:99999", "is not an origin such as https://example.com"),
        ("   \n ", "This field is required."),
    ],
)
def test_a_bad_widget_key_is_refused_and_nothing_changes(staff_client, department, project, origins, error):
    before = table_state()
    data = {"project": project.pk, "department": department.pk, "allowed_origins": origins}
    response = staff_client.post("/staff/helpdesk/setup/widget-keys/", data)
    assert response.status_code == 422
    assert error in page(response)
    assert table_state() == before


def test_a_widget_key_has_its_own_hourly_limit(staff_client, department, project, settings):
    settings.HELPDESK_WIDGET_RATE = 20
    data = {"project": project.pk, "department": department.pk, "allowed_origins": "https://alpha.example"}
    staff_client.post("/staff/helpdesk/setup/widget-keys/", {**data, "hourly_limit": "2"})
    key = WidgetKey.objects.get()
    assert key.hourly_limit == 2
    assert "At most 2 tickets per hour" in page(staff_client.get(f"/staff/helpdesk/setup/widget-keys/{key.pk}/"))
    visitor = Client()
    body = {"name": "Visitor", "email": "visitor@example.org", "subject": "Cart", "message": "Help"}

    def submit() -> int:
        return visitor.post(
            f"/helpdesk/widget/{key.key}/submit/",
            json.dumps(body),
            content_type="application/json",
            HTTP_ORIGIN="https://alpha.example",
        ).status_code

    assert [submit() for _ in range(3)] == [201, 201, 429]
    before = table_state()
    changed = {"department": department.pk, "allowed_origins": "https://alpha.example", "hourly_limit": "0"}
    assert staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/", changed).status_code == 422
    changed["hourly_limit"] = "99999999"
    response = staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/", changed)
    assert response.status_code == 422
    assert "Give a whole number from 1 to 10000" in page(response)
    assert table_state() == before
    changed["hourly_limit"] = ""
    assert staff_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/", changed).status_code == 302
    key.refresh_from_db()
    assert (key.hourly_limit, key.rate_per_hour()) == (None, 20)


def test_support_agents_cannot_make_rotate_or_revoke_widget_keys(agent_client, department, project):
    key = WidgetKey.objects.create(
        project=project,
        department=department,
        key="k" * 32,
        allowed_origins="https://alpha.example",
        created_at=clock.now(),
    )
    before = table_state()
    data = {"project": project.pk, "department": department.pk, "allowed_origins": "https://evil.example"}
    assert agent_client.post("/staff/helpdesk/setup/widget-keys/", data).status_code == 403
    assert agent_client.get(f"/staff/helpdesk/setup/widget-keys/{key.pk}/").status_code == 403
    assert agent_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/rotate/").status_code == 403
    assert agent_client.post(f"/staff/helpdesk/setup/widget-keys/{key.pk}/revoke/").status_code == 403
    assert table_state() == before


# --- hourly rates ----------------------------------------------------------------------------


def test_agent_and_customer_rates_are_saved_changed_and_removed(staff_client, agent, owner_a):
    data = {"form": "agent", "staff": agent.pk, "hourly_rate": "450", "currency": "ZAR"}
    response = staff_client.post("/staff/helpdesk/setup/rates/", data, follow=True)
    assert "The agent&#x27;s rate is saved." in page(response)
    assert staff_client.post("/staff/helpdesk/setup/rates/", {**data, "hourly_rate": "500.50"}).status_code == 302
    rate = AgentRate.objects.get()
    assert (rate.staff, rate.hourly_rate, rate.currency) == (agent, Decimal("500.50"), "ZAR")

    customer = {"form": "customer", "customer": owner_a.customer.pk, "hourly_rate": "300"}
    assert staff_client.post("/staff/helpdesk/setup/rates/", customer).status_code == 302
    assert CustomerRate.objects.get().hourly_rate == Decimal(300)
    listing = page(staff_client.get("/staff/helpdesk/setup/rates/"))
    assert "Alpha Games" in listing

    assert staff_client.post(f"/staff/helpdesk/setup/rates/agents/{rate.pk}/delete/").status_code == 302
    customer_rate = CustomerRate.objects.get()
    assert staff_client.post(f"/staff/helpdesk/setup/rates/customers/{customer_rate.pk}/delete/").status_code == 302
    assert (AgentRate.objects.count(), CustomerRate.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"form": "agent", "hourly_rate": "lots", "currency": "ZAR"}, "Enter an amount such as 250.00."),
        ({"form": "agent", "hourly_rate": "-5", "currency": "ZAR"}, "Enter an amount of 0 or more."),
        ({"form": "agent", "hourly_rate": "1.000001", "currency": "ZAR"}, "At most 4 decimal places."),
        ({"form": "agent", "hourly_rate": "10", "currency": "XXX"}, "Select a valid choice."),
        ({"form": "customer", "customer": 999_999, "hourly_rate": "10"}, "Unknown customer."),
        ({"form": "customer", "customer": "me", "hourly_rate": "10"}, "Enter a whole number."),
    ],
)
def test_a_bad_rate_is_refused_and_nothing_changes(staff_client, agent, data, error):
    before = table_state()
    response = staff_client.post("/staff/helpdesk/setup/rates/", {"staff": agent.pk, **data})
    assert response.status_code == 422
    assert error in page(response)
    assert table_state() == before


def test_support_agents_cannot_set_rates(agent_client, agent, owner_a):
    AgentRate.objects.create(staff=agent, hourly_rate=Decimal(100), currency="ZAR")
    before = table_state()
    data = {"form": "agent", "staff": agent.pk, "hourly_rate": "9999", "currency": "ZAR"}
    assert agent_client.post("/staff/helpdesk/setup/rates/", data).status_code == 403
    rate = AgentRate.objects.get()
    assert agent_client.post(f"/staff/helpdesk/setup/rates/agents/{rate.pk}/delete/").status_code == 403
    assert table_state() == before


# --- watchers --------------------------------------------------------------------------------


def test_staff_add_and_remove_watchers_among_the_customers_contacts(agent_client, owner_a, owner_b, department):
    colleague = ContactFactory(customer=owner_a.customer, user__full_name="Colleague of Alpha")
    ticket = open_ticket(owner_a, department)
    detail = page(agent_client.get(f"/staff/helpdesk/tickets/{ticket.pk}/"))
    assert "Colleague of Alpha" in detail
    assert owner_b.user.email not in detail

    response = agent_client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/", {"contact": colleague.pk})
    assert response.status_code == 302
    assert list(ticket.watchers.all()) == [colleague]
    assert AuditEvent.objects.filter(action="helpdesk.watcher_add", object_id=str(ticket.pk)).count() == 1

    # Another customer's contact, by id guessing: refused on the page, nothing changes.
    response = agent_client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/", {"contact": owner_b.pk})
    assert response.status_code == 422
    assert "Choose one of the customer&#x27;s contacts." in page(response)
    response = agent_client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/", {"contact": colleague.pk})
    assert response.status_code == 422
    assert "This contact already watches the ticket." in page(response)
    assert list(ticket.watchers.all()) == [colleague]

    response = agent_client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/{colleague.pk}/remove/")
    assert response.status_code == 302
    assert list(ticket.watchers.all()) == []
    response = agent_client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/{colleague.pk}/remove/")
    assert response.status_code == 422
    assert "This contact does not watch the ticket." in page(response)


def test_staff_without_ticket_permissions_cannot_change_watchers(client, owner_a, department):
    accountant = StaffFactory(role=StaffRole.ACCOUNTANT)
    ticket = open_ticket(owner_a, department)
    log_in(client, accountant.user)
    assert client.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/", {"contact": owner_a.pk}).status_code == 403
    assert list(ticket.watchers.all()) == []


# --- the same actions through the staff API ---------------------------------------------------


def test_the_staff_api_sets_up_and_refuses_like_the_pages(client: Client, admin, agent, department, project, owner_a):
    api = ApiClient(log_in(client, admin.user))
    status, body = api.post(
        "/staff/helpdesk/setup/departments",
        {"name": "Priority", "charging": "fixed", "price_per_ticket": "150", "currency": "ZAR"},
    )
    assert (status, body["charging"], Decimal(body["price_per_ticket"]), body["is_paid"]) == (201, "fixed", 150, True)
    before = table_state()
    status, body = api.post("/staff/helpdesk/setup/departments", {"name": "Other", "charging": "fixed"})
    assert (status, body["error"]["fields"]) == (422, {"price_per_ticket": ["Enter an amount."]})
    status, body = api.post(
        "/staff/helpdesk/setup/sla-targets",
        {"department_id": department.pk, "first_response_minutes": 60, "resolution_minutes": 30},
    )
    assert (status, body["error"]["message"]) == (422, "Resolution cannot be due before the first response.")
    assert table_state() == before

    status, body = api.post(
        "/staff/helpdesk/setup/mailboxes",
        {
            "name": "support",
            "address": IMAP_USER,
            "host": "127.0.0.1",
            "username": "u",
            "password": "secret-value",
            "department_id": department.pk,
        },
    )
    assert status == 201
    assert "password" not in body
    assert "secret-value" not in json.dumps(body)

    status, body = api.post(
        "/staff/helpdesk/setup/widget-keys",
        {"project_id": project.pk, "department_id": department.pk, "allowed_origins": "https://alpha.example"},
    )
    assert (status, body["allowed_origins"], body["is_active"]) == (201, ["https://alpha.example"], True)
    status, rotated = api.post(f"/staff/helpdesk/setup/widget-keys/{body['id']}/rotate", {})
    assert status == 200
    assert rotated["key"] != body["key"]

    ticket = open_ticket(owner_a, department)
    status, watchers = api.post(f"/staff/helpdesk/tickets/{ticket.pk}/watchers", {"contact_id": owner_a.pk})
    assert (status, watchers) == (201, [{"id": owner_a.pk, "email": owner_a.user.email}])
    assert api.delete(f"/staff/helpdesk/tickets/{ticket.pk}/watchers/{owner_a.pk}") == (200, [])

    agent_api = ApiClient(log_in(Client(), agent.user))
    before = table_state()
    status, body = agent_api.post(
        "/staff/helpdesk/setup/agent-rates", {"staff_id": agent.pk, "hourly_rate": "999", "currency": "ZAR"}
    )
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    assert agent_api.get("/staff/helpdesk/setup/mailboxes")[0] == 403
    assert table_state() == before
