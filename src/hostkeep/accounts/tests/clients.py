"""Ways into the site for tests: a page session, and the API as a token holder or with that
session, so the same assertions run over both kinds of API authentication."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from hostkeep.accounts.models import User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def log_in(client: Client, user: User) -> Client:
    """A logged-in page session (the password and two-factor steps have their own tests)."""
    client.force_login(user, backend=MODEL_BACKEND)
    return client


class ApiClient:
    """Calls ``/api/v1/`` with ``Authorization: Bearer <token>``, or with the session already
    logged in on ``client`` when no token is given. Every call returns (status, JSON body)."""

    def __init__(self, client: Client, *, token: str | None = None, remote_addr: str = "127.0.0.1") -> None:
        self.client = client
        self.headers = {"authorization": f"Bearer {token}"} if token else {}
        self.remote_addr = remote_addr

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.client.generic(
            method,
            f"/api/v1/{path.lstrip('/')}",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=self.headers,
            REMOTE_ADDR=self.remote_addr,
        )
        content = response.content.decode()
        return response.status_code, json.loads(content) if content else None

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self.call("POST", path, body)

    def put(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self.call("PUT", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self.call("PATCH", path, body)

    def delete(self, path: str) -> tuple[int, Any]:
        return self.call("DELETE", path)
