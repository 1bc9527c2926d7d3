"""A standalone simulator of Pterodactyl Panel's Application API (no Django, no Hostkeep).

    from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator

    with PterodactylSimulator(install_seconds=0.2) as sim:
        client = PterodactylClient(sim.url, sim.api_key, retries=0)

See docs/simulators-panels.md for what it reproduces and how to drive it.
"""

from hostkeep.integrations.panelsim.httpd import Fault

from .panel import PterodactylSimulator
from .state import READ, WRITE, PanelState

__all__ = ["READ", "WRITE", "Fault", "PanelState", "PterodactylSimulator"]
