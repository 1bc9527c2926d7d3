"""Personal API tokens: a token opens the API until it is revoked (through the API or the
portal), expires, or its owner stops being a contact; only a digest is ever stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from hostkeep.accounts.choices import ContactRole, CustomerStatus
from hostkeep.accounts.models import ApiToken, User
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, api_token_for
from hostkeep.accounts.tests.snapshots import unchanged
from hostkeep.core import clock

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {"error": {"code": "unauthenticated", "message": "A valid API token or session is required."}}


def me(plain: str) -> tuple[int, object]:
    return ApiClient(Client(), token=plain).get("account/me")


def test_a_token_opens_the_api_as_its_owner_on_its_account(owner_a):
    token, plain = api_token_for(owner_a.user, name="CI")
    assert me(plain) == (
        200,
        {
            "email": owner_a.user.email,
            "full_name": owner_a.user.full_name,
            "language": "en",
            "kind": "api_token",
            "customer_id": owner_a.customer_id,
            "customer_name": "Alpha Games",
            "contact_role": "owner",
            "staff_role": None,
        },
    )
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_through_the_api_the_token_stops_working(owner_a):
    token, plain = api_token_for(owner_a.user)
    api = ApiClient(Client(), token=plain)
    assert api.get("account/me")[0] == 200

    status, body = api.delete(f"account/tokens/{token.pk}")

    assert (status, body) == (204, None)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert me(plain) == (401, UNAUTHENTICATED)
    with unchanged():
        assert api.delete(f"account/tokens/{token.pk}") == (401, UNAUTHENTICATED)


def test_revoked_on_the_portal_page_the_token_stops_working(client, owner_a):
    token, plain = api_token_for(owner_a.user)
    other, other_plain = api_token_for(owner_a.user, name="other")
    log_in(client, owner_a.user)

    response = client.post(f"/portal/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/tokens/"
    assert me(plain) == (401, UNAUTHENTICATED)
    assert me(other_plain)[0] == 200
    assert list(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == [token.pk]
    page = client.get("/portal/tokens/")
    assert "Token revoked." in page.text
    assert f"/portal/tokens/{token.pk}/revoke/" not in page.text
    assert f"/portal/tokens/{other.pk}/revoke/" in page.text


def test_revoking_twice_changes_nothing_the_second_time(owner_a):
    token, plain = api_token_for(owner_a.user)
    _second, second_plain = api_token_for(owner_a.user, name="second")
    api = ApiClient(Client(), token=second_plain)
    assert api.delete(f"account/tokens/{token.pk}") == (204, None)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    with unchanged():
        assert api.delete(f"account/tokens/{token.pk}") == (204, None)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert me(plain)[0] == 401


def test_an_expired_token_is_refused(owner_a):
    expires_at = clock.now() + dt.timedelta(hours=1)
    _token, plain = api_token_for(owner_a.user, expires_at=expires_at)
    assert me(plain)[0] == 200
    with time_machine.travel(expires_at - dt.timedelta(seconds=1)):
        assert me(plain)[0] == 200
    with time_machine.travel(expires_at):
        assert me(plain) == (401, UNAUTHENTICATED)
    with time_machine.travel(expires_at + dt.timedelta(days=30)):
        assert me(plain) == (401, UNAUTHENTICATED)


def test_a_token_cannot_be_made_already_expired(owner_a):
    api = ApiClient(log_in(Client(), owner_a.user))
    with unchanged():
        status, body = api.post("account/tokens", {"name": "late", "expires_at": "2000-01-01T00:00:00Z"})
    assert status == 422
    assert body == {
        "error": {
            "code": "validation_failed",
            "message": "The expiry must be in the future.",
            "fields": {"expires_at": ["In the past."]},
        }
    }


def test_the_token_of_a_removed_contact_is_refused(owner_a):
    technician = ContactFactory(customer=owner_a.customer, role=ContactRole.TECHNICAL)
    _token, plain = api_token_for(technician.user)
    assert me(plain)[0] == 200

    owner_api = ApiClient(log_in(Client(), owner_a.user))
    assert owner_api.delete(f"account/contacts/{technician.pk}") == (204, None)

    assert me(plain) == (401, UNAUTHENTICATED)


def test_a_token_needs_its_owner_to_still_be_a_contact_even_if_not_revoked(owner_a, owner_b):
    # The owner of a token on account A, removed from A by other means than contact_remove:
    technician = ContactFactory(customer=owner_a.customer, role=ContactRole.TECHNICAL)
    token, plain = api_token_for(technician.user)
    technician.delete()
    ContactFactory(customer=owner_b.customer, user=technician.user)  # still a contact elsewhere
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert me(plain) == (401, UNAUTHENTICATED)


def test_a_token_stops_with_its_account_or_its_login(owner_a):
    _token, plain = api_token_for(owner_a.user)
    owner_a.customer.status = CustomerStatus.CLOSED
    owner_a.customer.save()
    assert me(plain) == (401, UNAUTHENTICATED)
    owner_a.customer.status = CustomerStatus.ACTIVE
    owner_a.customer.save()
    assert me(plain)[0] == 200
    User.objects.filter(pk=owner_a.user_id).update(is_active=False)
    assert me(plain) == (401, UNAUTHENTICATED)


def test_the_contact_role_is_read_at_use_not_frozen_into_the_token(owner_a):
    second_owner = ContactFactory(customer=owner_a.customer, role=ContactRole.OWNER)
    _token, plain = api_token_for(second_owner.user)
    api = ApiClient(Client(), token=plain)
    assert api.get("account/audit")[0] == 200
    second_owner.role = ContactRole.TECHNICAL
    second_owner.save()
    assert api.get("account/audit") == (
        403,
        {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}},
    )


@pytest.mark.parametrize(
    "presented",
    ["", "hk_", "hk_short_secret", "xx_0123456789_secret", "not-a-token-at-all", "hk_0123456789_"],
)
def test_malformed_or_unknown_tokens_are_refused(owner_a, presented):
    api_token_for(owner_a.user)
    with unchanged():
        assert me(presented) == (401, UNAUTHENTICATED)


def test_a_known_prefix_with_a_wrong_secret_is_refused(owner_a):
    token, plain = api_token_for(owner_a.user)
    forged = f"hk_{token.prefix}_{'A' * 43}"
    assert forged != plain
    assert me(forged) == (401, UNAUTHENTICATED)
    token.refresh_from_db()
    assert token.last_used_at is None


def test_only_a_digest_of_the_token_is_stored(owner_a):
    api = ApiClient(log_in(Client(), owner_a.user))
    status, body = api.post("account/tokens", {"name": "backup script"})
    assert status == 201
    plain = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    _hk, prefix, secret = plain.split("_", 2)
    assert (prefix, token.prefix) == (token.prefix, body["prefix"])
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.digest not in (plain, secret)
    assert set(body) == {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "token"}

    # Nowhere in the database: dump every table of every app and look for it.
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert token.prefix in dump.getvalue()
    assert secret not in dump.getvalue()
    assert plain not in dump.getvalue()

    # Listed later, the token shows only its prefix.
    status, listed = api.get("account/tokens")
    assert "token" not in listed[0]
    assert plain not in str(listed)
    assert me(plain)[0] == 200
