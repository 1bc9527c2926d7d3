"""A fresh panel simulator per test on 127.0.0.1, with py-dactyl and a plain requests session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydactyl import PterodactylClient

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, server_body

INSTALL_SECONDS = 0.15


@pytest.fixture
def sim() -> Iterator[PterodactylSimulator]:
    with PterodactylSimulator(install_seconds=INSTALL_SECONDS, seed=7) as simulator:
        yield simulator


@pytest.fixture
def panel(sim: PterodactylSimulator) -> Panel:
    return Panel(sim)


@pytest.fixture
def pydactyl(sim: PterodactylSimulator) -> PterodactylClient:
    return PterodactylClient(sim.url, sim.api_key, retries=0)


@pytest.fixture
def make_user(panel: Panel) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 1000))

    def make(**fields: Any) -> dict[str, Any]:
        number = next(counter)
        body = {
            "username": f"customer{number}",
            "email": f"customer{number}@example.com",
            "first_name": "Customer",
            "last_name": str(number),
            "external_id": f"cust-{number}",
        } | fields
        response = panel.post("/users", body)
        assert response.status_code == 201, response.text
        return dict(response.json()["attributes"])

    return make


@pytest.fixture
def make_server(panel: Panel, make_user: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def make(user_id: int | None = None, **fields: Any) -> dict[str, Any]:
        owner = user_id if user_id is not None else make_user()["id"]
        response = panel.post("/servers", server_body(owner, **fields))
        assert response.status_code == 201, response.text
        return dict(response.json()["attributes"])

    return make
