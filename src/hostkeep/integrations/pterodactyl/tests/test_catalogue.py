"""Nests and eggs (with variables, as py-dactyl's create_server reads them), nodes, deployable
nodes, allocations and locations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydactyl import PterodactylClient

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, error, rule_error


def test_egg_with_variables_as_pydactyl_reads_it(pydactyl: PterodactylClient) -> None:
    egg = pydactyl.nests.get_egg_info(1, 1, includes=["variables"])

    attributes = egg["attributes"]
    assert attributes["name"] == "Paper"
    assert attributes["nest"] == 1
    assert attributes["docker_image"] == "ghcr.io/pterodactyl/yolks:java_21"
    assert attributes["docker_images"]["Java 17"] == "ghcr.io/pterodactyl/yolks:java_17"
    variables = [v["attributes"] for v in attributes["relationships"]["variables"]["data"]]
    assert [(v["env_variable"], v["default_value"], v["rules"]) for v in variables] == [
        ("MINECRAFT_VERSION", "latest", "nullable|string|max:20"),
        ("SERVER_JARFILE", "server.jar", r"required|regex:/^([\w\d._-]+)(\.jar)$/"),
        ("DL_PATH", "", "nullable|string"),
        ("BUILD_NUMBER", "latest", "required|max:20"),
    ]
    assert variables[0]["created_at"].endswith(".000000Z")
    assert attributes["relationships"]["variables"]["data"][0]["object"] == "egg_variable"


def test_nested_routes_are_scoped_and_eggs_are_not_paginated(panel: Panel) -> None:
    foreign = panel.get("/nests/1/eggs/3")
    eggs = panel.get("/nests/1/eggs").json()
    nests = panel.get("/nests", params={"include": "eggs.variables"}).json()

    assert foreign.status_code == 404
    assert "meta" not in eggs
    assert [e["attributes"]["name"] for e in eggs["data"]] == ["Paper", "Vanilla Minecraft"]
    minecraft = nests["data"][0]["attributes"]
    assert nests["meta"]["pagination"]["total"] == 2
    assert minecraft["relationships"]["eggs"]["data"][1]["attributes"]["relationships"]["variables"]["object"] == "list"


def test_nodes_allocations_and_deployable_nodes(
    sim: PterodactylSimulator, panel: Panel, make_server: Callable[..., dict[str, Any]]
) -> None:
    server = make_server()

    node = panel.get("/nodes/1", params={"include": "location"}).json()["attributes"]
    free = panel.get("/nodes/1/allocations", params={"filter[server_id]": "0", "per_page": 100}).json()
    used = panel.get("/nodes/1/allocations", params={"filter[server_id]": str(server["id"])}).json()
    deployable = panel.get("/nodes/deployable", params={"memory": 20000, "disk": 1000, "location_ids[]": [1, 2]})
    scalar = panel.get("/nodes/deployable", params={"memory": 1, "disk": 1, "location_ids": 1})

    assert node["allocated_resources"] == {"memory": 2048, "disk": 10240}
    assert node["relationships"]["location"]["attributes"]["short"] == "fra"
    assert free["meta"]["pagination"]["total"] == 24
    assert [a["attributes"]["id"] for a in used["data"]] == [server["allocation"]]
    assert [n["attributes"]["name"] for n in deployable.json()["data"]] == ["fra-node-1"]
    assert "meta" not in deployable.json()
    assert scalar.status_code == 422
    assert scalar.json()["errors"] == [rule_error("location_ids", "array", "The location ids must be an array.")]


def test_allocations_are_added_skipping_existing_ones_and_assigned_ones_cannot_go(
    sim: PterodactylSimulator, panel: Panel, make_server: Callable[..., dict[str, Any]]
) -> None:
    server = make_server()

    added = panel.post("/nodes/2/allocations", {"ip": "198.51.100.21", "ports": ["25565", "25570-25572"]})
    repeated = panel.post("/nodes/2/allocations", {"ip": "198.51.100.21", "ports": ["25565"]})
    low_port = panel.post("/nodes/2/allocations", {"ip": "198.51.100.21", "ports": ["80"]})
    assigned = panel.delete(f"/nodes/1/allocations/{server['allocation']}")
    wrong_node = panel.delete(f"/nodes/2/allocations/{server['allocation']}")

    assert (added.status_code, repeated.status_code) == (204, 204)
    assert sorted(a.port for a in sim.state.allocations.values() if a.ip == "198.51.100.21") == [
        25565, 25570, 25571, 25572,
    ]  # fmt: skip
    assert low_port.status_code == 400
    assert low_port.json()["errors"][0]["code"] == "PortOutOfRangeException"
    assert assigned.status_code == 400
    assert assigned.json() == error(
        "ServerUsingAllocationException", 400, "Cannot delete an allocation that is currently assigned to a server."
    )
    assert wrong_node.status_code == 404


def test_locations_crud(sim: PterodactylSimulator, panel: Panel) -> None:
    created = panel.post("/locations", {"short": "nyc", "long": "New York"})
    duplicate = panel.post("/locations", {"short": "NYC"})
    location_id = created.json()["attributes"]["id"]
    in_use = panel.delete("/locations/1")
    removed = panel.delete(f"/locations/{location_id}")

    assert created.status_code == 201
    assert created.json()["meta"] == {"resource": f"{sim.url}/api/application/locations/{location_id}"}
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == [rule_error("short", "unique", "The short has already been taken.")]
    assert in_use.status_code == 400
    assert in_use.json()["errors"][0]["code"] == "HasActiveNodesException"
    assert removed.status_code == 204
    assert [loc["attributes"]["short"] for loc in panel.get("/locations").json()["data"]] == ["fra", "ams"]
