"""Shared plumbing for the local payment-gateway simulators (standard library only).

Each gateway package (``stripe``, ``paypal``, ``payfast``, ``yookassa``) has a ``simulator``
package built on :class:`GatewaySimulator`; see ``docs/simulators.md``.
"""

from hostkeep.integrations.gatewaysim.clock import SimulatorClock
from hostkeep.integrations.gatewaysim.faults import Fault, FaultPlan
from hostkeep.integrations.gatewaysim.simulator import GatewaySimulator
from hostkeep.integrations.gatewaysim.webhooks import DeliveryAttempt

__all__ = ["DeliveryAttempt", "Fault", "FaultPlan", "GatewaySimulator", "SimulatorClock"]
