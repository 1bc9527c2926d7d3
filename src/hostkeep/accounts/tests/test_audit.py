"""The audit log says who did what to which object, for which account and from which
address (REMOTE_ADDR): adding and removing contacts, making and revoking tokens, logging in."""

from __future__ import annotations

import pytest
from django.test import Client

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import ApiToken, Contact
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import PASSWORD, ContactFactory, api_token_for
from hostkeep.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
AUDITED = ["actor_kind", "actor_user_id", "actor_label", "customer_id", "action", "object_type", "object_id"]


def entries(*more: str) -> list[dict]:
    return list(AuditEvent.objects.order_by("pk").values(*AUDITED, "ip_address", "detail", *more))


def test_adding_and_removing_a_contact_on_the_portal(client, owner_a):
    log_in(client, owner_a.user)
    response = client.post(
        "/portal/contacts/", {"email": "naledi@example.test", "role": "billing"}, REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    contact = Contact.objects.get(user__email="naledi@example.test")
    client.post(f"/portal/contacts/{contact.pk}/remove/", REMOTE_ADDR="2001:db8::5")

    who = {"actor_kind": "customer", "actor_user_id": owner_a.user_id, "actor_label": owner_a.user.email}
    assert entries() == [
        {
            **who,
            "customer_id": owner_a.customer_id,
            "action": "contact.add",
            "object_type": "contact",
            "object_id": str(contact.pk),
            "ip_address": ADDRESS,
            "detail": {"email": "naledi@example.test", "role": "billing"},
        },
        {
            **who,
            "customer_id": owner_a.customer_id,
            "action": "contact.remove",
            "object_type": "contact",
            "object_id": str(contact.pk),
            "ip_address": "2001:db8::5",
            "detail": {"email": "naledi@example.test"},
        },
    ]


def test_contact_changes_through_the_api_name_the_token(owner_a):
    _token, plain = api_token_for(owner_a.user, name="provisioning bot")
    before = AuditEvent.objects.count()
    api = ApiClient(Client(), token=plain, remote_addr="192.0.2.44")
    status, body = api.post("account/contacts", {"email": "ops@example.test", "role": "technical"})
    assert status == 201
    assert api.delete(f"account/contacts/{body['id']}") == (204, None)

    who = {
        "actor_kind": "api_token",
        "actor_user_id": owner_a.user_id,
        "actor_label": f"{owner_a.user.email} (token provisioning bot)",
        "customer_id": owner_a.customer_id,
        "object_type": "contact",
        "object_id": str(body["id"]),
        "ip_address": "192.0.2.44",
    }
    assert entries()[before:] == [
        {**who, "action": "contact.add", "detail": {"email": "ops@example.test", "role": "technical"}},
        {**who, "action": "contact.remove", "detail": {"email": "ops@example.test"}},
    ]


def test_making_and_revoking_a_token_on_the_portal(client, owner_a):
    log_in(client, owner_a.user)
    response = client.post("/portal/tokens/", {"name": "backups"}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert response.context["created"].startswith(f"hk_{token.prefix}_")
    client.post(f"/portal/tokens/{token.pk}/revoke/", REMOTE_ADDR=ADDRESS)

    who = {
        "actor_kind": "customer",
        "actor_user_id": owner_a.user_id,
        "actor_label": owner_a.user.email,
        "customer_id": owner_a.customer_id,
        "object_type": "api_token",
        "object_id": str(token.pk),
        "ip_address": ADDRESS,
        "detail": {"name": "backups"},
    }
    assert entries() == [{**who, "action": "api_token.create"}, {**who, "action": "api_token.revoke"}]
    assert response.context["created"] not in str(entries())


def test_a_technical_contact_revoking_its_own_token_is_recorded_on_the_account(owner_a):
    technician = ContactFactory(customer=owner_a.customer, role=ContactRole.TECHNICAL)
    token, plain = api_token_for(technician.user, name="ansible")
    api = ApiClient(Client(), token=plain, remote_addr=ADDRESS)
    assert api.delete(f"account/tokens/{token.pk}") == (204, None)
    revoke = AuditEvent.objects.get(action="api_token.revoke")
    assert {field: getattr(revoke, field) for field in [*AUDITED, "ip_address"]} == {
        "actor_kind": "api_token",
        "actor_user_id": technician.user_id,
        "actor_label": f"{technician.user.email} (token ansible)",
        "customer_id": owner_a.customer_id,
        "action": "api_token.revoke",
        "object_type": "api_token",
        "object_id": str(token.pk),
        "ip_address": ADDRESS,
    }


def test_a_login_is_recorded_with_its_address(client, owner_a):
    response = client.post("/accounts/login/", {"login": owner_a.user.email, "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    assert entries() == [
        {
            "actor_kind": "customer",
            "actor_user_id": owner_a.user_id,
            "actor_label": owner_a.user.email,
            "customer_id": owner_a.customer_id,
            "action": "auth.login",
            "object_type": "",
            "object_id": "",
            "ip_address": ADDRESS,
            "detail": {},
        }
    ]


def test_a_failed_login_records_no_login(client, owner_a):
    client.post("/accounts/login/", {"login": owner_a.user.email, "password": "wrong-password"}, REMOTE_ADDR=ADDRESS)
    assert entries() == []


def test_the_account_owner_reads_the_entries_on_the_activity_page(client, owner_a):
    api_token_for(owner_a.user, name="deploy")
    log_in(client, owner_a.user)
    client.post("/portal/contacts/", {"email": "naledi@example.test", "role": "billing"}, REMOTE_ADDR=ADDRESS)
    page = client.get("/portal/activity/")
    assert [event.action for event in page.context["page"].object_list] == ["contact.add", "api_token.create"]
    assert ADDRESS in page.text
