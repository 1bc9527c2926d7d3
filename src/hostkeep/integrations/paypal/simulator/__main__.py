"""``python -m hostkeep.integrations.paypal.simulator --port 12112 --webhook-url http://.../paypal/``"""

from __future__ import annotations

import sys

from hostkeep.integrations.gatewaysim.runner import base_parser, common_options, serve
from hostkeep.integrations.paypal.simulator.simulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PayPalSimulator


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("hostkeep.integrations.paypal.simulator", "A local PayPal REST API (sandbox).")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    arguments = parser.parse_args(argv)
    simulator = PayPalSimulator(
        client_id=arguments.client_id, client_secret=arguments.client_secret, **common_options(arguments)
    ).start()
    for url in arguments.webhook_url:
        simulator.add_webhook(url)
    notes = [
        "token: POST /v1/oauth2/token (Basic client_id:secret, grant_type=client_credentials)",
        "webhook ids above are the webhook_id for signature verification; allow the cert host 127.0.0.1",
    ]
    return serve(simulator, as_json=arguments.json, notes=notes)


if __name__ == "__main__":
    sys.exit(main())
