"""``python -m hostkeep.integrations.payfast.simulator --port 12113 --notify-url http://.../payfast/itn``"""

from __future__ import annotations

import sys

from hostkeep.integrations.gatewaysim.runner import base_parser, common_options, serve
from hostkeep.integrations.payfast.simulator.simulator import (
    DEFAULT_MERCHANT_ID,
    DEFAULT_MERCHANT_KEY,
    DEFAULT_PASSPHRASE,
    PayFastSimulator,
)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("hostkeep.integrations.payfast.simulator", "A local PayFast (form, ITN, validate, API).")
    parser.add_argument("--merchant-id", default=DEFAULT_MERCHANT_ID)
    parser.add_argument("--merchant-key", default=DEFAULT_MERCHANT_KEY)
    parser.add_argument("--passphrase", default=DEFAULT_PASSPHRASE, help="'' for an account without one")
    parser.add_argument("--sandbox", action="store_true", help="send each ITN once, like PayFast's sandbox")
    parser.add_argument("--itn-source-ip", default=None, help="a loopback address such as 127.0.0.2 to send ITNs from")
    arguments = parser.parse_args(argv)
    simulator = PayFastSimulator(
        merchant_id=arguments.merchant_id,
        merchant_key=arguments.merchant_key,
        passphrase=arguments.passphrase or None,
        sandbox=arguments.sandbox,
        default_notify_url=arguments.webhook_url[0] if arguments.webhook_url else None,
        webhook_source_ip=arguments.itn_source_ip,
        **common_options(arguments),
    ).start()
    notes = ["the form's notify_url wins over --webhook-url (the account's default notify URL)"]
    return serve(simulator, as_json=arguments.json, notes=notes)


if __name__ == "__main__":
    sys.exit(main())
