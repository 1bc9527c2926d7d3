"""``hostkeep scheduler``: enqueues the periodic jobs declared with ``@cron`` next to their
tasks. Run one per installation; with REDIS_URL set, a Redis lock makes sure only one of
several started schedulers is active."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Enqueue periodic jobs (billing run, mail polling, reconciliation) on their schedules."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("crontask", verbosity=options["verbosity"])
