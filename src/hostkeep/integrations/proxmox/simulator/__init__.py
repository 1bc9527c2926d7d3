"""A standalone simulator of the Proxmox VE API subset a VPS biller uses (no Django, no Hostkeep).

    from hostkeep.integrations.proxmox.simulator import ProxmoxSimulator

See docs/simulators-panels.md for what it reproduces and how to drive it.
"""

from hostkeep.integrations.panelsim.httpd import Fault

from .simulator import ProxmoxSimulator
from .state import ProxmoxState, Task, VirtualMachine

__all__ = ["Fault", "ProxmoxSimulator", "ProxmoxState", "Task", "VirtualMachine"]
