"""``hostkeep bench <name> [options]``: the benchmarks, run by hand (results go to
bench/RESULTS.md). Each prints its figures on its last line, e.g.
``billing services=1000000 seconds=41.2 services_per_s=24271 peak_rss_mb=610 database=postgresql``.
``--database URL`` is read by the ``hostkeep`` command itself, before settings load."""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError

BENCHMARKS = {
    "billing": "hostkeep.bench.billing",
    "usage": "hostkeep.bench.usage",
    "provisioning": "hostkeep.bench.provisioning",
    "helpdesk": "hostkeep.bench.helpdesk",
    "documents": "hostkeep.bench.documents",
}


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("--services", type=int, default=10_000)
        parser.add_argument("--records", type=int, default=100_000)
        parser.add_argument("--naive", type=int, default=10_000, help="billing: services for the naive ORM loop")
        parser.add_argument("--orders", type=int, default=1_000, help="provisioning: paid orders to provision")
        parser.add_argument(
            "--latency-ms", type=int, default=200, help="provisioning: simulated panel latency per call"
        )
        parser.add_argument("--workers", type=int, default=0, help="provisioning: job workers (0 = the default count)")
        parser.add_argument("--messages", type=int, default=100_000, help="helpdesk: ticket messages to search over")
        parser.add_argument("--count", type=int, default=100, help="documents: PDFs to render")
        parser.add_argument("--database", default="", help="DATABASE_URL to run against (a scratch database!)")
        parser.add_argument("--keep", action="store_true", help="Keep the generated data.")

    def handle(self, *args: Any, **options: Any) -> None:
        module_name = BENCHMARKS.get(options["name"])
        if module_name is None:
            raise CommandError(f"unknown benchmark {options['name']!r}")
        module = importlib.import_module(module_name)
        line = module.run(stdout=self.stdout, **options)
        self.stdout.write(line)
