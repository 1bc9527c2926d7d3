"""Retries for background jobs: django.tasks has none, so every job uses this one helper.

A job that meets a ``RetryableError`` re-enqueues itself with ``attempt + 1`` and a
``run_after`` that backs off exponentially (with jitter), up to ``max_attempts``; after that
the error is raised so the task result shows it as failed. Jobs must be idempotent: a retry,
or the same job enqueued twice, does no harm.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
from collections.abc import Callable
from typing import Any

from hostkeep.core import clock
from hostkeep.core.errors import RetryableError

logger = logging.getLogger(__name__)


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Delay before attempt ``attempt + 1``: base * 2^(attempt-1), capped, with ±20 % jitter."""
    delay = min(cap, base * (2 ** max(attempt - 1, 0)))
    jitter: float = random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    return float(delay * jitter)


def retry_later(task: Any, *, attempt: int, delay: float, kwargs: dict[str, Any]) -> Any:
    """Enqueue ``task`` again for attempt ``attempt + 1`` after ``delay`` seconds."""
    arguments = {**kwargs, "attempt": attempt + 1}
    if not task.get_backend().supports_defer:
        return task.enqueue(**arguments)
    run_after = clock.now() + dt.timedelta(seconds=delay)
    return task.using(run_after=run_after).enqueue(**arguments)


def with_retries(
    *, max_attempts: int = 6, base_seconds: float = 5.0, cap_seconds: float = 3600.0
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a job function (below ``@task``) taking keyword arguments and ``attempt``.

    The task is found again by its registered name, so the decorated function needs no
    reference to its own ``Task`` object.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return function(attempt=attempt, **kwargs)
            except RetryableError as error:
                if attempt >= max_attempts:
                    logger.warning("%s gave up after %s attempts: %s", function.__name__, attempt, error)
                    raise
                delay = error.retry_after or backoff_seconds(attempt, base=base_seconds, cap=cap_seconds)
                logger.info("%s attempt %s failed (%s); retrying in %.0fs", function.__name__, attempt, error, delay)
                module = __import__(function.__module__, fromlist=[function.__name__])
                retry_later(getattr(module, function.__name__), attempt=attempt, delay=delay, kwargs=kwargs)
                return {"retrying": True, "attempt": attempt, "error": error.message}

        return run

    return decorate
