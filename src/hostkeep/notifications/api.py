"""Notifications endpoints: the caller's own in-app notifications and preferences
(``customer_router``) and the staff delivery log (``staff_router``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.core.errors import ValidationFailed
from hostkeep.notifications import actions, selectors
from hostkeep.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    PreferenceIn,
    PreferenceOut,
    ReadIn,
    ReadOut,
    UnreadOut,
)

customer_router = Router()
staff_router = Router()


def _user(request: HttpRequest) -> Any:
    user = request.auth.user  # type: ignore[attr-defined]
    if user is None:
        raise ValidationFailed("Only a person has notifications.")
    return user


@customer_router.get("/", response=list[NotificationOut])
@paginate(LimitOffsetPagination)
def notifications(request: HttpRequest) -> Any:
    return selectors.inbox_for_user(_user(request))


@customer_router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.unread_count(_user(request))}


@customer_router.post("/read", response=ReadOut)
def read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    return {"marked": actions.notifications_mark_read(user=_user(request), delivery_ids=payload.ids)}


@customer_router.get("/preferences", response=list[PreferenceOut])
def preferences(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"category": row.category, "channel": channel.name, "enabled": enabled, "critical": row.critical}
        for row in selectors.preferences_for_user(_user(request))
        for channel, enabled in row.cells
    ]


@customer_router.put("/preferences", response=list[PreferenceOut])
def preferences_save(request: HttpRequest, payload: list[PreferenceIn]) -> list[dict[str, Any]]:
    actions.preferences_save(
        actor=request.auth,  # type: ignore[attr-defined]
        choices={(item.category, item.channel): item.enabled for item in payload},
    )
    return preferences(request)


@staff_router.get("/deliveries", response=list[DeliveryOut])
@paginate(LimitOffsetPagination)
def deliveries(request: HttpRequest, status: str = "", channel: str = "", topic: str = "") -> Any:
    return selectors.deliveries_for_staff(request.auth, status=status, channel=channel, topic=topic)  # type: ignore[attr-defined]
