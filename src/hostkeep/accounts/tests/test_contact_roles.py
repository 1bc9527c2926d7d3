"""A contact's role decides what it may change on its account: read-only and technical
contacts manage neither contacts nor legal entities, and an account always keeps an owner."""

from __future__ import annotations

import pytest
from django.test import Client

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import ApiToken, Contact, CustomerLegalEntity, User
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, LegalEntityFactory, api_token_for
from hostkeep.accounts.tests.snapshots import unchanged

pytestmark = pytest.mark.django_db

REFUSED = {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}
LAST_OWNER = {"error": {"code": "conflict", "message": "An account must keep at least one owner."}}
NEW_ENTITY = {"name": "Side Project CC", "tax_id": "4111111111", "country": "za"}


@pytest.fixture
def billing_contact(owner_a) -> Contact:
    return ContactFactory(customer=owner_a.customer, role=ContactRole.BILLING)


@pytest.fixture
def entity(owner_a) -> CustomerLegalEntity:
    return LegalEntityFactory(customer=owner_a.customer, name="Alpha Games (Pty) Ltd")


def member(owner_a: Contact, role: str) -> Contact:
    return ContactFactory(customer=owner_a.customer, role=role)


# --- read-only and technical contacts are refused -----------------------------------------


@pytest.fixture(
    params=[(ContactRole.READ_ONLY, "session"), (ContactRole.TECHNICAL, "session"), (ContactRole.TECHNICAL, "token")],
    ids=["read_only-session", "technical-session", "technical-token"],
)
def limited(request, owner_a, billing_contact, entity) -> tuple[Contact, ApiClient]:
    role, authentication = request.param
    contact = member(owner_a, role)
    if authentication == "token":
        _token, plain = api_token_for(contact.user)
        return contact, ApiClient(Client(), token=plain)
    return contact, ApiClient(log_in(Client(), contact.user))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "account/contacts", {"email": "friend@example.test", "role": "owner"}),
        ("patch", "account/contacts/{billing}", {"role": "owner"}),
        ("patch", "account/contacts/{self}", {"role": "owner"}),
        ("delete", "account/contacts/{owner}", None),
        ("post", "account/legal-entities", NEW_ENTITY),
        ("put", "account/legal-entities/{entity}", {"name": "Renamed (Pty) Ltd"}),
        ("delete", "account/legal-entities/{entity}", None),
    ],
)
def test_api_refuses_contact_and_legal_entity_changes(limited, owner_a, billing_contact, entity, method, path, body):
    contact, api = limited
    url = path.format(billing=billing_contact.pk, self=contact.pk, owner=owner_a.pk, entity=entity.pk)
    call = getattr(api, method)
    with unchanged():
        status, error = call(url, body) if body is not None else call(url)
    assert status == 403
    assert error == REFUSED


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/portal/contacts/", {"email": "friend@example.test", "role": "owner"}),
        ("/portal/contacts/{owner}/remove/", {}),
        ("/portal/contacts/{billing}/remove/", {}),
        ("/portal/legal-entities/", NEW_ENTITY),
        ("/portal/legal-entities/{entity}/", {"name": "Renamed (Pty) Ltd"}),
        ("/portal/legal-entities/{entity}/delete/", {}),
    ],
)
@pytest.mark.parametrize("role", [ContactRole.READ_ONLY, ContactRole.TECHNICAL])
def test_portal_refuses_contact_and_legal_entity_changes_with_an_error_page(
    client, owner_a, billing_contact, entity, role, url, data
):
    log_in(client, member(owner_a, role).user)
    with unchanged():
        response = client.post(url.format(owner=owner_a.pk, billing=billing_contact.pk, entity=entity.pk), data)
    assert response.status_code == 403
    assert response.templates[0].name == "error.html"
    assert "You do not have permission to do this." in response.text


@pytest.mark.parametrize("role", [ContactRole.READ_ONLY, ContactRole.TECHNICAL])
def test_portal_offers_no_management_forms_to_limited_roles(client, owner_a, entity, role):
    log_in(client, member(owner_a, role).user)
    contacts = client.get("/portal/contacts/")
    assert contacts.status_code == 200
    assert contacts.context["can_manage"] is False
    assert "Add a contact" not in contacts.text
    assert "/remove/" not in contacts.text
    entities = client.get("/portal/legal-entities/")
    assert entities.context["can_manage"] is False
    assert f"/portal/legal-entities/{entity.pk}/delete/" not in entities.text


def test_billing_contact_edits_legal_entities_but_not_contacts(client, owner_a, billing_contact, entity):
    api = ApiClient(log_in(client, billing_contact.user))
    status, body = api.put(f"account/legal-entities/{entity.pk}", {**NEW_ENTITY, "is_default": True})
    assert status == 200
    assert body == {
        "id": entity.pk,
        "name": "Side Project CC",
        "tax_id": "4111111111",
        "registration_number": "",
        "country": "ZA",
        "address": "",
        "bank_name": "",
        "bank_account": "",
        "bank_code": "",
        "is_default": True,
    }
    entity.refresh_from_db()
    assert (entity.name, entity.country, entity.is_default) == ("Side Project CC", "ZA", True)
    with unchanged():
        status, error = api.post("account/contacts", {"email": "friend@example.test", "role": "billing"})
    assert (status, error) == (403, REFUSED)


# --- the last owner stays ------------------------------------------------------------------


@pytest.fixture
def owner_api(owner_a) -> ApiClient:
    return ApiClient(log_in(Client(), owner_a.user))


def test_the_last_owner_cannot_be_removed(owner_api, owner_a, billing_contact):
    with unchanged():
        status, error = owner_api.delete(f"account/contacts/{owner_a.pk}")
    assert (status, error) == (409, LAST_OWNER)


@pytest.mark.parametrize("role", [ContactRole.BILLING, ContactRole.TECHNICAL, ContactRole.READ_ONLY])
def test_the_last_owner_cannot_be_demoted(owner_api, owner_a, role):
    with unchanged():
        status, error = owner_api.patch(f"account/contacts/{owner_a.pk}", {"role": role})
    assert (status, error) == (409, LAST_OWNER)
    owner_a.refresh_from_db()
    assert owner_a.role == ContactRole.OWNER


def test_the_portal_refuses_to_remove_the_last_owner(client, owner_a):
    log_in(client, owner_a.user)
    with unchanged():
        response = client.post(f"/portal/contacts/{owner_a.pk}/remove/")
    assert response.status_code == 409
    assert response.templates[0].name == "error.html"
    assert "An account must keep at least one owner." in response.text


def test_with_two_owners_one_may_go_but_never_the_last(owner_api, owner_a):
    second = member(owner_a, ContactRole.OWNER)
    status, body = owner_api.patch(f"account/contacts/{second.pk}", {"role": "billing"})
    assert status == 200
    assert body["role"] == "billing"
    with unchanged():
        status, error = owner_api.patch(f"account/contacts/{owner_a.pk}", {"role": "billing"})
    assert (status, error) == (409, LAST_OWNER)

    status, body = owner_api.patch(f"account/contacts/{second.pk}", {"role": "owner"})
    assert (status, body["role"]) == (200, "owner")
    status, body = owner_api.delete(f"account/contacts/{owner_a.pk}")
    assert (status, body) == (204, None)
    assert list(Contact.objects.filter(customer=owner_a.customer).values_list("pk", "role")) == [
        (second.pk, ContactRole.OWNER)
    ]
    # The removed owner's session now belongs to no account.
    status, error = owner_api.get("account/contacts")
    assert status == 401
    assert error["error"]["code"] == "unauthenticated"


def test_an_owner_adds_and_removes_a_contact(owner_api, owner_a):
    status, body = owner_api.post(
        "account/contacts", {"email": " Friend@Example.TEST ", "role": "technical", "full_name": "Naledi Zulu"}
    )
    assert status == 201
    added = Contact.objects.get(customer=owner_a.customer, user__email="friend@example.test")
    assert body == {
        "id": added.pk,
        "email": "friend@example.test",
        "full_name": "Naledi Zulu",
        "role": "technical",
        "phone": "",
    }
    assert User.objects.get(email="friend@example.test").has_usable_password() is False
    token, _plain = api_token_for(added.user)

    with unchanged():
        status, error = owner_api.post("account/contacts", {"email": "friend@example.test", "role": "billing"})
    assert (status, error) == (
        409,
        {"error": {"code": "conflict", "message": "This person is already a contact of the account."}},
    )

    status, body = owner_api.delete(f"account/contacts/{added.pk}")
    assert (status, body) == (204, None)
    assert not Contact.objects.filter(pk=added.pk).exists()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
