"""Users: create (with the panel's validation and case-insensitive uniqueness), lookups,
lists with filters and pagination, full-replacement updates and deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydactyl import PterodactylClient
from pydactyl.exceptions import PterodactylApiError

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, error, rule_error

ALICE = {"username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}


def test_create_user_with_pydactyl_returns_the_user_and_its_resource_url(
    sim: PterodactylSimulator, pydactyl: PterodactylClient, panel: Panel
) -> None:
    created = pydactyl.user.create_user("Alice", "alice@example.com", "Alice", "Liddell", external_id="cust-1")
    raw = panel.post("/users", ALICE | {"username": "bob", "email": "bob@example.com"})

    attributes = created["attributes"]
    assert attributes["username"] == "alice"  # stored lowercased
    assert attributes["external_id"] == "cust-1"
    assert attributes["root_admin"] is False
    assert attributes["2fa"] is False
    assert set(attributes) == {
        "id", "external_id", "uuid", "username", "email", "first_name", "last_name", "language", "root_admin",
        "2fa", "created_at", "updated_at",
    }  # fmt: skip
    assert attributes["created_at"].endswith("+00:00")
    assert created["meta"] == {"resource": f"{sim.url}/api/application/users/{attributes['id']}"}
    assert raw.status_code == 201
    assert sim.user_by_email("ALICE@example.com") is not None


def test_duplicate_email_is_422_unique_compared_case_insensitively_and_nothing_is_created(
    sim: PterodactylSimulator, panel: Panel
) -> None:
    assert panel.post("/users", ALICE).status_code == 201
    users_before = len(sim.state.users)

    again = panel.post("/users", ALICE | {"username": "alice2", "email": "ALICE@Example.com"})

    assert again.status_code == 422
    assert again.json() == {"errors": [rule_error("email", "unique", "The email has already been taken.")]}
    assert len(sim.state.users) == users_before


def test_pydactyl_raises_its_api_error_on_a_422(pydactyl: PterodactylClient, panel: Panel) -> None:
    panel.post("/users", ALICE)

    with pytest.raises(PterodactylApiError, match="has already been taken"):
        pydactyl.user.create_user("alice", "other@example.com", "A", "B")


def test_one_422_entry_per_failed_rule_after_trimming_and_empty_to_null(panel: Panel) -> None:
    response = panel.post(
        "/users",
        {"username": "a!", "email": "not-an-email", "first_name": "   ", "last_name": "Liddell", "external_id": 42},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        rule_error("external_id", "string", "The Third Party Identifier must be a string."),
        rule_error("email", "email", "The email must be a valid email address."),
        rule_error(
            "username",
            "p_username",
            "The username must start and end with alpha-numeric characters and contain only letters, numbers, "
            "dashes, underscores, and periods.",
        ),
        rule_error("first_name", "required", "The First Name field is required."),
    ]


def test_external_id_lookup_is_exact_while_filters_are_substring_matches(
    panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    bob = make_user(username="bob", email="bob@x.io", external_id="12")
    jimbob = make_user(username="jimbob", email="jimbob@x.io", external_id="123")

    exact = panel.get("/users/external/12")
    upper = panel.get("/users/external/CUST-404")
    by_email = panel.get("/users", params={"filter[email]": "bob@x.io"})
    by_external = panel.get("/users", params={"filter[external_id]": "12"})
    either = panel.get("/users", params={"filter[username]": "jimbob,admin"})
    empty = panel.get("/users", params={"filter[email]": ""})

    assert exact.json()["attributes"]["id"] == bob["id"]
    assert upper.status_code == 404
    assert [u["attributes"]["id"] for u in by_email.json()["data"]] == [bob["id"], jimbob["id"]]
    assert [u["attributes"]["id"] for u in by_external.json()["data"]] == [bob["id"], jimbob["id"]]
    assert [u["attributes"]["username"] for u in either.json()["data"]] == ["admin", "jimbob"]
    assert empty.json()["meta"]["pagination"]["total"] == 3


def test_external_id_lookup_ignores_case(panel: Panel, make_user: Callable[..., dict[str, Any]]) -> None:
    user = make_user(external_id="Cust-AbC")

    assert panel.get("/users/external/cust-abc").json()["attributes"]["id"] == user["id"]


def test_unknown_filter_or_sort_is_400(panel: Panel) -> None:
    filtered = panel.get("/users", params={"filter[name]": "x"})
    sorted_ = panel.get("/users", params={"sort": "email"})

    assert filtered.status_code == 400
    assert filtered.json() == error(
        "InvalidFilterQuery",
        400,
        "Requested filter(s) `name` are not allowed. Allowed filter(s) are `email, uuid, username, external_id`.",
    )
    assert sorted_.status_code == 400
    assert sorted_.json()["errors"][0]["code"] == "InvalidSortQuery"


def test_pagination_meta_and_links_that_keep_only_the_page(
    sim: PterodactylSimulator, panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    for _ in range(4):
        make_user()

    first = panel.get("/users", params={"per_page": 2, "sort": "-id"}).json()
    last = panel.get("/users", params={"per_page": 2, "page": 3}).json()
    zero = panel.get("/users", params={"per_page": 0}).json()
    broken = panel.get("/users", params={"per_page": "many"})

    assert first["meta"]["pagination"] == {
        "total": 5,
        "count": 2,
        "per_page": 2,
        "current_page": 1,
        "total_pages": 3,
        "links": {"next": f"{sim.url}/api/application/users?page=2"},
    }
    assert [u["attributes"]["id"] for u in first["data"]] == [5, 4]
    assert last["meta"]["pagination"]["count"] == 1
    assert last["meta"]["pagination"]["links"] == {"previous": f"{sim.url}/api/application/users?page=2"}
    assert zero["meta"]["pagination"]["per_page"] == 15
    assert broken.status_code == 500


def test_pydactyls_paginator_loses_per_page_as_the_real_panel_makes_it(
    pydactyl: PterodactylClient, make_user: Callable[..., dict[str, Any]]
) -> None:
    for _ in range(4):
        make_user()

    collected = pydactyl.user.list_users(params={"per_page": 2}).collect()

    # Page 2 is fetched with ?page=2 only, so with the default 50 per page it is empty.
    assert len(collected) == 2


def test_update_is_a_full_replacement_of_the_required_fields(
    panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    user = make_user(external_id="cust-7")

    partial = panel.patch(f"/users/{user['id']}", {"first_name": "Changed"})
    full = panel.patch(
        f"/users/{user['id']}",
        {"username": user["username"], "email": user["email"], "first_name": "Changed", "last_name": "Name"},
    )

    assert partial.status_code == 422
    assert [e["meta"] for e in partial.json()["errors"]] == [
        {"source_field": "email", "rule": "required"},
        {"source_field": "username", "rule": "required"},
        {"source_field": "last_name", "rule": "required"},
    ]
    assert full.status_code == 200
    assert full.json()["attributes"]["first_name"] == "Changed"
    assert full.json()["attributes"]["external_id"] == "cust-7"  # omitted: kept


def test_delete_user_is_refused_while_they_own_servers_then_succeeds_once(
    sim: PterodactylSimulator, panel: Panel, make_user: Callable[..., dict[str, Any]], make_server: Callable[..., Any]
) -> None:
    user = make_user()
    server = make_server(user["id"])

    refused = panel.delete(f"/users/{user['id']}")
    assert panel.delete(f"/servers/{server['id']}").status_code == 204
    deleted = panel.delete(f"/users/{user['id']}")
    again = panel.delete(f"/users/{user['id']}")

    assert refused.status_code == 400
    assert refused.json() == error(
        "DisplayException",
        400,
        "Cannot delete a user with active servers attached to their account. "
        "Please delete their servers before continuing.",
    )
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert again.status_code == 404
    assert user["id"] not in sim.state.users


def test_include_servers_on_a_user(panel: Panel, make_user: Callable[..., dict[str, Any]], make_server: Any) -> None:
    user = make_user()
    server = make_server(user["id"])

    response = panel.get(f"/users/{user['id']}", params={"include": "servers"})

    servers = response.json()["attributes"]["relationships"]["servers"]
    assert servers["object"] == "list"
    assert [s["attributes"]["id"] for s in servers["data"]] == [server["id"]]
