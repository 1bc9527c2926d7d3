"""The same django.tasks job runs on every engine Hostkeep supports: the database backend
(the default), the immediate backend, and Celery over Redis with a real worker process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.tasks import TaskResultStatus

from hostkeep.core.tasks import core_echo

REPOSITORY = Path(__file__).resolve().parent.parent
# A Redis database of its own, so the PostgreSQL pass's cache (db 0) is never touched.
CELERY_REDIS_URL = os.environ.get("HOSTKEEP_TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/13")
PAYLOAD = {"invoice": "INV-2026-0001", "lines": [1, 2, 3], "note": "Ünïcode ✓"}

# The web side's Celery app in this test process, pointed at the same Redis as the worker.
celery_app = Celery("hostkeep-test-sender", set_as_current=False)
celery_app.conf.update(broker_url=CELERY_REDIS_URL, result_backend=CELERY_REDIS_URL, result_extended=True)

CELERY_TASKS = {
    "default": {
        "BACKEND": "django_tasks_celery.CeleryBackend",
        "QUEUES": [],
        "OPTIONS": {"CELERY_APP": "tests.test_task_backends.celery_app"},
    }
}


@pytest.mark.django_db
def test_database_backend_runs_the_job_in_a_worker(run_jobs, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
    result = core_echo.enqueue(value=PAYLOAD)
    assert result.status == TaskResultStatus.READY

    run_jobs()

    stored = core_echo.get_result(result.id)
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert stored.return_value == PAYLOAD
    assert stored.errors == []


def test_immediate_backend_runs_the_job_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}

    result = core_echo.enqueue(value=PAYLOAD)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == PAYLOAD


@dataclass(frozen=True)
class CeleryWorker:
    queue: str
    log: Path


def redis_problem(url: str) -> str | None:
    connection = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        return str(error)
    finally:
        connection.close()
    return None


@pytest.fixture
def celery_worker(tmp_path):
    """A real ``celery worker`` process on Hostkeep's Celery app, configured as production
    configures it (HOSTKEEP_TASKS=celery, REDIS_URL), listening on a queue of its own so
    that another run sharing the Redis cannot take its job."""
    problem = redis_problem(CELERY_REDIS_URL)
    if problem:
        pytest.fail(
            f"Redis is not reachable at {CELERY_REDIS_URL} ({problem}); the Celery engine test needs it. "
            "CI always runs Redis (redis-server --bind 127.0.0.1 --port 6379).",
            pytrace=False,
        )
    queue = f"hostkeep_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "HOSTKEEP_TASKS": "celery",
        "REDIS_URL": CELERY_REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "hostkeep.config.test_settings",
        "HOSTKEEP_DATA_DIR": str(tmp_path),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(  # noqa: S603 - a fixed command line of this interpreter
            [
                sys.executable,
                *("-m", "celery", "-A", "hostkeep.core.celery", "worker", "--queues", queue),
                *("--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"),
                f"--hostname={queue}@%h",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield CeleryWorker(queue=queue, log=log)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def test_celery_backend_runs_the_job_on_a_celery_worker(settings, celery_worker):
    settings.TASKS = CELERY_TASKS

    result = core_echo.using(queue_name=celery_worker.queue).enqueue(value=PAYLOAD)
    assert result.status == TaskResultStatus.READY

    deadline = time.monotonic() + 60
    while result.status in {TaskResultStatus.READY, TaskResultStatus.RUNNING} and time.monotonic() < deadline:
        time.sleep(0.2)
        result.refresh()  # a pending Celery result names no task yet, so poll the result itself

    assert result.status == TaskResultStatus.SUCCESSFUL, celery_worker.log.read_text()
    assert result.return_value == PAYLOAD
    stored = core_echo.get_result(result.id)
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert stored.return_value == PAYLOAD
    assert stored.kwargs == {"value": PAYLOAD}
    assert stored.worker_ids == [f"{celery_worker.queue}@{socket.gethostname()}"]
