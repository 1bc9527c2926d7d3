"""Helpers for the panel simulator tests: plain HTTP calls and the panel's error shapes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator


class Panel:
    """Plain HTTP against the Application API, for exact status codes, headers and bodies."""

    def __init__(self, sim: PterodactylSimulator, key: str | None = None) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key or sim.api_key}", "Accept": "application/json"})

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, f"{self.sim.url}/api/application{path}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


def server_body(user_id: int, **fields: Any) -> dict[str, Any]:
    """A complete create request for the Paper egg with auto-deploy in Frankfurt."""
    body: dict[str, Any] = {
        "name": "Paper server",
        "user": user_id,
        "egg": 1,
        "docker_image": "ghcr.io/pterodactyl/yolks:java_21",
        "startup": "java -jar {{SERVER_JARFILE}}",
        "environment": {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "latest", "MINECRAFT_VERSION": "1.21"},
        "limits": {"memory": 2048, "swap": 0, "disk": 10240, "io": 500, "cpu": 200},
        "feature_limits": {"databases": 1, "allocations": 2, "backups": 3},
        "deploy": {"locations": [1], "dedicated_ip": False, "port_range": []},
        "external_id": "svc-1",
    }
    body.update(fields)
    return body


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def error(code: str, status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "status": str(status), "detail": detail}]}


def rule_error(field: str, rule: str, detail: str) -> dict[str, Any]:
    return {
        "code": "ValidationException",
        "status": "422",
        "detail": detail,
        "meta": {"source_field": field, "rule": rule},
    }
