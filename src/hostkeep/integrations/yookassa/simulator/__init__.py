"""A local YooKassa API v3 for tests, the demo and benchmarks; see ``docs/simulators.md``."""

from hostkeep.integrations.yookassa.simulator.errors import YooKassaError
from hostkeep.integrations.yookassa.simulator.payments import REASON_PARTIES
from hostkeep.integrations.yookassa.simulator.simulator import (
    DEFAULT_SECRET_KEY,
    DEFAULT_SHOP_ID,
    RETRY_SCHEDULE,
    YooKassaSimulator,
)

#: The address ranges YooKassa sends notifications from (the spec's list).
NOTIFICATION_NETWORKS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.154.128/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "2a02:5180::/32",
)

__all__ = [
    "DEFAULT_SECRET_KEY",
    "DEFAULT_SHOP_ID",
    "NOTIFICATION_NETWORKS",
    "REASON_PARTIES",
    "RETRY_SCHEDULE",
    "YooKassaError",
    "YooKassaSimulator",
]
