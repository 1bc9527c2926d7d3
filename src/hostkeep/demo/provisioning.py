"""Demo data for provisioning (seeded by ``seed_demo``; every step finds what an earlier run made):
panel connections to the local Pterodactyl simulator (127.0.0.1:8111) and Proxmox simulator
(127.0.0.1:8112), and the demo's Minecraft product provisioned on Pterodactyl. ``hostkeep demo``
starts both simulators; open http://127.0.0.1:8111/ to watch servers appear and install."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hostkeep.catalog.models import Product
from hostkeep.provisioning.models import ModuleConnection

logger = logging.getLogger(__name__)

PTERODACTYL_PORT = 8111
PROXMOX_PORT = 8112
# Fixed demo credentials, so a second run of the demo still matches the seeded connections.
PTERODACTYL_KEY = "ptla_hkdemo00000" + "hostkeep-demo-panel-key-00000000"
PROXMOX_TOKEN = "00000000-0000-4000-8000-00000000d3m0".replace("d3m0", "0de0")
INSTALL_SECONDS = 8.0

PAPER_ENVIRONMENT = {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "latest"}
MINECRAFT_SETTINGS: dict[str, Any] = {
    "nest": 1,
    "egg": 1,
    "docker_image": "ghcr.io/pterodactyl/yolks:java_21",
    "startup": "java -Xms128M -Xmx{{SERVER_MEMORY}}M -Dterminal.jline=false -jar {{SERVER_JARFILE}}",
    "environment": {**PAPER_ENVIRONMENT, "MINECRAFT_VERSION": "latest"},
    "location_ids": [1],
    "port_range": ["25565-25600"],
    "oom_killer": False,
    "start_on_completion": True,
    "limits": {"disk": 20480, "cpu": 200, "io": 500, "swap": 0, "databases": 1, "backups": 0, "allocations": 1},
    "versions": {
        "paper:1.21": {"egg": 1, "environment": {**PAPER_ENVIRONMENT, "MINECRAFT_VERSION": "1.21"}},
        "vanilla:1.21": {"egg": 2, "environment": {"SERVER_JARFILE": "server.jar", "VANILLA_VERSION": "1.21"}},
        "forge:1.20.1": {"egg": 1, "environment": {**PAPER_ENVIRONMENT, "MINECRAFT_VERSION": "1.20.1"}},
        "bedrock:latest": {"egg": 1, "environment": {**PAPER_ENVIRONMENT, "MINECRAFT_VERSION": "latest"}},
    },
}


def seed() -> None:
    """The two panel connections and the Minecraft product's module (set once; staff may edit)."""
    base = f"http://127.0.0.1:{PTERODACTYL_PORT}"
    pterodactyl: dict[str, Any] = {
        "module": "pterodactyl",
        "settings": {"base_url": base, "panel_url": base},
        "secrets": {"api_key": PTERODACTYL_KEY},
        "timeout_seconds": 10.0,
    }
    proxmox: dict[str, Any] = {
        "module": "proxmox",
        "settings": {
            "host": "127.0.0.1",
            "port": PROXMOX_PORT,
            "scheme": "http",
            "user": "root@pam",
            "token_name": "billing",
            "task_poll_seconds": 0.5,
        },
        "secrets": {"token_value": PROXMOX_TOKEN},
    }
    ModuleConnection.objects.get_or_create(name="Pterodactyl (simulated)", defaults=pterodactyl)
    ModuleConnection.objects.get_or_create(name="Proxmox VE (simulated)", defaults=proxmox)
    Product.objects.filter(slug="minecraft-server", module="").update(
        module="pterodactyl", module_settings=MINECRAFT_SETTINGS
    )


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the Pterodactyl and Proxmox simulators as real HTTP servers in threads; returns
    their stop functions. A port already taken is reported and skipped."""
    del site_url  # the panels call nobody back
    from hostkeep.integrations.proxmox.simulator import ProxmoxSimulator
    from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator

    stoppers: list[Callable[[], None]] = []
    try:
        panel = PterodactylSimulator(
            port=PTERODACTYL_PORT, api_key=PTERODACTYL_KEY, install_seconds=INSTALL_SECONDS, rate_limit=1000
        ).start()
        stoppers.append(panel.stop)
        print(f"  Game panel (simulated Pterodactyl): {panel.url}/")
    except OSError as error:
        logger.warning("the Pterodactyl simulator could not start on %s: %s", PTERODACTYL_PORT, error)
    try:
        cluster = ProxmoxSimulator(port=PROXMOX_PORT, token_value=PROXMOX_TOKEN).start()
        stoppers.append(cluster.stop)
        print(f"  Proxmox VE (simulated):             {cluster.url}/")
    except OSError as error:
        logger.warning("the Proxmox simulator could not start on %s: %s", PROXMOX_PORT, error)
    return stoppers
