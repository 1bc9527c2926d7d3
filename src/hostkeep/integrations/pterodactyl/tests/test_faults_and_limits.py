"""Rate limiting and the failure controls a provisioning test needs: injected errors, hangs,
dropped connections, a panel that is down, slow Wings and per-call latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from pydactyl import PterodactylClient

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, error, server_body, wait_for


def test_rate_limit_answers_429_with_retry_headers_and_401s_do_not_count() -> None:
    with PterodactylSimulator(rate_limit=3, install_seconds=None) as sim:
        panel = Panel(sim)
        requests.get(f"{sim.url}/api/application/users", headers={"Accept": "application/json"}, timeout=5)
        answers = [panel.get("/users") for _ in range(4)]
        client = PterodactylClient(sim.url, sim.api_key, retries=0)

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        throttled = answers[-1]
        assert throttled.json() == error("ThrottleRequestsException", 429, "Too Many Attempts.")
        assert 1 <= int(throttled.headers["Retry-After"]) <= 60
        assert int(throttled.headers["X-RateLimit-Reset"]) >= int(time.time())
        # urllib3's Retry(total=0, status_forcelist=[429]) gives up at once: a RetryError, not HTTPError.
        with pytest.raises(requests.exceptions.RetryError, match="too many 429 error responses"):
            client.user.list_users()


def test_the_rate_limit_window_resets() -> None:
    with PterodactylSimulator(rate_limit=1, rate_limit_window_s=0.3) as sim:
        panel = Panel(sim)
        assert panel.get("/users").status_code == 200
        assert panel.get("/users").status_code == 429
        time.sleep(0.35)
        assert panel.get("/users").status_code == 200


def test_injected_500_on_a_matching_request_only(sim: PterodactylSimulator, pydactyl: PterodactylClient) -> None:
    sim.fail_next(method="GET", path=r"^/api/application/users$")

    with pytest.raises(requests.HTTPError, match="500"):
        pydactyl.user.list_users()
    assert pydactyl.nodes.list_nodes().meta["pagination"]["total"] == 3
    assert len(pydactyl.user.list_users().data) == 1


def test_an_error_after_the_work_leaves_an_ambiguous_create_to_reconcile(
    sim: PterodactylSimulator, panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    sim.fail_next(method="POST", path=r"/servers$", after=True)

    response = panel.post("/servers", server_body(make_user()["id"], external_id="svc-ambiguous"))

    assert response.status_code == 500
    assert response.json() == error(
        "QueryException", 500, "An unexpected error was encountered while processing this request, please try again."
    )
    assert panel.get("/servers/external/svc-ambiguous").status_code == 200


def test_a_hang_longer_than_the_client_timeout(
    sim: PterodactylSimulator, panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    owner = make_user()["id"]
    sim.delay_next(0.6, method="POST", path=r"/servers$")

    with pytest.raises(requests.exceptions.ReadTimeout):
        panel.post("/servers", server_body(owner, external_id="svc-late"), timeout=0.2)
    # The panel got on with it after the client gave up.
    assert sim.server_by_external_id("svc-late") is None
    wait_for(lambda: sim.server_by_external_id("svc-late") is not None)


def test_slow_wings_lets_the_client_time_out_while_the_server_is_created(
    sim: PterodactylSimulator, panel: Panel, make_user: Callable[..., dict[str, Any]]
) -> None:
    owner = make_user()["id"]
    sim.set_wings(latency_s=0.4)

    with pytest.raises(requests.exceptions.ReadTimeout):
        panel.post("/servers", server_body(owner, external_id="svc-slow"), timeout=0.15)

    assert panel.get("/servers/external/svc-slow").status_code == 200


def test_dropped_connection_and_a_panel_that_is_down(sim: PterodactylSimulator, panel: Panel) -> None:
    sim.drop_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        panel.get("/users")

    sim.go_down("refuse")
    with pytest.raises(requests.exceptions.ConnectionError):
        panel.get("/users")
    sim.come_up()
    assert panel.get("/users").status_code == 200

    sim.go_down("502")
    bad_gateway = panel.get("/users")
    sim.come_up()

    assert bad_gateway.status_code == 502
    assert "502 Bad Gateway" in bad_gateway.text
    assert panel.get("/users").status_code == 200


def test_latency_per_call_overlaps_across_eight_concurrent_clients() -> None:
    with PterodactylSimulator(latency_ms=200) as sim:
        results: list[int] = []

        def call() -> None:
            results.append(Panel(sim).get("/users").status_code)

        threads = [threading.Thread(target=call) for _ in range(8)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started

        assert results == [200] * 8
        assert 0.2 <= elapsed < 1.0


def test_control_endpoints_drive_the_simulator_over_http(sim: PterodactylSimulator, panel: Panel) -> None:
    planned = requests.post(f"{sim.url}/_sim/faults", json={"kind": "status", "status": 503}, timeout=5)
    unavailable = panel.get("/users")
    requests.post(f"{sim.url}/_sim/settings", json={"rate_limit": 1}, timeout=5)
    state = requests.get(f"{sim.url}/_sim/state", timeout=5).json()

    assert planned.status_code == 201
    assert unavailable.status_code == 503
    assert sim.rate_limit == 1
    assert state["free_allocations"] == {"fra-node-1": 25, "ams-node-1": 10, "fra-private": 5}
    assert [user["username"] for user in state["users"]] == ["admin"]
    assert sim.request_count("GET", r"/users$") == 1


def test_a_panel_taken_down_over_http_refuses_connections_then_comes_back(
    sim: PterodactylSimulator, panel: Panel
) -> None:
    answer = requests.post(f"{sim.url}/_sim/down", json={"mode": "refuse", "seconds": 0.4}, timeout=5)

    def refused() -> bool:
        try:
            panel.get("/users", timeout=0.5)
        except requests.exceptions.ConnectionError:
            return True
        return False

    assert answer.status_code == 204
    wait_for(refused)
    wait_for(lambda: not refused())
    assert panel.get("/users").status_code == 200
