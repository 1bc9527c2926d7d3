"""Several job workers from one command: ``hostkeep worker --processes N``.

Python runs one thread at a time per process, so a machine's cores are used by processes, not
threads. ``WorkerProcesses`` forks N children from a parent that has loaded Django (and the URL
map, which e-mails need for their links) once; each child is a full django-tasks-db worker with
its own database connection and poll interval, claiming jobs with ``SELECT ... FOR UPDATE SKIP
LOCKED`` like any other worker on any other machine. The parent only watches: it starts a child
again if one dies, passes SIGTERM/SIGINT on once (a second one stops the children at once, as
with a single worker), and the children stop by themselves if the parent disappears.

Forking needs a POSIX system (Linux, macOS); elsewhere run several ``hostkeep worker``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

from django.db import connections

logger = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 1.0


def database_worker(*, interval: float, batch: bool = False, verbosity: int = 1) -> None:
    """Run django-tasks-db's worker loop in this process until told to stop (or, with
    ``batch``, until nothing is due). SIGTERM/SIGINT let the job under way finish and stop the
    loop at its next turn, never in the middle of a query; a second one stops at once."""
    from django_tasks_db.management.commands.db_worker import Worker

    level = logging.CRITICAL if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    for name in ("django_tasks_db", "django.tasks"):
        logging.getLogger(name).setLevel(level)
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=f"{socket.gethostname()[:40]}-{os.getpid()}",
        excluded_queue_names=[],
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        if not worker.running:
            raise SystemExit(1)
        worker.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run()


def warm_up() -> None:
    """Load what every job would otherwise load on its first run, once, before forking."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - imports every app's views and builds the URL map


def _leave_with_parent(parent_pid: int) -> None:
    """A child whose parent is gone (killed without passing the stop on) stops by itself."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child(target: Callable[[], None], parent_pid: int) -> None:
    os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the parent only, which passes it on once
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _leave_with_parent(parent_pid)
    try:
        target()
    finally:
        connections.close_all()


class WorkerProcesses:
    """N child processes each running ``target`` (by default the database worker loop)."""

    def __init__(self, count: int, target: Callable[[], None], *, restart: bool = True) -> None:
        if count < 1:
            raise ValueError("at least one worker process")
        self.count = count
        self.target = target
        self.restart = restart
        self.stopping = False
        self.children: list[multiprocessing.process.BaseProcess] = []
        self._context = multiprocessing.get_context("fork")

    def _spawn(self) -> multiprocessing.process.BaseProcess:
        child = self._context.Process(target=_child, args=(self.target, os.getpid()), daemon=False)
        child.start()
        return child

    def start(self) -> None:
        connections.close_all()  # each child opens its own; none may share the parent's socket
        self.children = [self._spawn() for _ in range(self.count)]

    def stop(self, *, timeout: float = 60.0) -> None:
        """Ask every child to finish its current job and stop; wait for them."""
        self.stopping = True
        self._signal_children(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            child.join(max(0.0, deadline - time.monotonic()))
        for child in self.children:
            if child.is_alive():
                child.kill()
                child.join()

    def _signal_children(self, signum: int) -> None:
        for child in self.children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signum)

    def run(self) -> int:
        """Start the children and supervise them until they have all stopped; returns the
        number of children that ended with an error."""
        received: list[int] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            received.append(signum)
            self.stopping = True
            self._signal_children(signal.SIGTERM)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            failed = 0
            while self.children:
                time.sleep(0.2)
                running = []
                for child in self.children:
                    if child.is_alive():
                        running.append(child)
                        continue
                    child.join()
                    crashed = child.exitcode not in (0, None) and not self.stopping
                    if crashed and self.restart:
                        logger.warning("worker process %s ended with %s; starting another", child.pid, child.exitcode)
                        time.sleep(RESTART_PAUSE_SECONDS)
                        running.append(self._spawn())
                        continue
                    failed += int(crashed)
                self.children = running
            return failed
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
