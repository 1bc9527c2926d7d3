"""``hostkeep demo``: migrate, seed the demo provider, print the logins, then serve the site
with a background worker and the scheduler on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from hostkeep.demo.seed import DEMO_PARTS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Set up demo data and run Hostkeep locally (web, worker, scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Only migrate and seed, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed_demo()
        port = options["port"]
        self.stdout.write(self.style.SUCCESS("Hostkeep demo data is ready."))
        self.stdout.write(f"  Site:      http://127.0.0.1:{port}/")
        self.stdout.write(f"  API docs:  http://127.0.0.1:{port}/api/v1/docs")
        self.stdout.write(f"  Password for every login below: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"    {login.email:32} {login.role}")
        if options["no_serve"]:
            return
        stoppers = [stop for part in DEMO_PARTS for stop in part.start_simulators(site_url=f"http://127.0.0.1:{port}")]
        children = [
            subprocess.Popen([sys.executable, "-m", "hostkeep", "worker"], env=os.environ.copy()),
            subprocess.Popen([sys.executable, "-m", "hostkeep", "scheduler"], env=os.environ.copy()),
        ]
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            for child in children:
                child.terminate()
            for stop in stoppers:
                stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
