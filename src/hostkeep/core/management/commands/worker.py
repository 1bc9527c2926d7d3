"""``hostkeep worker``: runs background jobs with the configured engine.

With the database engine (the default) this is django-tasks-db's worker; start as many as
you like on as many machines as share the PostgreSQL database. With HOSTKEEP_TASKS=celery
it starts a Celery worker on the Redis broker. The job code is the same either way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background jobs (billing, provisioning, mail, notifications)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery only: worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS_ENGINE == "celery":
            from hostkeep.core.celery import app

            app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={options['concurrency']}"])
            return
        worker_options: dict[str, Any] = {"interval": options["interval"], "queue_name": "*"}
        if options["batch"]:
            worker_options["batch"] = True
        call_command("db_worker", reload=False, verbosity=options["verbosity"], **worker_options)
