"""Choosing a language: the pages switch to it at once, the choice is kept on the login for
messages sent later, and a language Hostkeep does not offer is ignored."""

from __future__ import annotations

import pytest
from django.utils import translation

from hostkeep.accounts.models import User
from hostkeep.accounts.tests.clients import log_in
from hostkeep.accounts.tests.snapshots import unchanged

pytestmark = pytest.mark.django_db

LANGUAGE_COOKIE = "django_language"


def switch(client, language: str, next_page: str = "/portal/"):
    return client.post("/i18n/language/", {"language": language, "next": next_page})


def test_switching_to_russian_changes_the_pages_and_is_saved_on_the_login(client, owner_a):
    log_in(client, owner_a.user)
    assert "Welcome, Alpha Games" in client.get("/portal/").text

    response = switch(client, "ru")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert response.cookies[LANGUAGE_COOKIE].value == "ru"
    owner_a.user.refresh_from_db()
    assert owner_a.user.language == "ru"
    page = client.get("/portal/")
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    assert "Добро пожаловать, Alpha Games" in page.text
    assert "Ваш аккаунт" in page.text
    assert ">Контакты</a>" in page.text
    assert "Выйти" in page.text
    assert "Welcome" not in page.text


def test_switching_to_spanish(client, owner_a):
    log_in(client, owner_a.user)
    switch(client, "es")
    owner_a.user.refresh_from_db()
    assert owner_a.user.language == "es"
    page = client.get("/portal/contacts/")
    assert '<html lang="es">' in page.text
    assert "<h1>Contactos</h1>" in page.text
    assert "Cerrar sesión" in page.text


@pytest.mark.parametrize("language", ["xx", "", "ru'; DROP TABLE"])
def test_an_unknown_language_is_ignored(client, owner_a, language):
    log_in(client, owner_a.user)
    with unchanged():
        response = switch(client, language)
    assert response.status_code == 302
    assert LANGUAGE_COOKIE not in response.cookies
    assert User.objects.get(pk=owner_a.user_id).language == "en"
    page = client.get("/portal/")
    assert '<html lang="en">' in page.text
    assert "Welcome, Alpha Games" in page.text


def test_a_language_django_knows_but_hostkeep_does_not_offer_changes_nothing(client, owner_a):
    log_in(client, owner_a.user)
    with unchanged():
        switch(client, "de")  # Django's set_language still stores its cookie; the pages ignore it
    assert User.objects.get(pk=owner_a.user_id).language == "en"
    page = client.get("/portal/")
    assert '<html lang="en">' in page.text
    assert "Welcome, Alpha Games" in page.text


def test_an_unknown_language_after_russian_keeps_russian(client, owner_a):
    log_in(client, owner_a.user)
    switch(client, "ru")
    switch(client, "xx")
    assert User.objects.get(pk=owner_a.user_id).language == "ru"
    assert "Добро пожаловать" in client.get("/portal/").text


def test_a_visitor_may_switch_before_logging_in_and_sees_allauth_in_russian(client):
    with unchanged():
        response = switch(client, "ru", next_page="/accounts/login/")
    assert response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert '<html lang="ru">' in page.text
    # allauth's own strings come from allauth's Russian catalogue.
    with translation.override("ru"):
        assert translation.gettext("Sign In") != "Sign In"
        assert translation.gettext("Sign In") in page.text
        assert translation.gettext("Forgot your password?") in page.text


def test_the_switch_keeps_the_visitor_on_this_site(client, owner_a):
    log_in(client, owner_a.user)
    response = switch(client, "ru", next_page="https://evil.example/phish")
    assert response.status_code == 302
    assert response["Location"] == "/"
