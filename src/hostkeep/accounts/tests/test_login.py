"""Logging in through allauth's pages: lock-out after repeated wrong passwords (django-axes,
keyed on the login name allauth posts), and the two-factor step with a TOTP code."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache

from hostkeep.accounts.tests.factories import PASSWORD, ContactFactory
from hostkeep.accounts.tests.snapshots import unchanged
from hostkeep.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def post_login(client, login: str, password: str):
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR="198.51.100.20")


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- lock-out ------------------------------------------------------------------------------


def test_the_configured_limit_is_five_failures():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_USERNAME_CALLABLE == "hostkeep.accounts.lockout.username_from_request"
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_after_the_limit_even_the_right_password_is_refused(client, owner_a):
    email = owner_a.user.email
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = post_login(client, email, "not-the-password")
        assert response.status_code == 200, attempt
        assert "account/locked_out.html" not in [template.name for template in response.templates]
    response = post_login(client, email, "still-not-it")
    assert response.status_code == 429
    assert "account/locked_out.html" in [template.name for template in response.templates]
    assert "Too many failed log-ins" in response.text

    with unchanged():
        response = post_login(client, email, PASSWORD)
    assert response.status_code == 429
    assert "account/locked_out.html" in [template.name for template in response.templates]
    assert logged_in_user_id(client) is None
    assert client.get("/portal/")["Location"] == "/accounts/login/?next=/portal/"
    assert not AuditEvent.objects.filter(action="auth.login").exists()
    attempt = AccessAttempt.objects.get()
    assert attempt.username == email
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_the_lock_counts_the_login_however_it_is_typed(client, owner_a):
    email = owner_a.user.email
    for variant in (email.upper(), f"  {email}  ", email.title(), email, email.upper()):
        post_login(client, variant, "wrong-password")
    response = post_login(client, email, PASSWORD)
    assert response.status_code == 429
    assert logged_in_user_id(client) is None
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [email]


def test_the_lock_is_per_login_not_per_address(client, owner_a, owner_b):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, owner_a.user.email, "wrong-password")
    response = post_login(client, owner_b.user.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(owner_b.user.pk)


def test_a_success_before_the_limit_resets_the_count(client, owner_a):
    email = owner_a.user.email
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, email, "wrong-password")
    assert post_login(client, email, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, email, "wrong-password")
    response = post_login(client, email, PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(owner_a.user.pk)


def test_a_lower_limit_from_the_environment_is_honoured(client, owner_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    post_login(client, owner_a.user.email, "wrong-password")
    assert post_login(client, owner_a.user.email, "wrong-password").status_code == 429
    assert post_login(client, owner_a.user.email, PASSWORD).status_code == 429
    assert logged_in_user_id(client) is None


# --- two-factor step -----------------------------------------------------------------------


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def wrong_code(secret: str) -> str:
    """A six-digit code valid in no window allauth accepts (the current one and its neighbours)."""
    now = int(time.time()) // 30
    accepted = {format_hotp_value(hotp_value(secret, counter)) for counter in range(now - 2, now + 3)}
    return next(code for code in ("000000", "111111", "123456", "999999") if code not in accepted)


@pytest.fixture
def totp_user(owner_a):
    secret = generate_totp_secret()
    authenticator = TOTP.activate(owner_a.user, secret).instance
    return owner_a.user, secret, authenticator


def test_a_password_alone_does_not_log_in_a_user_with_two_factor(client, totp_user):
    user, _secret, _authenticator = totp_user
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert logged_in_user_id(client) is None
    assert client.get("/portal/").status_code == 302
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_a_wrong_code_is_refused_and_the_right_one_completes_the_login(client, totp_user):
    user, secret, authenticator = totp_user
    post_login(client, user.email, PASSWORD)
    step = client.get("/accounts/2fa/authenticate/")
    assert step.status_code == 200
    assert 'name="code"' in step.text

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong_code(secret)}, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Incorrect code."]}
    assert logged_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action="auth.login").exists()

    code = current_code(secret)
    cache.delete(TOTP(authenticator)._get_used_cache_key(code))  # codes are single-use per user id
    response = client.post("/accounts/2fa/authenticate/", {"code": code}, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(user.pk)
    assert client.get("/portal/").status_code == 200
    login = AuditEvent.objects.get(action="auth.login")
    assert (login.actor_user_id, login.ip_address) == (user.pk, "198.51.100.20")
    authenticator.refresh_from_db()
    assert authenticator.last_used_at is not None

    # The same code cannot be replayed for a second login.
    client.logout()
    post_login(client, user.email, PASSWORD)
    replay = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200
    assert logged_in_user_id(client) is None


def test_a_contact_of_several_accounts_logs_in_to_the_first(client, owner_a):
    second = ContactFactory(user=owner_a.user, customer__name="Another Co")
    response = post_login(client, owner_a.user.email, PASSWORD)
    assert response.status_code == 302
    dashboard = client.get("/portal/")
    assert dashboard.context["actor"].customer == owner_a.customer
    # offered to switch between, by name: "Alpha Games" before "Another Co"
    assert [contact.customer_id for contact in dashboard.context["accounts"]] == [
        owner_a.customer_id,
        second.customer_id,
    ]
