"""Servers: create (deploy and explicit allocation), installation, lookups, the state machine,
build/details/startup changes, reinstall and delete, with Wings in the loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydactyl import PterodactylClient
from pydactyl.exceptions import PterodactylApiError

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.integrations.pterodactyl.tests.helpers import Panel, error, rule_error, server_body, wait_for

MakeUser = Callable[..., dict[str, Any]]
MakeServer = Callable[..., dict[str, Any]]


def test_pydactyl_creates_a_server_that_installs_then_is_found_by_external_id(
    sim: PterodactylSimulator, pydactyl: PterodactylClient, make_user: MakeUser
) -> None:
    user = make_user()

    response = pydactyl.servers.create_server(
        "Alice's Paper", user["id"], nest_id=1, egg_id=1, memory_limit=2048, swap_limit=0, disk_limit=10240,
        location_ids=[1], external_id="svc-88213", database_limit=2, backup_limit=3,
    )  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert "meta" not in body
    server = body["attributes"]
    assert server["status"] == "installing"
    assert server["container"]["installed"] == 0
    assert server["identifier"] == server["uuid"][:8]
    assert server["node"] == 1
    assert server["limits"] == {
        "memory": 2048, "swap": 0, "disk": 10240, "io": 500, "cpu": 0, "threads": None, "oom_disabled": True,
    }  # fmt: skip
    assert server["feature_limits"] == {"databases": 2, "allocations": 0, "backups": 3}
    assert server["container"]["environment"] == {
        "MINECRAFT_VERSION": "latest",
        "SERVER_JARFILE": "server.jar",
        "DL_PATH": "",
        "BUILD_NUMBER": "latest",
        "STARTUP": server["container"]["startup_command"],
        "P_SERVER_LOCATION": "fra",
        "P_SERVER_UUID": server["uuid"],
        "P_SERVER_ALLOCATION_LIMIT": 0,
    }
    assert sim.state.allocations[server["allocation"]].server_id == server["id"]

    wait_for(lambda: pydactyl.servers.get_server_info(external_id="svc-88213")["status"] is None)
    installed = pydactyl.servers.get_server_info(external_id="svc-88213")
    assert installed["container"]["installed"] == 1
    assert installed["suspended"] is False


def test_explicit_allocation_must_exist_and_be_free(panel: Panel, make_user: MakeUser) -> None:
    owner = make_user()["id"]
    explicit = server_body(owner, allocation={"default": 30}, external_id="svc-a")
    explicit.pop("deploy")

    first = panel.post("/servers", explicit, params={"include": "allocations"})
    taken = panel.post("/servers", explicit | {"external_id": "svc-b"})
    missing = panel.post("/servers", explicit | {"external_id": "svc-c", "allocation": {"default": 9999}})

    assert first.status_code == 201
    allocations = first.json()["attributes"]["relationships"]["allocations"]["data"]
    assert allocations == [
        {
            "object": "allocation",
            "attributes": {
                "id": 30, "ip": "198.51.100.20", "alias": None, "port": 25569, "notes": None, "assigned": True,
            },
        }
    ]  # fmt: skip
    for response in (taken, missing):
        assert response.status_code == 422
        assert response.json()["errors"] == [
            rule_error("allocation.default", "exists", "The selected allocation.default is invalid.")
        ]


def test_create_validation_reports_every_failed_rule(
    sim: PterodactylSimulator, panel: Panel, make_user: MakeUser
) -> None:
    body = server_body(make_user()["id"], external_id=17, docker_image="", feature_limits={"allocations": 1})
    body["deploy"]["port_range"] = [25565]

    response = panel.post("/servers", body)

    assert response.status_code == 422
    assert [e["meta"] for e in response.json()["errors"]] == [
        {"source_field": "external_id", "rule": "string"},
        {"source_field": "docker_image", "rule": "required"},
        {"source_field": "feature_limits.databases", "rule": "present"},
        {"source_field": "feature_limits.backups", "rule": "present"},
        {"source_field": "deploy.port_range.0", "rule": "string"},
    ]
    assert sim.state.servers == {}


def test_duplicate_external_id_is_422_unique_without_upsert(
    sim: PterodactylSimulator, panel: Panel, make_server: MakeServer
) -> None:
    first = make_server(external_id="svc-dup")

    again = panel.post("/servers", server_body(first["user"], external_id="SVC-DUP"))

    assert again.status_code == 422
    assert again.json()["errors"] == [rule_error("external_id", "unique", "The external id has already been taken.")]
    assert list(sim.state.servers) == [first["id"]]


def test_egg_variables_are_validated_by_their_rules_and_omitted_ones_stored_empty(
    sim: PterodactylSimulator, panel: Panel, make_user: MakeUser
) -> None:
    owner = make_user()["id"]
    bad_jar = panel.post("/servers", server_body(owner, environment={"SERVER_JARFILE": "server.zip"}))
    rust = server_body(owner, egg=3, environment={"HOSTNAME": "My Rust", "WORLD_SIZE": "3000", "MAX_PLAYERS": 50})
    rust_defaults = panel.post("/servers", rust)
    minimal = panel.post("/servers", server_body(owner, environment={"SERVER_JARFILE": "paper.jar", "BUILD_NUMBER": 7}))

    assert bad_jar.status_code == 422
    assert bad_jar.json()["errors"] == [
        rule_error("environment.SERVER_JARFILE", "regex", "The Server Jar File variable format is invalid."),
        rule_error("environment.BUILD_NUMBER", "required", "The Build Number variable field is required."),
    ]
    assert rust_defaults.status_code == 422
    assert rust_defaults.json()["errors"] == [
        rule_error("environment.RCON_PASS", "required", "The RCON Password variable field is required."),
    ]
    assert minimal.status_code == 201
    environment = minimal.json()["attributes"]["container"]["environment"]
    assert environment["MINECRAFT_VERSION"] == ""  # not the egg's default "latest"
    assert environment["BUILD_NUMBER"] == "7"


def test_auto_deploy_failures_are_400_and_create_nothing(
    sim: PterodactylSimulator, panel: Panel, make_user: MakeUser
) -> None:
    owner = make_user()["id"]
    no_port = server_body(owner)
    no_port["deploy"]["port_range"] = ["30000-30010"]
    too_big = server_body(owner, limits={"memory": 40000, "swap": 0, "disk": 1, "io": 500, "cpu": 100})
    wide = server_body(owner)
    wide["deploy"]["port_range"] = ["20000-25565"]

    allocation = panel.post("/servers", no_port)
    node = panel.post("/servers", too_big)
    range_error = panel.post("/servers", wide)

    assert allocation.status_code == 400
    assert allocation.json() == error(
        "NoViableAllocationException",
        400,
        "No allocations satisfying the requirements for automatic deployment were found.",
    )
    assert node.status_code == 400
    assert node.json() == error(
        "NoViableNodeException",
        400,
        "No nodes satisfying the requirements specified for automatic deployment could be found.",
    )
    assert range_error.status_code == 400
    assert sim.state.servers == {}


def test_a_location_runs_out_of_free_allocations(sim: PterodactylSimulator, panel: Panel, make_user: MakeUser) -> None:
    owner = make_user()["id"]
    amsterdam = {"locations": [2], "dedicated_ip": False, "port_range": ["25565-25600"]}
    small = {"memory": 1024, "swap": 0, "disk": 1024, "io": 500, "cpu": 100}
    for number in range(10):
        response = panel.post(
            "/servers", server_body(owner, external_id=f"ams-{number}", deploy=amsterdam, limits=small)
        )
        assert response.status_code == 201
        assert response.json()["attributes"]["node"] == 2

    eleventh = panel.post("/servers", server_body(owner, external_id="ams-10", deploy=amsterdam, limits=small))

    assert eleventh.status_code == 400
    assert eleventh.json()["errors"][0]["code"] == "NoViableAllocationException"
    assert len(sim.state.servers) == 10


def test_dedicated_ip_skips_addresses_already_in_use(
    sim: PterodactylSimulator, panel: Panel, make_user: MakeUser
) -> None:
    owner = make_user()["id"]
    dedicated = {"locations": [1], "dedicated_ip": True, "port_range": []}

    ips = set()
    for number in range(2):
        response = panel.post("/servers", server_body(owner, external_id=f"ded-{number}", deploy=dedicated))
        ips.add(sim.state.allocations[response.json()["attributes"]["allocation"]].ip)
    third = panel.post("/servers", server_body(owner, external_id="ded-2", deploy=dedicated))

    assert ips == {"203.0.113.10", "203.0.113.11"}
    assert third.status_code == 400
    assert third.json()["errors"][0]["code"] == "NoViableAllocationException"


def test_servers_list_filters_sorts_and_includes(panel: Panel, make_server: MakeServer, make_user: MakeUser) -> None:
    owner = make_user()["id"]
    for external_id in ("svc-12", "svc-123", "other"):
        make_server(owner, external_id=external_id, name=f"Server {external_id}")

    filtered = panel.get("/servers", params={"filter[external_id]": "svc-12", "sort": "-id", "include": "user,egg"})

    data = filtered.json()["data"]
    assert [s["attributes"]["external_id"] for s in data] == ["svc-123", "svc-12"]
    relationships = data[0]["attributes"]["relationships"]
    assert relationships["user"]["attributes"]["id"] == owner
    assert relationships["egg"]["object"] == "egg"
    assert panel.get("/servers/external/svc-1").status_code == 404


def test_suspend_and_unsuspend_are_idempotent_204s(
    sim: PterodactylSimulator, pydactyl: PterodactylClient, make_server: MakeServer
) -> None:
    server = make_server()
    wait_for(lambda: sim.server(server["id"]).status is None)

    first = pydactyl.servers.suspend_server(server["id"])
    second = pydactyl.servers.suspend_server(server["id"])
    suspended = pydactyl.servers.get_server_info(server["id"])
    pydactyl.servers.unsuspend_server(server["id"])
    unsuspended = pydactyl.servers.get_server_info(server["id"])

    assert (first.status_code, second.status_code) == (204, 204)
    assert suspended["status"] == "suspended"
    assert suspended["suspended"] is True
    assert unsuspended["status"] is None


def test_a_server_suspended_while_installing_stays_suspended(
    sim: PterodactylSimulator, panel: Panel, make_server: MakeServer
) -> None:
    sim.install_seconds = None
    server = make_server()

    panel.post(f"/servers/{server['id']}/suspend")
    sim.complete_install(server["id"], ok=True)

    assert sim.server(server["id"]).status == "suspended"


def test_failed_install_and_transfer_conflict(sim: PterodactylSimulator, panel: Panel, make_server: MakeServer) -> None:
    sim.install_seconds = None
    server = make_server()
    sim.complete_install(server["id"], ok=False)
    sim.set_transferring(server["id"])

    failed = panel.get(f"/servers/{server['id']}").json()["attributes"]
    conflict = panel.post(f"/servers/{server['id']}/suspend")

    assert failed["status"] == "install_failed"
    assert failed["container"]["installed"] == 0
    assert conflict.status_code == 409
    assert conflict.json() == error(
        "ConflictHttpException", 409, "Cannot toggle suspension status on a server that is currently being transferred."
    )


def test_wings_offline_rolls_back_suspension_and_create_leaves_nothing_behind(
    sim: PterodactylSimulator, panel: Panel, make_server: MakeServer, make_user: MakeUser
) -> None:
    server = make_server()
    wait_for(lambda: sim.server(server["id"]).status is None)
    sim.set_wings(mode="offline")

    suspend = panel.post(f"/servers/{server['id']}/suspend")
    create = panel.post("/servers", server_body(make_user()["id"], external_id="svc-offline"))

    assert suspend.status_code == 504
    assert suspend.json() == error(
        "DaemonConnectionException",
        504,
        "Could not establish a connection to the machine running this server. Please try again.",
    )
    assert sim.server(server["id"]).status is None
    assert create.status_code == 504
    assert sim.server_by_external_id("svc-offline") is None
    assert len(sim.state.allocations_of(server["id"])) == 1
    sim.set_wings(mode="online")
    assert panel.post("/servers", server_body(make_user()["id"], external_id="svc-offline")).status_code == 201


def test_build_change_with_pydactyl_and_its_full_replacement_rules(
    sim: PterodactylSimulator, pydactyl: PterodactylClient, panel: Panel, make_server: MakeServer
) -> None:
    server = make_server()

    changed = pydactyl.servers.update_server_build(
        server["id"], server["allocation"], memory_limit=4096, swap_limit=0, disk_limit=20480, cpu_limit=300,
        io_limit=500, database_limit=2, backup_limit=5,
    )  # fmt: skip
    without_features = panel.patch(
        f"/servers/{server['id']}/build",
        {"allocation": server["allocation"], "memory": 1024, "swap": 0, "disk": 1, "io": 500, "cpu": 100},
    )
    foreign_allocation = panel.patch(
        f"/servers/{server['id']}/build",
        {
            "allocation": 30,
            "limits": {"memory": 1024, "swap": 0, "disk": 1, "io": 500, "cpu": 100},
            "feature_limits": {"databases": None, "backups": None},
        },
    )

    assert changed.status_code == 200
    attributes = changed.json()["attributes"]
    assert attributes["limits"]["memory"] == 4096
    assert attributes["limits"]["cpu"] == 300
    assert attributes["feature_limits"] == {"databases": 2, "allocations": None, "backups": 5}
    assert without_features.status_code == 422
    assert without_features.json()["errors"][0]["meta"] == {"source_field": "feature_limits", "rule": "required"}
    assert foreign_allocation.status_code == 400
    assert foreign_allocation.json() == error(
        "DisplayException", 400, "The requested default allocation is not currently assigned to this server."
    )
    assert sim.server(server["id"]).memory == 4096


def test_build_can_add_and_swap_allocations(sim: PterodactylSimulator, panel: Panel, make_server: MakeServer) -> None:
    server = make_server()
    old = server["allocation"]
    free = next(a.id for a in sim.state.allocations.values() if a.node_id == 1 and a.server_id is None)

    response = panel.patch(
        f"/servers/{server['id']}/build",
        {
            "allocation": old,
            "limits": {"memory": 2048, "swap": 0, "disk": 10240, "io": 500, "cpu": 200},
            "feature_limits": {"databases": 1, "allocations": 2, "backups": 3},
            "add_allocations": [free, 30],
            "remove_allocations": [old],
        },
    )

    assert response.status_code == 200
    assert response.json()["attributes"]["allocation"] == free
    assert [a.id for a in sim.state.allocations_of(server["id"])] == [free]  # 30 is on another node: skipped


def test_details_patch_nulls_an_omitted_external_id(panel: Panel, make_server: MakeServer) -> None:
    server = make_server(external_id="svc-details", description="keep me")

    response = panel.patch(f"/servers/{server['id']}/details", {"name": "Renamed", "user": server["user"]})

    assert response.status_code == 200
    assert response.json()["attributes"]["external_id"] is None
    assert response.json()["attributes"]["description"] == ""
    assert panel.get("/servers/external/svc-details").status_code == 404


def test_startup_patch_with_a_partial_environment_blanks_the_rest(
    panel: Panel, pydactyl: PterodactylClient, make_server: MakeServer
) -> None:
    server = make_server()
    base = {"startup": "java -jar {{SERVER_JARFILE}}", "egg": 1, "image": "ghcr.io/pterodactyl/yolks:java_17"}

    missing_skip = panel.patch(f"/servers/{server['id']}/startup", base | {"environment": {}})
    partial = panel.patch(
        f"/servers/{server['id']}/startup",
        base | {"skip_scripts": False, "environment": {"SERVER_JARFILE": "paper.jar", "BUILD_NUMBER": "100"}},
    )
    merged = pydactyl.servers.update_server_startup(server["id"], environment={"MINECRAFT_VERSION": "1.20.4"})

    assert missing_skip.status_code == 422
    assert missing_skip.json()["errors"] == [
        rule_error("skip_scripts", "present", "The skip scripts field must be present.")
    ]
    environment = partial.json()["attributes"]["container"]["environment"]
    assert environment["MINECRAFT_VERSION"] == ""
    assert environment["SERVER_JARFILE"] == "paper.jar"
    assert partial.json()["attributes"]["container"]["image"] == "ghcr.io/pterodactyl/yolks:java_17"
    assert merged.json()["attributes"]["container"]["environment"]["MINECRAFT_VERSION"] == "1.20.4"
    assert merged.json()["attributes"]["container"]["environment"]["SERVER_JARFILE"] == "paper.jar"


def test_reinstall_drops_a_suspension_and_reinstalls(
    sim: PterodactylSimulator, panel: Panel, make_server: MakeServer
) -> None:
    server = make_server()
    wait_for(lambda: sim.server(server["id"]).status is None)
    panel.post(f"/servers/{server['id']}/suspend")

    response = panel.post(f"/servers/{server['id']}/reinstall")

    assert response.status_code == 204
    assert sim.server(server["id"]).status == "installing"
    wait_for(lambda: sim.server(server["id"]).status is None)


def test_delete_frees_the_allocation_and_a_repeat_is_404(
    sim: PterodactylSimulator, pydactyl: PterodactylClient, panel: Panel, make_server: MakeServer
) -> None:
    server = make_server()

    response = pydactyl.servers.delete_server(server["id"])
    again = panel.delete(f"/servers/{server['id']}")

    assert response.status_code == 204
    assert again.status_code == 404
    assert sim.state.allocations[server["allocation"]].server_id is None
    assert sim.server_by_external_id("svc-1") is None


def test_a_wings_error_stops_a_normal_delete_but_not_a_forced_one(
    sim: PterodactylSimulator, panel: Panel, make_server: MakeServer
) -> None:
    server = make_server()
    sim.set_wings(1, "error", status=500, message="disk is read-only")

    normal = panel.delete(f"/servers/{server['id']}")
    forced = panel.delete(f"/servers/{server['id']}/force")

    assert normal.status_code == 500
    assert normal.json()["errors"][0]["code"] == "DaemonConnectionException"
    assert normal.json()["errors"][0]["detail"].startswith("An error occurred on the remote host: disk is read-only.")
    assert forced.status_code == 204
    assert sim.state.servers == {}


def test_pydactyl_create_with_neither_allocation_nor_location_is_refused_client_side(
    pydactyl: PterodactylClient,
) -> None:
    with pytest.raises(Exception, match="default_allocation or location_ids"):
        pydactyl.servers.create_server("x", 1, 1, 1, 1024, 0, 1024)


def test_pydactyl_surfaces_a_deploy_failure_as_its_api_error(pydactyl: PterodactylClient, make_user: MakeUser) -> None:
    with pytest.raises(PterodactylApiError, match="NoViableNodeException"):
        pydactyl.servers.create_server("x", make_user()["id"], 1, 1, 999999, 0, 1024, location_ids=[1])
