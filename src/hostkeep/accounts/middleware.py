"""Attaches ``request.actor`` (built lazily, once per request) for pages and the API."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from hostkeep.accounts.permissions import Actor
from hostkeep.accounts.selectors import actor_for_user

CUSTOMER_SESSION_KEY = "hostkeep_customer_id"


class ActorRequest(HttpRequest):
    """The request type of Hostkeep's pages: ActorMiddleware has attached the Actor."""

    actor: Actor


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; a proxy in front is expected to set it (e.g. gunicorn --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR") or None


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def build() -> object:
            return actor_for_user(
                getattr(request, "user", None),
                customer_id=request.session.get(CUSTOMER_SESSION_KEY) if hasattr(request, "session") else None,
                ip_address=client_ip(request),
            )

        request.actor = SimpleLazyObject(build)  # type: ignore[attr-defined]  # lazy stand-in for an Actor
        return self.get_response(request)
