"""Each staff role sees what permissions.py gives it and nothing more, on pages and in the
API; customers get no staff page, and a staff token is no key to customer endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import StaffFactory, UserFactory, api_token_for
from hostkeep.accounts.tests.snapshots import unchanged

pytestmark = pytest.mark.django_db

REFUSED = {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}
NEEDS_ACCOUNT = {"error": {"code": "permission_denied", "message": "This needs a customer account."}}

PAGES = ["/staff/", "/staff/customers/", "/staff/customers/{customer}/", "/staff/audit/", "/staff/team/"]
# role -> the status of each page above
PAGE_STATUS = {
    StaffRole.ADMIN: [200, 200, 200, 200, 200],
    StaffRole.MANAGER: [200, 200, 200, 200, 403],
    StaffRole.ACCOUNTANT: [200, 200, 200, 200, 403],
    StaffRole.SUPPORT_LINE_1: [200, 200, 200, 403, 403],
    StaffRole.SUPPORT_LINE_2: [200, 200, 200, 403, 403],
    StaffRole.SUPPORT_LINE_3: [200, 200, 200, 403, 403],
    StaffRole.ENGINEER: [200, 200, 200, 403, 403],
}
ENDPOINTS = ["staff/customers", "staff/customers/{customer}", "staff/audit"]
ENDPOINT_STATUS = {
    StaffRole.ADMIN: [200, 200, 200],
    StaffRole.ACCOUNTANT: [200, 200, 200],
    StaffRole.SUPPORT_LINE_1: [200, 200, 403],
    StaffRole.ENGINEER: [200, 200, 403],
}


@pytest.mark.parametrize(("role", "statuses"), PAGE_STATUS.items(), ids=list(PAGE_STATUS))
def test_staff_pages_follow_the_role(client, owner_a, role, statuses):
    log_in(client, StaffFactory(role=role).user)
    for page, expected in zip(PAGES, statuses, strict=True):
        with unchanged():
            response = client.get(page.format(customer=owner_a.customer_id))
        assert response.status_code == expected, page
        if expected == 403:
            assert response.templates[0].name == "error.html"
            assert response.context["error"].message == "You do not have permission to do this."


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (StaffRole.ADMIN, {"Customers", "Team", "Audit log"}),
        (StaffRole.ACCOUNTANT, {"Customers", "Audit log"}),
        (StaffRole.SUPPORT_LINE_1, {"Customers"}),
    ],
)
def test_staff_navigation_offers_only_allowed_pages(client, role, links):
    log_in(client, StaffFactory(role=role).user)
    response = client.get("/staff/")
    offered = {name for name in ("Customers", "Team", "Audit log") if f">{name}</a>" in response.text}
    assert offered == links
    assert response.context["actor"].staff_role == role


def test_support_sees_a_customer_without_its_audit_trail(client, owner_a):
    api_token_for(owner_a.user)  # one audit entry on the account
    log_in(client, StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)
    response = client.get(f"/staff/customers/{owner_a.customer_id}/")
    assert response.status_code == 200
    assert response.context["customer"] == owner_a.customer
    assert [contact.pk for contact in response.context["contacts"]] == [owner_a.pk]
    assert response.context["events"] == []


@pytest.mark.parametrize(("role", "statuses"), ENDPOINT_STATUS.items(), ids=list(ENDPOINT_STATUS))
@pytest.mark.parametrize("authentication", ["token", "session"])
def test_staff_endpoints_follow_the_role(owner_a, role, statuses, authentication):
    staff = StaffFactory(role=role)
    if authentication == "token":
        _token, plain = api_token_for(staff.user)
        api = ApiClient(Client(), token=plain)
    else:
        api = ApiClient(log_in(Client(), staff.user))
    for endpoint, expected in zip(ENDPOINTS, statuses, strict=True):
        with unchanged():
            status, body = api.get(endpoint.format(customer=owner_a.customer_id))
        assert status == expected, endpoint
        if expected == 403:
            assert body == REFUSED


def test_staff_customer_list_is_exact(owner_a, owner_b):
    api = ApiClient(log_in(Client(), StaffFactory(role=StaffRole.SUPPORT_LINE_1).user))
    status, body = api.get("staff/customers")
    assert status == 200
    assert body["count"] == 2
    assert [(row["id"], row["name"]) for row in body["items"]] == [
        (owner_a.customer_id, "Alpha Games"),
        (owner_b.customer_id, "Beta Blocks"),
    ]
    status, body = api.get("staff/customers?search=beta")
    assert [row["id"] for row in body["items"]] == [owner_b.customer_id]
    status, body = api.get("staff/customers/987654")
    assert (status, body) == (404, {"error": {"code": "not_found", "message": "Customer not found."}})


@pytest.mark.parametrize("page", ["/staff/", "/staff/customers/", "/staff/audit/", "/staff/team/"])
def test_a_customer_gets_no_staff_page(client, owner_a, page):
    log_in(client, owner_a.user)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_a_login_with_neither_role_gets_no_page(client):
    log_in(client, UserFactory())
    for page in ("/staff/", "/staff/audit/", "/portal/"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert response.templates[0].name == "portal/no_account.html"


def test_an_inactive_staff_member_is_no_longer_staff(client):
    member = StaffFactory(role=StaffRole.ADMIN, is_active=False)
    log_in(client, member.user)
    assert client.get("/staff/team/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/staff/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/audit/"


def test_customers_and_anonymous_callers_get_no_staff_endpoint(owner_a):
    _token, plain = api_token_for(owner_a.user)
    for path in ("staff/customers", "staff/audit"):
        with unchanged():
            assert ApiClient(Client(), token=plain).get(path) == (403, REFUSED)
            status, body = ApiClient(Client()).get(path)
        assert status == 401
        assert body == {"error": {"code": "unauthenticated", "message": "A valid API token or session is required."}}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "account/contacts", None),
        ("post", "account/contacts", {"email": "friend@example.test", "role": "owner"}),
        ("get", "account/legal-entities", None),
        ("post", "account/legal-entities", {"name": "Staff Ltd"}),
        ("get", "account/tokens", None),
        ("get", "account/audit", None),
    ],
)
def test_a_staff_token_cannot_use_endpoints_that_need_an_account(method, path, body):
    staff = StaffFactory(role=StaffRole.ADMIN)
    token, plain = api_token_for(staff.user)
    assert token.customer_id is None
    api = ApiClient(Client(), token=plain)
    call = getattr(api, method)
    with unchanged():
        status, error = call(path, body) if body is not None else call(path)
    assert (status, error) == (403, NEEDS_ACCOUNT)


def test_a_staff_token_knows_who_it_is():
    staff = StaffFactory(role=StaffRole.ACCOUNTANT, user__email="books@villager.example", user__full_name="Zanele M")
    _token, plain = api_token_for(staff.user)
    assert ApiClient(Client(), token=plain).get("account/me") == (
        200,
        {
            "email": "books@villager.example",
            "full_name": "Zanele M",
            "language": "en",
            "kind": "api_token",
            "customer_id": None,
            "customer_name": None,
            "contact_role": None,
            "staff_role": "accountant",
        },
    )
