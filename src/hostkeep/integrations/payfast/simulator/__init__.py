"""A local PayFast for tests, the demo and benchmarks; see ``docs/simulators.md``."""

from hostkeep.integrations.payfast.simulator.signature import (
    CHECKOUT_FIELD_ORDER,
    api_signature,
    checkout_parameter_string,
    checkout_signature,
    itn_parameter_string,
    itn_signature,
    php_urlencode,
)
from hostkeep.integrations.payfast.simulator.simulator import (
    DEFAULT_MERCHANT_ID,
    DEFAULT_MERCHANT_KEY,
    DEFAULT_PASSPHRASE,
    RETRY_SCHEDULE,
    PayFastSimulator,
)

__all__ = [
    "CHECKOUT_FIELD_ORDER",
    "DEFAULT_MERCHANT_ID",
    "DEFAULT_MERCHANT_KEY",
    "DEFAULT_PASSPHRASE",
    "RETRY_SCHEDULE",
    "PayFastSimulator",
    "api_signature",
    "checkout_parameter_string",
    "checkout_signature",
    "itn_parameter_string",
    "itn_signature",
    "php_urlencode",
]
