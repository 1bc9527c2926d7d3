"""``python -m hostkeep.integrations.yookassa.simulator --port 12114 --webhook-url http://.../yookassa/``"""

from __future__ import annotations

import sys

from hostkeep.integrations.gatewaysim.runner import base_parser, common_options, serve
from hostkeep.integrations.yookassa.simulator.simulator import DEFAULT_SECRET_KEY, DEFAULT_SHOP_ID, YooKassaSimulator


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("hostkeep.integrations.yookassa.simulator", "A local YooKassa API v3 (test shop).")
    parser.add_argument("--shop-id", default=DEFAULT_SHOP_ID)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--source-ip", default=None, help="a loopback address such as 127.0.0.2 to notify from")
    parser.add_argument("--forwarded-for", default=None, help="X-Forwarded-For to add, e.g. 185.71.76.5")
    arguments = parser.parse_args(argv)
    simulator = YooKassaSimulator(
        shop_id=arguments.shop_id,
        secret_key=arguments.secret_key,
        webhook_source_ip=arguments.source_ip,
        webhook_forwarded_for=arguments.forwarded_for,
        **common_options(arguments),
    ).start()
    for url in arguments.webhook_url:
        simulator.add_notification_url(url)
    notes = ["API base: URL/v3 (Basic shop_id:secret_key, Idempotence-Key on every POST)"]
    return serve(simulator, as_json=arguments.json, notes=notes)


if __name__ == "__main__":
    sys.exit(main())
