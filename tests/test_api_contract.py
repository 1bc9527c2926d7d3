"""The API's public contract: the OpenAPI document and its docs page answer, and every
refusal has the one error shape {"error": {"code", "message"[, "fields"]}}."""

from __future__ import annotations

import pytest
from django.test import Client

from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import api_token_for
from hostkeep.accounts.tests.snapshots import unchanged

pytestmark = pytest.mark.django_db


def test_the_openapi_document_describes_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert document["info"]["title"] == "Hostkeep API"
    assert document["info"]["version"] == "1"
    assert {
        "/api/v1/account/me",
        "/api/v1/account/contacts",
        "/api/v1/account/contacts/{contact_id}",
        "/api/v1/account/legal-entities",
        "/api/v1/account/legal-entities/{entity_id}",
        "/api/v1/account/tokens",
        "/api/v1/account/tokens/{token_id}",
        "/api/v1/account/audit",
        "/api/v1/staff/customers",
        "/api/v1/staff/customers/{customer_id}",
        "/api/v1/staff/audit",
    } <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def test_the_docs_page_answers(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "<title>Hostkeep API</title>" in response.text
    assert "/api/v1/openapi.json" in response.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer hk_0123456789_nothing"}, {"authorization": "Basic dXNlcjpwYXNz"}],
    ids=["none", "unknown-token", "basic"],
)
def test_401_has_the_error_shape(client, headers):
    response = client.get("/api/v1/account/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthenticated", "message": "A valid API token or session is required."}
    }


def test_404_has_the_error_shape(owner_a):
    _token, plain = api_token_for(owner_a.user)
    with unchanged():
        status, body = ApiClient(Client(), token=plain).delete("account/contacts/987654")
    assert (status, body) == (404, {"error": {"code": "not_found", "message": "Contact not found."}})


@pytest.fixture
def api(owner_a) -> ApiClient:
    return ApiClient(log_in(Client(), owner_a.user))


def test_422_from_the_schema_names_the_fields(api):
    with unchanged():
        status, body = api.post("account/contacts", {"email": "friend@example.test"})
    assert status == 422
    assert body == {
        "error": {
            "code": "validation_failed",
            "message": "Some values are not valid.",
            "fields": {"role": ["Field required"]},
        }
    }


def test_422_from_an_action_names_the_fields(api):
    with unchanged():
        status, body = api.post("account/contacts", {"email": "not-an-address", "role": "owner"})
    assert status == 422
    assert body == {
        "error": {
            "code": "validation_failed",
            "message": "Enter a valid e-mail address.",
            "fields": {"email": ["Not a valid e-mail."]},
        }
    }
    with unchanged():
        status, body = api.post("account/contacts", {"email": "friend@example.test", "role": "boss"})
    assert (status, body["error"]["code"], body["error"]["fields"]) == (
        422,
        "validation_failed",
        {"role": ["Not a valid choice."]},
    )


def test_422_for_a_path_that_is_not_an_id(api):
    with unchanged():
        status, body = api.patch("account/contacts/abc", {"role": "owner"})
    assert status == 422
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["message"] == "Some values are not valid."
    assert list(body["error"]["fields"]) == ["path.contact_id"]


def test_session_writes_need_the_csrf_token(owner_a):
    browser = log_in(Client(enforce_csrf_checks=True), owner_a.user)
    with unchanged():
        response = browser.post("/api/v1/account/tokens", data={"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    # The page session reads without CSRF; only unsafe methods need it.
    assert browser.get("/api/v1/account/tokens").status_code == 200


def test_a_wrong_method_gets_the_error_shape_and_the_allowed_methods(client, owner_a):
    log_in(client, owner_a.user)
    response = client.put("/api/v1/account/me", "{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
