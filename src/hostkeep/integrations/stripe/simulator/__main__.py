"""``python -m hostkeep.integrations.stripe.simulator --port 12111 --webhook-url http://.../stripe/``"""

from __future__ import annotations

import sys

from hostkeep.integrations.gatewaysim.runner import base_parser, common_options, serve
from hostkeep.integrations.stripe.simulator.simulator import DEFAULT_SECRET_KEY, StripeSimulator


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("hostkeep.integrations.stripe.simulator", "A local Stripe (v1 API, test mode).")
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--webhook-secret", default=None, help="whsec_... to sign with (default: generated)")
    arguments = parser.parse_args(argv)
    simulator = StripeSimulator(secret_key=arguments.secret_key, **common_options(arguments)).start()
    for url in arguments.webhook_url:
        simulator.add_webhook_endpoint(url, secret=arguments.webhook_secret)
    notes = [
        "SDK: stripe.StripeClient(secret_key, base_addresses={'api': URL}, max_network_retries=0)",
        "test methods: pm_card_visa, pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, "
        "pm_card_authenticationRequired, pm_sim_delayed, ...",
    ]
    return serve(simulator, as_json=arguments.json, notes=notes)


if __name__ == "__main__":
    sys.exit(main())
