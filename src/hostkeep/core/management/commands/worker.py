"""``hostkeep worker``: runs background jobs with the configured engine.

With the database engine (the default) this is django-tasks-db's worker; start as many as
you like on as many machines as share the PostgreSQL database, or ``--processes N`` to run N
of them from one command (one per core: jobs are Python, one core per process). With
HOSTKEEP_TASKS=celery it starts a Celery worker on the Redis broker. The job code is the same
either way.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hostkeep.core.workers import WorkerProcesses, database_worker, warm_up


class Command(BaseCommand):
    help = "Run background jobs (billing, provisioning, mail, notifications)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery only: worker processes.")
        parser.add_argument(
            "--processes", type=int, default=1, help="Database engine: worker processes to run (one per core)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS_ENGINE == "celery":
            from hostkeep.core.celery import app

            app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={options['concurrency']}"])
            return
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")
        if options["processes"] == 1:
            worker_options: dict[str, Any] = {"interval": options["interval"], "queue_name": "*"}
            if options["batch"]:
                worker_options["batch"] = True
            call_command("db_worker", reload=False, verbosity=options["verbosity"], **worker_options)
            return
        run = functools.partial(
            database_worker, interval=options["interval"], batch=options["batch"], verbosity=options["verbosity"]
        )
        warm_up()
        if WorkerProcesses(options["processes"], run, restart=not options["batch"]).run():
            raise CommandError("a worker process ended with an error")
