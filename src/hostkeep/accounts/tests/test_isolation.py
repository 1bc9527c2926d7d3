"""Customer A never reads or changes customer B's contacts, legal entities, API tokens or
audit entries: not through the portal, not through the API (token or session), not by
guessing B's ids. Someone else's id is "not found", and nothing moves."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import ApiToken, Contact, CustomerLegalEntity
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, LegalEntityFactory, api_token_for
from hostkeep.accounts.tests.snapshots import unchanged
from hostkeep.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Accounts:
    owner_a: Contact
    colleague_a: Contact
    entity_a: CustomerLegalEntity
    token_a: ApiToken
    plain_a: str
    colleague_token_a: ApiToken
    owner_b: Contact
    reader_b: Contact
    entity_b: CustomerLegalEntity
    token_b: ApiToken


@pytest.fixture
def accounts(owner_a, owner_b) -> Accounts:
    colleague_a = ContactFactory(customer=owner_a.customer, role=ContactRole.TECHNICAL)
    entity_a = LegalEntityFactory(customer=owner_a.customer, name="Alpha Games (Pty) Ltd")
    token_a, plain_a = api_token_for(owner_a.user, name="alpha deploy")
    colleague_token_a, _plain = api_token_for(colleague_a.user, name="alpha colleague")
    reader_b = ContactFactory(customer=owner_b.customer, role=ContactRole.READ_ONLY)
    entity_b = LegalEntityFactory(customer=owner_b.customer, name="Beta Blocks (Pty) Ltd", tax_id="4999999999")
    token_b, _plain = api_token_for(owner_b.user, name="beta deploy")
    return Accounts(
        owner_a=owner_a,
        colleague_a=colleague_a,
        entity_a=entity_a,
        token_a=token_a,
        plain_a=plain_a,
        colleague_token_a=colleague_token_a,
        owner_b=owner_b,
        reader_b=reader_b,
        entity_b=entity_b,
        token_b=token_b,
    )


# --- portal -------------------------------------------------------------------------------


@pytest.fixture
def portal_a(client: Client, accounts: Accounts) -> Client:
    return log_in(client, accounts.owner_a.user)


def test_portal_lists_only_the_own_account(portal_a, accounts):
    contacts = portal_a.get("/portal/contacts/")
    assert contacts.status_code == 200
    assert sorted(c.pk for c in contacts.context["contacts"]) == sorted([accounts.owner_a.pk, accounts.colleague_a.pk])
    assert accounts.owner_b.user.email not in contacts.text
    assert accounts.reader_b.user.email not in contacts.text

    entities = portal_a.get("/portal/legal-entities/")
    assert [e.pk for e in entities.context["entities"]] == [accounts.entity_a.pk]
    assert "Beta Blocks (Pty) Ltd" not in entities.text

    tokens = portal_a.get("/portal/tokens/")
    assert [t.pk for t in tokens.context["tokens"]] == [accounts.token_a.pk]  # not even a colleague's
    assert accounts.token_b.prefix not in tokens.text
    assert accounts.colleague_token_a.prefix not in tokens.text

    activity = portal_a.get("/portal/activity/")
    shown = [event.pk for event in activity.context["page"].object_list]
    assert shown == list(
        AuditEvent.objects.filter(customer_id=accounts.owner_a.customer_id)
        .order_by("-occurred_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(shown) == 2  # the two tokens made on account A
    assert accounts.owner_b.user.email not in activity.text


@pytest.mark.parametrize(
    ("method", "url", "data", "message"),
    [
        ("get", "/portal/legal-entities/{entity_b}/", None, "Customer legal entity not found."),
        ("post", "/portal/legal-entities/{entity_b}/", {"name": "Taken over"}, "Customer legal entity not found."),
        ("post", "/portal/legal-entities/{entity_b}/delete/", {}, "Customer legal entity not found."),
        ("post", "/portal/contacts/{owner_b}/remove/", {}, "Contact not found."),
        ("post", "/portal/contacts/{reader_b}/remove/", {}, "Contact not found."),
        ("post", "/portal/tokens/{token_b}/revoke/", {}, "API token not found."),
        ("post", "/portal/tokens/{colleague_token_a}/revoke/", {}, "API token not found."),
    ],
)
def test_portal_refuses_someone_elses_ids_as_not_found(portal_a, accounts, method, url, data, message):
    ids = {
        "entity_b": accounts.entity_b.pk,
        "owner_b": accounts.owner_b.pk,
        "reader_b": accounts.reader_b.pk,
        "token_b": accounts.token_b.pk,
        "colleague_token_a": accounts.colleague_token_a.pk,
    }
    with unchanged():
        response = getattr(portal_a, method)(url.format(**ids), data)
    assert response.status_code == 404
    assert "error.html" in [template.name for template in response.templates]
    assert response.context["error"].message == message


def test_portal_cannot_switch_to_an_account_it_is_not_a_contact_of(portal_a, accounts):
    with unchanged():
        response = portal_a.post(f"/portal/switch/{accounts.owner_b.customer_id}/")
    assert response.status_code == 302
    assert "hostkeep_customer_id" not in portal_a.session
    dashboard = portal_a.get("/portal/")
    assert dashboard.context["actor"].customer == accounts.owner_a.customer
    assert "Welcome, Alpha Games" in dashboard.text
    assert "Beta Blocks" not in dashboard.text


def test_a_session_pointing_at_another_account_still_acts_for_the_own(portal_a, accounts):
    session = portal_a.session
    session["hostkeep_customer_id"] = accounts.owner_b.customer_id
    session.save()
    dashboard = portal_a.get("/portal/")
    assert dashboard.context["actor"].customer == accounts.owner_a.customer
    status, contacts = ApiClient(portal_a).get("account/contacts")
    assert status == 200
    assert sorted(row["id"] for row in contacts) == sorted([accounts.owner_a.pk, accounts.colleague_a.pk])


# --- API, with the token and with the page session ------------------------------------------


@pytest.fixture(params=["token", "session"])
def api_a(request, accounts: Accounts) -> ApiClient:
    if request.param == "token":
        return ApiClient(Client(), token=accounts.plain_a)
    return ApiClient(log_in(Client(), accounts.owner_a.user))


def test_api_lists_only_the_own_account(api_a, accounts):
    status, contacts = api_a.get("account/contacts")
    assert status == 200
    assert sorted(row["id"] for row in contacts) == sorted([accounts.owner_a.pk, accounts.colleague_a.pk])
    assert {row["email"] for row in contacts} == {accounts.owner_a.user.email, accounts.colleague_a.user.email}

    status, entities = api_a.get("account/legal-entities")
    assert status == 200
    assert [row["id"] for row in entities] == [accounts.entity_a.pk]

    status, tokens = api_a.get("account/tokens")
    assert status == 200
    assert [row["id"] for row in tokens] == [accounts.token_a.pk]
    assert "digest" not in tokens[0]
    assert "token" not in tokens[0]

    status, audit = api_a.get("account/audit?limit=100")
    assert status == 200
    assert [row["id"] for row in audit["items"]] == list(
        AuditEvent.objects.filter(customer_id=accounts.owner_a.customer_id)
        .order_by("-occurred_at", "-id")
        .values_list("pk", flat=True)
    )
    assert audit["count"] == 2
    assert all(accounts.owner_b.user.email not in row["actor_label"] for row in audit["items"])


@pytest.mark.parametrize(
    ("method", "path", "body", "object_name"),
    [
        ("patch", "account/contacts/{owner_b}", {"role": "read_only"}, "Contact"),
        ("patch", "account/contacts/{reader_b}", {"role": "owner"}, "Contact"),
        ("delete", "account/contacts/{owner_b}", None, "Contact"),
        ("delete", "account/contacts/{reader_b}", None, "Contact"),
        ("put", "account/legal-entities/{entity_b}", {"name": "Taken over"}, "Customer legal entity"),
        ("delete", "account/legal-entities/{entity_b}", None, "Customer legal entity"),
        ("delete", "account/tokens/{token_b}", None, "API token"),
        ("delete", "account/tokens/{colleague_token_a}", None, "API token"),
    ],
)
def test_api_refuses_someone_elses_ids_as_not_found(api_a, accounts, method, path, body, object_name):
    ids = {
        "entity_b": accounts.entity_b.pk,
        "owner_b": accounts.owner_b.pk,
        "reader_b": accounts.reader_b.pk,
        "token_b": accounts.token_b.pk,
        "colleague_token_a": accounts.colleague_token_a.pk,
    }
    call = getattr(api_a, method)
    with unchanged():
        status, error = call(path.format(**ids), body) if body is not None else call(path.format(**ids))
    assert status == 404
    assert error == {"error": {"code": "not_found", "message": f"{object_name} not found."}}


def test_api_ids_that_exist_nowhere_are_not_found_the_same_way(api_a):
    with unchanged():
        status, error = api_a.delete("account/legal-entities/987654")
    assert status == 404
    assert error == {"error": {"code": "not_found", "message": "Customer legal entity not found."}}


def test_a_customer_cannot_read_the_staff_audit_log(api_a):
    with unchanged():
        status, error = api_a.get("staff/audit")
    assert status == 403
    assert error == {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}
