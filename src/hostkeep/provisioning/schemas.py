"""Shapes of provisioning's endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ServerOut(Schema):
    state: str
    address: str
    remote_id: str
    resources: dict[str, Any]
    checked_at: datetime | None


class LinkOut(Schema):
    url: str


class PasswordOut(Schema):
    password: str


class ConnectionOut(Schema):
    id: int
    name: str
    module: str
    settings: dict[str, Any]
    is_active: bool
    last_test_at: datetime | None
    last_test_ok: bool | None
    last_test_message: str


class ConnectionTestOut(Schema):
    ok: bool
    message: str


class CallOut(Schema):
    occurred_at: datetime
    attempt: int
    method: str
    path: str
    status_code: int | None
    duration_ms: int
    error: str


class ActionOut(Schema):
    id: int
    kind: str
    status: str
    attempt: int
    last_error: str
    created_at: datetime
    finished_at: datetime | None
    calls: list[CallOut]

    @staticmethod
    def resolve_calls(action: Any) -> list[Any]:
        return list(action.calls.all())


class ReasonIn(Schema):
    reason: str = ""


class DriftOut(Schema):
    connection_id: int
    service_id: int | None
    kind: str
    remote_id: str
    billing_state: str
    remote_state: str
    found_at: datetime
