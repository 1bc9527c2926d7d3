"""``python -m hostkeep.integrations.proxmox.simulator --port 8006 --tls``"""

from __future__ import annotations

import argparse
import sys
import threading

from .simulator import ProxmoxSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Proxmox VE simulator until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8006)
    parser.add_argument("--tls", action="store_true", help="serve https with a self-signed certificate")
    parser.add_argument("--user", default="root@pam")
    parser.add_argument("--token-name", default="billing")
    parser.add_argument("--token-value", help="the token secret to accept; a UUID is generated if omitted")
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every API call")
    parser.add_argument("--clone-seconds", type=float, default=5.0)
    parser.add_argument("--task-seconds", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    simulator = ProxmoxSimulator(
        args.host,
        args.port,
        args.latency_ms,
        tls=args.tls,
        user=args.user,
        token_name=args.token_name,
        token_value=args.token_value,
        clone_seconds=args.clone_seconds,
        task_seconds=args.task_seconds,
        verbose=args.verbose,
    )
    simulator.start()
    print(f"Proxmox VE simulator: {simulator.api_url}", flush=True)
    print(f"Authorization: {simulator.authorization}", flush=True)
    if simulator.cert_path:
        print(f"Certificate (for verify_ssl): {simulator.cert_path}", flush=True)
    print("Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
