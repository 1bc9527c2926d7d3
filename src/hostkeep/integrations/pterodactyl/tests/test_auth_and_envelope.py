"""Authentication, the middleware order and the error envelope, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests

from hostkeep.integrations.pterodactyl.simulator import READ, WRITE, PterodactylSimulator
from hostkeep.integrations.pterodactyl.simulator.state import utcnow
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, error

UNAUTHENTICATED = error("AuthenticationException", 401, "Unauthenticated.")


def test_missing_or_wrong_bearer_is_401_in_the_error_envelope(sim: PterodactylSimulator) -> None:
    url = f"{sim.url}/api/application/users"
    missing = requests.get(url, headers={"Accept": "application/json"}, timeout=5)
    wrong = requests.get(
        url, headers={"Accept": "application/json", "Authorization": "Bearer ptla_" + "x" * 43}, timeout=5
    )
    short = requests.get(url, headers={"Accept": "application/json", "Authorization": "Bearer ptla_abc"}, timeout=5)

    for response in (missing, wrong, short):
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
        assert "X-RateLimit-Limit" not in response.headers


def test_without_a_json_accept_header_an_unauthenticated_call_is_redirected_to_the_login_page(
    sim: PterodactylSimulator,
) -> None:
    url = f"{sim.url}/api/application/users"

    redirected = requests.get(url, allow_redirects=False, timeout=5)
    followed = requests.get(url, timeout=5)

    assert redirected.status_code == 302
    assert redirected.headers["Location"] == f"{sim.url}/auth/login"
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")


def test_the_legacy_vendor_accept_header_counts_as_json(sim: PterodactylSimulator) -> None:
    response = requests.get(
        f"{sim.url}/api/application/users", headers={"Accept": "Application/vnd.pterodactyl.v1+json"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_key_whose_owner_is_not_a_root_admin_gets_403(sim: PterodactylSimulator) -> None:
    user = sim.add_user("reseller", "reseller@example.com")
    key = sim.create_api_key(user.id)

    response = Panel(sim, key).get("/users")

    assert response.status_code == 403
    assert response.json() == error(
        "AccessDeniedHttpException", 403, "This account does not have permission to access the API."
    )


def test_an_acl_miss_is_403_and_an_unreadable_include_becomes_a_null_resource(
    sim: PterodactylSimulator, panel: Panel
) -> None:
    reader = Panel(sim, sim.create_api_key(permissions={"users": READ}))

    refused = reader.post(
        "/users", {"username": "x" * 5, "email": "x@example.com", "first_name": "X", "last_name": "Y"}
    )
    listed = reader.get("/users/1", params={"include": "servers"})
    write_only = Panel(sim, sim.create_api_key(permissions={"users": WRITE})).get("/users")

    assert refused.status_code == 403
    assert refused.json() == error("AccessDeniedHttpException", 403, "This action is unauthorized.")
    assert listed.status_code == 200
    assert listed.json()["attributes"]["relationships"] == {"servers": {"object": "null_resource", "attributes": None}}
    assert write_only.status_code == 403
    assert panel.get("/users").status_code == 200


def test_expired_key_is_401_and_a_key_outside_its_ip_list_is_403(sim: PterodactylSimulator) -> None:
    expired = Panel(sim, sim.create_api_key(expires_at=utcnow() - timedelta(minutes=1))).get("/users")
    elsewhere = Panel(sim, sim.create_api_key(allowed_ips=["10.0.0.0/8"])).get("/users")
    inside = Panel(sim, sim.create_api_key(allowed_ips=["127.0.0.0/8"])).get("/users")

    assert expired.status_code == 401
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"][0]["detail"] == (
        "This IP address (127.0.0.1) does not have permission to access the API using these credentials."
    )
    assert inside.status_code == 200


def test_forced_two_factor_answers_every_call_with_400(sim: PterodactylSimulator, panel: Panel) -> None:
    sim.require_two_factor(1)

    response = panel.get("/users")

    assert response.status_code == 400
    assert response.json() == error(
        "TwoFactorAuthRequiredException",
        400,
        "Two-factor authentication is required on this account in order to access this endpoint.",
    )


def test_unknown_route_wrong_method_unknown_and_non_numeric_ids(panel: Panel) -> None:
    route = panel.get("/nope")
    method = panel.call("PUT", "/users/1")
    missing = panel.get("/users/999")
    non_numeric = panel.get("/users/abc")

    assert route.status_code == 404
    assert route.json() == error("NotFoundHttpException", 404, "The route api/application/nope could not be found.")
    assert method.status_code == 405
    assert method.json()["errors"][0]["code"] == "MethodNotAllowedHttpException"
    for response in (missing, non_numeric):
        assert response.status_code == 404
        assert response.json() == error(
            "NotFoundHttpException", 404, "The requested resource could not be found on the server."
        )


def test_malformed_json_is_400_before_anything_is_done(sim: PterodactylSimulator, panel: Panel) -> None:
    users_before = len(sim.state.users)

    response = panel.call("POST", "/users", data=b'{"username": ', headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json() == error(
        "BadRequestHttpException", 400, "The JSON data passed in the request appears to be malformed: Syntax error"
    )
    assert len(sim.state.users) == users_before


def test_every_authenticated_answer_carries_the_rate_limit_headers(panel: Panel) -> None:
    first = panel.get("/users")
    second = panel.get("/users/999")

    assert first.headers["X-RateLimit-Limit"] == "240"
    assert first.headers["X-RateLimit-Remaining"] == "239"
    assert second.status_code == 404
    assert second.headers["X-RateLimit-Remaining"] == "238"


def test_the_html_page_lists_servers_for_a_person_watching(
    sim: PterodactylSimulator, make_server: Callable[..., dict[str, Any]]
) -> None:
    server = make_server(name="Watched server", external_id="svc-watch")

    page = requests.get(sim.url + "/", timeout=5)

    assert page.status_code == 200
    assert "Watched server" in page.text
    assert "svc-watch" in page.text
    assert server["identifier"] in page.text
