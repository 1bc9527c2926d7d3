"""A local PayPal REST API for tests, the demo and benchmarks; see ``docs/simulators.md``."""

from hostkeep.integrations.paypal.simulator.signing import crc32_decimal, message_to_sign, verify_offline
from hostkeep.integrations.paypal.simulator.simulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    RETRY_SCHEDULE,
    PayPalSimulator,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "RETRY_SCHEDULE",
    "PayPalSimulator",
    "crc32_decimal",
    "message_to_sign",
    "verify_offline",
]
