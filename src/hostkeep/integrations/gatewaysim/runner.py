"""Command-line plumbing for ``python -m hostkeep.integrations.<gateway>.simulator``."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Sequence
from typing import Any

from hostkeep.integrations.gatewaysim.simulator import ONE_HOUR, GatewaySimulator


def base_parser(module: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--webhook-url",
        action="append",
        default=[],
        metavar="URL",
        help="where to deliver notifications (repeatable)",
    )
    parser.add_argument(
        "--retry-time-scale",
        type=float,
        default=1 / ONE_HOUR,
        help="seconds of real time per second of the gateway's retry back-off (default 1/3600: an hour is a second)",
    )
    parser.add_argument("--manual-delivery", action="store_true", help="queue notifications until /_sim/webhooks/send")
    parser.add_argument("--json", action="store_true", help="print the description as one JSON line")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def common_options(arguments: argparse.Namespace) -> dict[str, Any]:
    return {
        "host": arguments.host,
        "port": arguments.port,
        "retry_time_scale": arguments.retry_time_scale,
        "auto_deliver": not arguments.manual_delivery,
        "verbose": arguments.verbose,
    }


def serve(simulator: GatewaySimulator, *, as_json: bool, notes: Sequence[str] = ()) -> int:
    """Print where the simulator listens and what it accepts, then serve until Ctrl-C/SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    description: dict[str, Any] = {
        "gateway": simulator.name,
        "url": simulator.url,
        "credentials": simulator.credentials(),
        "webhooks": simulator.describe_webhooks(),
    }
    if as_json:
        print(json.dumps(description), flush=True)
    else:
        print(f"{simulator.name} simulator listening on {simulator.url}")
        for key, value in description["credentials"].items():
            print(f"  {key}: {value}")
        for endpoint in description["webhooks"]:
            print(f"  webhook: {json.dumps(endpoint)}")
        for note in notes:
            print(f"  {note}")
        print("  control: GET/POST /_sim, /_sim/faults, /_sim/webhooks[/send|/retry|/hold|/release]; Ctrl-C stops")
        print("", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0
