"""API authentication: a personal token (``Authorization: Bearer hk_...``) or the page
session (with CSRF). Either way ``request.auth`` is the Actor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from hostkeep.accounts.actions import api_token_authenticate
from hostkeep.accounts.middleware import client_ip


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return api_token_authenticate(raw=token, ip_address=client_ip(request))


class SessionAuth(APIKeyCookie):
    """The page session; unsafe methods need the CSRF token like any form."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = request.actor  # type: ignore[attr-defined]
            if actor.is_staff or actor.is_customer:
                return actor
        return None


AUTHENTICATION = [TokenAuth(), SessionAuth()]
