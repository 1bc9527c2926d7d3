"""YooKassa's error JSON and object ids."""

from __future__ import annotations

from typing import Any

from hostkeep.integrations.gatewaysim.identifiers import random_token, uuid4
from hostkeep.integrations.gatewaysim.server import SimulatorResponse

ERROR_CODES = {
    400: "invalid_request",
    401: "invalid_credentials",
    403: "forbidden",
    404: "not_found",
    405: "invalid_request",
    415: "invalid_request",
    429: "too_many_requests",
    500: "internal_server_error",
}


class YooKassaError(Exception):
    """``{"type":"error","id","code","description","parameter"?,"retry_after"?}``."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        code: str | None = None,
        parameter: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "internal_server_error")
        self.description = description
        self.parameter = parameter
        self.retry_after = retry_after

    def response(self) -> SimulatorResponse:
        body: dict[str, Any] = {"type": "error", "id": uuid4(), "code": self.code, "description": self.description}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return SimulatorResponse.json(self.status, body)


def new_object_id(kind: str = "000f") -> str:
    """YooKassa-style ids: ``22e12f66-000f-5000-8000-18db351245c7``."""
    hexdigits = "0123456789abcdef"
    return (
        f"{random_token(8, hexdigits)}-{kind}-5000-{random_token(1, '89ab')}{random_token(3, hexdigits)}-"
        f"{random_token(12, hexdigits)}"
    )
