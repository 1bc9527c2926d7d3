"""proxmoxer, with a timeout, every call logged, errors sorted into retryable and terminal,
and task polling (a call that starts a task proves nothing until the task ends with OK).

proxmoxer hard-codes https; for a plain-http endpoint (the local simulator) the documented
``base_url`` override is used (``TOOLING.md``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from proxmoxer import ProxmoxAPI, ResourceException

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.provisioning.interface import CallLog, CallRecord


class ProxmoxRefused(TerminalError):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.http_status = status


class ProxmoxClient:
    def __init__(self, settings: dict[str, Any], token_value: str, *, timeout: float, log: CallLog) -> None:
        host = settings["host"]
        port = int(settings.get("port", 8006))
        self.api = ProxmoxAPI(
            host,
            port=port,
            user=settings["user"],
            token_name=settings["token_name"],
            token_value=token_value,
            verify_ssl=settings.get("verify_ssl", True),
            timeout=timeout,
        )
        if settings.get("scheme") == "http":
            self.api._store["base_url"] = f"http://{host}:{port}/api2/json"
        self.log = log
        self.poll_seconds = float(settings.get("task_poll_seconds", 1.0))
        self.task_timeout = float(settings.get("task_timeout_seconds", 300))

    def call(self, method: str, path: str, action: Callable[[], Any], params: dict[str, Any] | None = None) -> Any:
        started = time.monotonic()
        try:
            result = action()
        except ResourceException as error:
            self._record(method, path, error.status_code, started, params, error=str(error.content or error))
            message = f"{error.status_code} {error.status_message}: {error.content}"
            if error.status_code >= 500 and _business_error(str(error.content)) is False:
                raise RetryableError(f"Proxmox answered {message}") from error
            raise ProxmoxRefused(f"Proxmox refused {method} {path}: {message}", status=error.status_code) from error
        except requests.RequestException as error:
            self._record(method, path, None, started, params, error=f"{type(error).__name__}: {error}"[:500])
            raise RetryableError(f"Proxmox could not be reached ({method} {path}).") from error
        self._record(method, path, 200, started, params, response=repr(result)[:2000])
        return result

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        params: dict[str, Any] | None,
        *,
        response: str = "",
        error: str = "",
    ) -> None:
        safe = {k: ("***" if "password" in k else v) for k, v in (params or {}).items()}
        self.log.record(
            CallRecord(
                method=method,
                path=path,
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                request=safe or None,
                response=response,
                error=error,
            )
        )

    def wait_task(self, node: str, upid: str) -> None:
        """Poll the task until it stops; OK or a failed task (terminal); too long: retry later."""
        deadline = time.monotonic() + self.task_timeout
        while True:
            status = self.call(
                "GET", f"/nodes/{node}/tasks/{upid}/status", lambda: self.api.nodes(node).tasks(upid).status.get()
            )
            if status.get("status") == "stopped":
                exit_status = str(status.get("exitstatus", ""))
                if exit_status == "OK" or exit_status.startswith("WARNINGS"):
                    return
                raise TerminalError(f"Proxmox task {status.get('type')} failed: {exit_status}")
            if time.monotonic() >= deadline:
                raise RetryableError(f"Proxmox task {upid} is still running.")
            time.sleep(self.poll_seconds)


def _business_error(content: str) -> bool:
    """5xx that PVE uses for refusals a retry cannot fix (as opposed to an outage)."""
    lowered = content.lower()
    return any(
        marker in lowered
        for marker in ("already exists", "does not exist", "is running", "template", "no such cluster node")
    )
