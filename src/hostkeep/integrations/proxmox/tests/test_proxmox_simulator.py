"""The Proxmox VE simulator driven by proxmoxer over real HTTP (and HTTPS) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from proxmoxer import ProxmoxAPI, ResourceException
from proxmoxer.tools import Tasks

from hostkeep.integrations.proxmox.simulator import ProxmoxSimulator

POLL = 0.02


def connect(sim: ProxmoxSimulator, token_value: str | None = None, timeout: float = 5) -> ProxmoxAPI:
    api = ProxmoxAPI(
        "127.0.0.1",
        port=sim.port,
        user=sim.user,
        token_name=sim.token_name,
        token_value=token_value or sim.token_value,
        verify_ssl=sim.cert_path or False,
        timeout=timeout,
    )
    if sim.scheme == "http":
        api._store["base_url"] = sim.api_url  # proxmoxer hard-codes https
    return api


@pytest.fixture
def sim() -> Iterator[ProxmoxSimulator]:
    with ProxmoxSimulator(clone_seconds=0.2, task_seconds=0.03) as simulator:
        yield simulator


@pytest.fixture
def api(sim: ProxmoxSimulator) -> ProxmoxAPI:
    return connect(sim)


def wait(api: ProxmoxAPI, upid: str) -> dict[str, object]:
    status = Tasks.blocking_status(api, upid, timeout=5, polling_interval=POLL)
    assert status is not None
    return dict(status)


def clone(api: ProxmoxAPI, newid: int = 101, **params: object) -> str:
    return str(api.nodes("pve1").qemu(9000).clone.post(newid=newid, name=f"vps-{newid}", full=1, **params))


def test_nodes_and_nextid(api: ProxmoxAPI) -> None:
    nodes = api.nodes.get()
    next_id = api.cluster.nextid.get()

    assert [(n["node"], n["status"]) for n in nodes] == [("pve1", "online"), ("pve2", "online")]
    assert next_id == "101"
    with pytest.raises(ResourceException) as taken:
        api.cluster.nextid.get(vmid=100)
    assert taken.value.status_code == 400
    assert taken.value.content == "Parameter verification failed."
    assert taken.value.errors == {"vmid": "VM 100 already exists"}


def test_clone_returns_a_upid_and_the_new_vm_is_locked_until_the_task_ends(
    sim: ProxmoxSimulator, api: ProxmoxAPI
) -> None:
    upid = clone(api)

    decoded = Tasks.decode_upid(upid)
    assert (decoded["node"], decoded["type"], decoded["id"], decoded["user"]) == ("pve1", "qmclone", "9000", "root@pam")
    assert api.nodes("pve1").qemu(101).config.get()["lock"] == "clone"
    with pytest.raises(ResourceException) as locked:
        api.nodes("pve1").qemu(101).config.put(cores=4)
    assert locked.value.status_code == 500
    assert locked.value.content == "VM is locked (clone)"
    running = api.nodes("pve1").tasks(upid).status.get()
    assert running["status"] == "running"
    assert "exitstatus" not in running

    done = wait(api, upid)

    assert done["status"] == "stopped"
    assert done["exitstatus"] == "OK"
    assert done["tokenid"] == "billing"
    config = api.nodes("pve1").qemu(101).config.get()
    assert "lock" not in config
    assert config["name"] == "vps-101"
    assert config["scsi0"] == "local-lvm:vm-101-disk-0,iothread=1,size=3G"
    assert sim.vm(101).lock is None
    assert api.cluster.nextid.get() == "102"


def test_a_failed_clone_task_removes_the_half_made_vm(sim: ProxmoxSimulator, api: ProxmoxAPI) -> None:
    sim.fail_next_task(task_type="qmclone", message="clone failed: storage 'local-lvm' is not online")

    done = wait(api, clone(api))

    assert done["status"] == "stopped"
    assert done["exitstatus"] == "clone failed: storage 'local-lvm' is not online"
    assert 101 not in sim.state.vms
    assert api.cluster.nextid.get() == "101"
    log = api.nodes("pve1").tasks(done["upid"]).log.get()
    assert log[-1] == {"n": len(log), "t": "TASK ERROR: clone failed: storage 'local-lvm' is not online"}


def test_clone_onto_an_existing_vmid_is_a_500_with_the_reason_in_the_status_line(api: ProxmoxAPI) -> None:
    with pytest.raises(ResourceException) as exists:
        clone(api, newid=100)

    assert exists.value.status_code == 500
    assert exists.value.content == "VM 100 already exists on node 'pve1'"


def test_billing_flow_config_resize_start_status_stop_delete(sim: ProxmoxSimulator, api: ProxmoxAPI) -> None:
    wait(api, clone(api))
    vm = api.nodes("pve1").qemu(101)

    assert (
        wait(api, vm.config.post(cores=4, memory=4096, ipconfig0="ip=203.0.113.7/24,gw=203.0.113.1"))["exitstatus"]
        == "OK"
    )
    assert wait(api, vm.resize.put(disk="scsi0", size="+7G"))["exitstatus"] == "OK"
    assert wait(api, vm.resize.put(disk="scsi0", size="5G"))["exitstatus"] == "shrinking disks is not supported"
    assert wait(api, vm.status.start.post())["exitstatus"] == "OK"
    current = vm.status.current.get()
    again = wait(api, vm.status.start.post())
    with pytest.raises(ResourceException) as running:
        vm.delete()
    assert wait(api, vm.status.stop.post())["exitstatus"] == "OK"
    destroyed = wait(api, vm.delete(purge=1, **{"destroy-unreferenced-disks": 1}))
    with pytest.raises(ResourceException) as repeat:
        vm.delete()

    assert current["status"] == "running"
    assert current["qmpstatus"] == "running"
    assert current["cpus"] == 4
    assert current["maxmem"] == 4096 * 1024 * 1024
    assert current["maxdisk"] == 10 * 1024**3
    assert again["exitstatus"] == "VM 101 already running"
    assert running.value.content == "VM 101 is running - destroy failed"
    assert destroyed["exitstatus"] == "OK"
    assert 101 not in sim.state.vms
    assert repeat.value.status_code == 500
    assert repeat.value.content == "Configuration file 'nodes/pve1/qemu-server/101.conf' does not exist"


def test_config_changes_on_a_running_vm_wait_for_the_next_stop(sim: ProxmoxSimulator, api: ProxmoxAPI) -> None:
    vm = api.nodes("pve1").qemu(100)

    vm.config.put(cores=8, memory=8192)

    assert vm.config.get()["cores"] == 8
    assert vm.config.get(current=1)["cores"] == 2
    assert vm.status.current.get()["cpus"] == 2
    wait(api, vm.status.stop.post())
    assert vm.config.get(current=1)["memory"] == "8192"
    assert sim.vm(100).pending == {}


def test_digest_guards_against_concurrent_config_edits(api: ProxmoxAPI) -> None:
    vm = api.nodes("pve1").qemu(100)
    digest = vm.config.get()["digest"]
    vm.config.put(cores=3, digest=digest)

    with pytest.raises(ResourceException) as stale:
        vm.config.put(cores=4, digest=digest)

    assert stale.value.content == "detected modified configuration - file changed by other user? Try again."


def test_parameter_verification_lists_every_bad_parameter(api: ProxmoxAPI) -> None:
    with pytest.raises(ResourceException) as invalid:
        api.nodes("pve1").qemu(100).config.put(cores="many", memory=8, colour="blue")
    with pytest.raises(ResourceException) as missing:
        api.nodes("pve1").qemu(9000).clone.post(name="no-newid")

    assert invalid.value.status_code == 400
    assert invalid.value.errors == {
        "cores": "type check ('integer') failed - got 'many'",
        "memory": "value must have a minimum value of 16",
        "colour": "property is not defined in schema and the schema does not allow additional properties",
    }
    assert missing.value.errors == {"newid": "property is missing and it is not optional"}


def test_authentication_failures_are_401_with_the_reason(sim: ProxmoxSimulator) -> None:
    with pytest.raises(ResourceException) as wrong:
        connect(sim, token_value="00000000-0000-0000-0000-000000000000").nodes.get()
    anonymous = requests.get(f"{sim.api_url}/nodes", timeout=5)

    assert wrong.value.status_code == 401
    assert wrong.value.content == "invalid token value!"
    assert anonymous.status_code == 401
    assert anonymous.reason == "No ticket"
    assert anonymous.json() == {"data": None, "message": "No ticket\n"}


def test_unknown_paths_nodes_and_vms(api: ProxmoxAPI, sim: ProxmoxSimulator) -> None:
    with pytest.raises(ResourceException) as path:
        api.nodes("pve1").qemu(100).snapshot.get()
    with pytest.raises(ResourceException) as node:
        api.nodes("pve9").qemu.get()
    with pytest.raises(ResourceException) as wrong_node:
        api.nodes("pve2").qemu(100).status.current.get()
    sim.set_node_online("pve2", False)
    with pytest.raises(ResourceException) as offline:
        api.nodes("pve2").qemu.get()

    assert path.value.status_code == 501
    assert path.value.content == "Method 'GET /nodes/pve1/qemu/100/snapshot' not implemented"
    assert node.value.status_code == 500
    assert wrong_node.value.content == "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist"
    assert offline.value.status_code == 595


def test_cluster_resources_for_reconciliation(api: ProxmoxAPI) -> None:
    wait(api, clone(api))

    resources = api.cluster.resources.get(type="vm")

    assert [(r["id"], r["node"], r["template"], r["status"]) for r in resources] == [
        ("qemu/100", "pve1", 0, "running"),
        ("qemu/101", "pve1", 0, "stopped"),
        ("qemu/9000", "pve1", 1, "stopped"),
        ("qemu/9001", "pve1", 1, "stopped"),
    ]


def test_http_faults_and_a_client_timeout(sim: ProxmoxSimulator) -> None:
    api = connect(sim, timeout=0.2)
    sim.clone_seconds = 5
    sim.fail_next(status=503, reason="service unavailable")
    with pytest.raises(ResourceException) as unavailable:
        api.nodes.get()
    sim.delay_next(0.5, path=r"/clone$", after=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        clone(api)

    assert unavailable.value.status_code == 503
    assert unavailable.value.content == "service unavailable"
    # The clone started although the answer never arrived: reconcile by vmid.
    assert sim.vm(101).lock == "clone"


def test_tls_with_a_self_signed_certificate_works_with_unpatched_proxmoxer() -> None:
    with ProxmoxSimulator(tls=True, clone_seconds=0.05, task_seconds=0.02) as sim:
        api = ProxmoxAPI(
            "127.0.0.1", port=sim.port, user=sim.user, token_name=sim.token_name, token_value=sim.token_value,
            verify_ssl=sim.cert_path, timeout=5,
        )  # fmt: skip

        assert sim.url.startswith("https://")
        assert wait(api, clone(api))["exitstatus"] == "OK"
        assert api.nodes("pve1").qemu.get()[1]["name"] == "vps-101"
