"""The demo's provisioning part: seeding twice changes nothing, the Minecraft product is sold
through the pterodactyl module, and both simulators start (and stop) as real HTTP servers."""

from __future__ import annotations

import pytest
import requests

from hostkeep.catalog.models import Product
from hostkeep.demo import provisioning as demo
from hostkeep.demo.seed import seed_demo
from hostkeep.provisioning.models import ModuleConnection

pytestmark = pytest.mark.django_db


def test_seeding_twice_adds_nothing_and_sells_minecraft_on_pterodactyl():
    seed_demo()
    seed_demo()
    connections = list(ModuleConnection.objects.order_by("name").values_list("name", "module"))
    assert connections == [("Proxmox VE (simulated)", "proxmox"), ("Pterodactyl (simulated)", "pterodactyl")]
    panel = ModuleConnection.objects.get(module="pterodactyl")
    assert panel.settings["base_url"] == "http://127.0.0.1:8111"
    assert panel.secrets == {"api_key": demo.PTERODACTYL_KEY}
    product = Product.objects.get(slug="minecraft-server")
    assert (product.module, product.module_settings["egg"]) == ("pterodactyl", 1)


def test_the_simulators_start_with_the_seeded_credentials(monkeypatch):
    monkeypatch.setattr(demo, "PTERODACTYL_PORT", 0)
    monkeypatch.setattr(demo, "PROXMOX_PORT", 0)
    from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator

    started: list[PterodactylSimulator] = []
    original = PterodactylSimulator.start

    def remember(self):
        started.append(self)
        return original(self)

    monkeypatch.setattr(PterodactylSimulator, "start", remember)
    stoppers = demo.start_simulators(site_url="http://127.0.0.1:8000")
    try:
        assert len(stoppers) == 2
        (panel,) = started
        answer = requests.get(
            f"{panel.url}/api/application/locations",
            headers={"Authorization": f"Bearer {demo.PTERODACTYL_KEY}", "Accept": "application/json"},
            timeout=5,
        )
        assert answer.status_code == 200
        assert requests.get(f"{panel.url}/", timeout=5).status_code == 200  # the page of servers
    finally:
        for stop in stoppers:
            stop()
