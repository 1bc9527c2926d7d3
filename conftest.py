"""Shared test fixtures: people and accounts, a job runner, and Playwright on Debian's chromium."""

from __future__ import annotations

import os

import pytest
from django.db import connection

# Fixtures shared by an app's tests and the cross-app scenarios in tests/ (rewritten asserts).
pytest_plugins = ["hostkeep.provisioning.tests.fixtures"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    return {"executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    on_postgresql = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    for item in items:
        if "postgresql" in item.keywords and not on_postgresql:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-only; runs in CI's second pass"))


@pytest.fixture
def run_jobs(monkeypatch):
    """Run every background job that is due now, the way ``hostkeep worker --batch`` does.

    The worker closes stale connections between jobs; inside a test's transaction that would
    close the test's own connection, so that one step is switched off here.
    """
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()

    return run


@pytest.fixture
def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def owner_a(db):
    from hostkeep.accounts.tests.factories import ContactFactory

    return ContactFactory(customer__name="Alpha Games")


@pytest.fixture
def owner_b(db):
    from hostkeep.accounts.tests.factories import ContactFactory

    return ContactFactory(customer__name="Beta Blocks")


@pytest.fixture
def admin(db):
    from hostkeep.accounts.tests.factories import StaffFactory

    return StaffFactory()


_dropped_triggers: list[str] = []


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return "transactional_db" in request.fixturenames or "live_server" in request.fixturenames


@pytest.fixture(autouse=True)
def _append_only_triggers_survive_flush(request):
    """Transactional tests end with a flush (DELETE FROM every table) on SQLite, which the
    append-only triggers refuse. Lift them just for the flush; every later test that uses
    the database puts them back first (inside its own transaction where it has one)."""
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for statement in _dropped_triggers:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    transactional = _is_transactional(request)
    if transactional:
        _dropped_triggers.clear()
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%append-only%'")
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
                _dropped_triggers.append(sql)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def one_request_at_a_time(monkeypatch):
    """The live server answers one request at a time. On SQLite the test database lives in
    memory and the live server's threads share its one connection (with the test's own job
    runner), while pages ask for prices as the customer types; a real server gives each thread
    its own connection."""
    import threading

    from django.core.handlers.wsgi import WSGIHandler

    lock = threading.Lock()
    serve = WSGIHandler.__call__

    def serialised(self, environ, start_response):
        with lock:
            return serve(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", serialised)
