"""``python -m hostkeep.integrations.pterodactyl.simulator --port 8081 --api-key ptla_...``"""

from __future__ import annotations

import argparse
import sys
import threading

from .panel import PterodactylSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Pterodactyl panel simulator until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--api-key", help="application key to accept (ptla_ + 43 chars); generated if omitted")
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every API call")
    parser.add_argument("--install-seconds", type=float, default=5.0, help="how long an install takes")
    parser.add_argument("--rate-limit", type=int, default=240, help="requests per minute per key owner")
    parser.add_argument("--seed", type=int, default=None, help="repeatable auto-deploy choices")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    simulator = PterodactylSimulator(
        args.host,
        args.port,
        args.latency_ms,
        api_key=args.api_key,
        install_seconds=args.install_seconds,
        rate_limit=args.rate_limit,
        seed=args.seed,
        verbose=args.verbose,
    )
    simulator.start()
    print(f"Pterodactyl simulator: {simulator.url}", flush=True)
    print(f"API key: {simulator.api_key}", flush=True)
    print(f"Servers page: {simulator.url}/   (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
