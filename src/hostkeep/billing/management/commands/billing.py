"""``hostkeep billing run [--at ISO] [--customers LO:HI]``: the billing run from a terminal,
with a progress bar; the scheduled job runs the same code."""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hostkeep.billing.run import billing_run, due_customer_range
from hostkeep.core import clock


class Command(BaseCommand):
    help = "Billing operations: 'run' renews due services, rates usage, invoices and moves dunning."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("operation", choices=["run"])
        parser.add_argument("--at", default="", help="The instant to bill for (ISO 8601); default now.")
        parser.add_argument("--customers", default="", help="Only customers with ids in LO:HI (for splitting).")
        parser.add_argument("--chunk", type=int, default=2000, help="Customers per transaction.")
        parser.add_argument("--run-key", default="", help="Name of the run (default: a fresh one).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            at = dt.datetime.fromisoformat(options["at"]) if options["at"] else clock.now()
        except ValueError:
            raise CommandError("--at: expected an ISO 8601 instant such as 2026-12-01T01:00:00+02:00") from None
        if at.tzinfo is None:
            raise CommandError("--at: give a time zone offset, e.g. +02:00")
        customers = None
        if options["customers"]:
            try:
                lo, hi = (int(part) for part in options["customers"].split(":"))
            except ValueError:
                raise CommandError("--customers: expected LO:HI, e.g. 1:50000") from None
            customers = (lo, hi)
        span = customers or due_customer_range(at) or (0, 0)
        width = max(span[1] - span[0], 1)
        interactive = sys.stdout.isatty()
        started = time.monotonic()

        def progress(done: int) -> None:
            if interactive:
                filled = int(30 * done / width)
                sys.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * done // width:3d}%")
                sys.stdout.flush()

        run = billing_run(
            at=at,
            customers=customers,
            chunk_customers=options["chunk"],
            run_key=options["run_key"] or None,
            progress=progress,
        )
        if interactive:
            sys.stdout.write("\n")
        seconds = time.monotonic() - started
        self.stdout.write(
            f"billing run {run.key} at={at.isoformat()} renewed={run.services_renewed} "
            f"invoices={run.invoices_issued} paid_from_balance={run.paid_from_balance} "
            f"suspended={run.suspended} terminated={run.terminated} seconds={seconds:.1f}"
        )
