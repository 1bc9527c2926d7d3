# ruff: noqa: RUF001 - Russian wording
"""Security events of accounts, registered here because accounts sits below notifications
(it announces through the outbox and cannot import the catalogue). Critical: they cannot be
switched off entirely."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import ApiToken
from hostkeep.notifications.catalogue import (
    Audience,
    DefaultTemplate,
    EventCategory,
    EventDescription,
    EventType,
    event_type_register,
    payload_id,
)


def describe_api_token_created(payload: dict[str, Any]) -> EventDescription | None:
    token = ApiToken.objects.filter(pk=payload_id(payload, "token_id")).first()
    if token is None:
        return None
    return EventDescription(
        customer_id=token.customer_id,
        context={"token_name": token.name, "token_prefix": f"hk_{token.prefix}_", "created_at": token.created_at},
        link=reverse("portal:tokens") if token.customer_id else "",
        user_ids=(token.user_id,),
        key=f"account.api_token_created:{token.pk}",
    )


API_TOKEN_CREATED = EventType(
    topic="account.api_token_created",
    label=_("New API token"),
    category=EventCategory.SECURITY,
    audience=(Audience.USERS,),
    describe=describe_api_token_created,
    critical=True,
    sample={"token_name": "deploy bot", "token_prefix": "hk_1a2b3c4d_", "created_at": "2026-11-23 12:00 UTC"},
    templates={
        "en": DefaultTemplate(
            "New API token {{ token_name }}",
            "Hello {{ recipient_name }},\n\nan API token named {{ token_name }} ({{ token_prefix }}…) was created "
            "for your login at {{ created_at }}. If this was not you, revoke it and change your password."
            "\n\n{{ link }}",
        ),
        "ru": DefaultTemplate(
            "Новый API-токен {{ token_name }}",
            "Здравствуйте, {{ recipient_name }}!\n\nДля вашей учётной записи создан API-токен {{ token_name }} "
            "({{ token_prefix }}…) в {{ created_at }}. Если это были не вы, отзовите его и смените пароль."
            "\n\n{{ link }}",
        ),
        "es": DefaultTemplate(
            "Nuevo token de API {{ token_name }}",
            "Hola, {{ recipient_name }}:\n\nse creó un token de API llamado {{ token_name }} ({{ token_prefix }}…) "
            "para su cuenta el {{ created_at }}. Si no fue usted, revóquelo y cambie su contraseña.\n\n{{ link }}",
        ),
    },
)


def register() -> None:
    event_type_register(API_TOKEN_CREATED)
