"""A thin client of Pterodactyl's Application API (``/api/application``): one request with a
timeout, the panel's error envelope turned into our two kinds of error, every call reported
to the call log with secrets left out.

* network errors, timeouts, 5xx and 429 -> ``RetryableError`` (429 carries ``Retry-After``);
* 4xx -> ``PanelRefused`` (a ``TerminalError``) with the panel's ``errors[]`` kept, so callers
  branch on ``source_field`` + ``rule`` (and 404 -> ``PanelNotFound``), never on wording.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.provisioning.interface import CallLog, CallRecord

_sessions = threading.local()
REDACTED = ("password",)


def _session() -> requests.Session:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = requests.Session()
        _sessions.session = session
    return session


class PanelRefused(TerminalError):
    """The panel answered 4xx; ``errors`` is its ``errors[]`` list."""

    def __init__(self, message: str, *, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.http_status = status
        self.errors = errors

    def has(self, *, field: str | None = None, rule: str | None = None, code: str | None = None) -> bool:
        for error in self.errors:
            meta = error.get("meta") or {}
            if field is not None and meta.get("source_field") != field:
                continue
            if rule is not None and meta.get("rule") != rule:
                continue
            if code is not None and error.get("code") != code:
                continue
            return True
        return False


class PanelNotFound(PanelRefused):
    """404: no such object (or route)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def _redact(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: ("***" if key in REDACTED else _redact(value)) for key, value in body.items()}
    return body


class PterodactylClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float, log: CallLog) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.log = log

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Answer:
        url = f"{self.base_url}/api/application{path}"
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        started = time.monotonic()
        logged_path = path + (f"?{requests.compat.urlencode(params)}" if params else "")
        try:
            response = _session().request(
                method,
                url,
                params=params,
                data=json.dumps(body) if body is not None else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            self.log.record(
                CallRecord(
                    method=method,
                    path=logged_path,
                    status=None,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    request=_redact(body),
                    error=f"{type(error).__name__}: {error}"[:500],
                )
            )
            kind = "timed out" if isinstance(error, requests.Timeout) else "could not be reached"
            raise RetryableError(f"The panel {kind} ({method} {path}).") from error
        text = response.text
        self.log.record(
            CallRecord(
                method=method,
                path=logged_path,
                status=response.status_code,
                duration_ms=int((time.monotonic() - started) * 1000),
                request=_redact(body),
                response=text[:4000],
            )
        )
        try:
            decoded = response.json() if text.strip() else None
        except ValueError:
            decoded = None
        status = response.status_code
        if status < 300:
            return Answer(status, decoded)
        errors = decoded.get("errors", []) if isinstance(decoded, dict) else []
        detail = "; ".join(str(e.get("detail", "")) for e in errors if isinstance(e, dict)) or text[:200]
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            raise RetryableError(
                f"The panel is rate limiting us ({method} {path}).",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if status >= 500 or status in (408, 409) or (300 <= status < 400):
            raise RetryableError(f"The panel answered {status} to {method} {path}: {detail}")
        if status == 404:
            raise PanelNotFound(f"Not found on the panel: {path}", status=status, errors=errors)
        raise PanelRefused(f"The panel refused {method} {path} ({status}): {detail}", status=status, errors=errors)
