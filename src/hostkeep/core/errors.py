"""One error hierarchy for the whole product, mapped to one JSON shape by the API and pages.

Actions raise these; views and endpoints never invent their own. ``code`` is stable and
machine-readable, ``message`` is translated text for people.
"""

from __future__ import annotations

from typing import Any


class HostkeepError(Exception):
    """Base of every expected refusal. ``status`` is the HTTP status it maps to."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = {key: [str(item) for item in value] for key, value in self.fields.items()}
        return {"error": body}


class ValidationFailed(HostkeepError):
    status = 422
    code = "validation_failed"


class NotFound(HostkeepError):
    """Also raised for objects that exist but belong to someone else, so ids leak nothing."""

    status = 404
    code = "not_found"


class PermissionRefused(HostkeepError):
    status = 403
    code = "permission_denied"


class Conflict(HostkeepError):
    status = 409
    code = "conflict"


class RetryableError(HostkeepError):
    """A remote call failed in a way that may succeed later (network, 5xx, 429)."""

    status = 503
    code = "retry_later"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TerminalError(HostkeepError):
    """A remote call failed in a way a retry cannot fix (4xx, bad data)."""

    status = 502
    code = "remote_refused"
