"""django-axes needs the attempted login name; allauth posts it as ``login`` or passes ``email``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_from_request(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    credentials = credentials or {}
    for key in ("email", "username", "login"):
        value = credentials.get(key)
        if value:
            return str(value).strip().lower()
    posted = request.POST.get("login", "") if request is not None and request.method == "POST" else ""
    return posted.strip().lower()
