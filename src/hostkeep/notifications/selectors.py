"""Reads of notifications: a person's in-app messages and preferences, and the staff views
(delivery log, templates with preview, endpoints, allow-list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.choices import Language
from hostkeep.accounts.models import User
from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.core.errors import PermissionRefused
from hostkeep.notifications import rendering
from hostkeep.notifications.catalogue import EVENT_TYPES, EventCategory, EventType, critical_categories
from hostkeep.notifications.channels import Channel, channel_get, personal_channels
from hostkeep.notifications.messages import Rendered, context_for, render_message
from hostkeep.notifications.models import AllowedHost, ChannelAccount, Delivery, Endpoint, MessageTemplate, Preference

CATEGORY_LABELS = {
    EventCategory.ACCOUNT: _("Account"),
    EventCategory.SECURITY: _("Security"),
    EventCategory.BILLING: _("Billing"),
    EventCategory.SERVICES: _("Services"),
    EventCategory.SUPPORT: _("Support"),
    EventCategory.DOCUMENTS: _("Documents"),
}


def actor_user(actor: Actor) -> User:
    """The person behind an actor: notifications belong to people, not to tokens or jobs."""
    if actor.user is None:
        raise PermissionRefused(str(_("This needs a login.")))
    return actor.user


def inbox_for_user(user: User) -> QuerySet[Delivery]:
    """A person's in-app messages, newest first (across every account they belong to)."""
    return (
        Delivery.objects.filter(user=user, channel="inapp")
        .select_related("notification")
        .order_by("-created_at", "-id")
    )


def unread_count(user: User) -> int:
    return Delivery.objects.filter(user=user, channel="inapp", read_at__isnull=True).count()


@dataclass(frozen=True)
class PreferenceRow:
    category: str
    label: str
    critical: bool
    cells: list[tuple[Channel, bool]]


def preferences_for_user(user: User) -> list[PreferenceRow]:
    """The preference grid: every category against every personal channel set up."""
    stored = {(p.category, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    available = [c for c in personal_channels() if c.available()]
    critical = critical_categories()
    return [
        PreferenceRow(
            category=category.value,
            label=str(CATEGORY_LABELS[category]),
            critical=category in critical,
            cells=[(c, stored.get((category.value, c.name), c.default_enabled)) for c in available],
        )
        for category in EventCategory
    ]


def event_types_sorted() -> list[EventType]:
    return sorted(EVENT_TYPES.values(), key=lambda e: (e.category, e.topic))


def deliveries_for_staff(actor: Actor, *, status: str = "", channel: str = "", topic: str = "") -> QuerySet[Delivery]:
    """The delivery log: every message, with who, where, status and why."""
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    rows = Delivery.objects.select_related("notification", "user", "endpoint").order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if topic:
        rows = rows.filter(notification__topic=topic)
    return rows


def template_for_staff(actor: Actor, *, topic: str, channel: str, language: str) -> MessageTemplate | None:
    actor.require(StaffPermission.MANAGE_CATALOG)
    return MessageTemplate.objects.filter(topic=topic, channel=channel, language=language).first()


def template_preview(
    *,
    topic: str,
    channel: str,
    language: str,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str = "",
    recipient_name: str = "Thabo Mokoena",
) -> Rendered:
    """Render an event's sample values through a template (the stored one, or the text being
    edited) exactly as a delivery would."""
    event_type = EVENT_TYPES.get(topic)
    staff_template = None
    if subject is not None and body_text is not None:
        staff_template = MessageTemplate(subject=subject, body_text=body_text, body_html=body_html)
    else:
        staff_template = MessageTemplate.objects.filter(topic=topic, channel=channel, language=language).first()
    sample: dict[str, Any] = event_type.sample if event_type else {}
    context = context_for(
        event_type,
        topic,
        rendering.plain_context(sample),
        recipient_name=recipient_name,
        language=language,
        link="/portal/",
    )
    return render_message(
        event_type=event_type,
        channel=channel_get(channel),
        language=language,
        context=context,
        staff_template=staff_template,
    )


def templates_overview(actor: Actor) -> list[dict[str, Any]]:
    """Every event with which (channel, language) pairs staff have rewritten."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    edited: dict[str, set[tuple[str, str]]] = {}
    for topic, channel, language in MessageTemplate.objects.values_list("topic", "channel", "language"):
        edited.setdefault(topic, set()).add((channel, language))
    return [
        {"event": event, "edited": sorted(edited.get(event.topic, set())), "languages": Language.values}
        for event in event_types_sorted()
    ]


def endpoints_for_staff(actor: Actor) -> QuerySet[Endpoint]:
    actor.require(StaffPermission.MANAGE_CATALOG)
    return Endpoint.objects.all()


def channel_accounts_for_staff(actor: Actor) -> dict[str, ChannelAccount]:
    actor.require(StaffPermission.MANAGE_CATALOG)
    return {account.channel: account for account in ChannelAccount.objects.all()}


def allowed_hosts_for_staff(actor: Actor) -> QuerySet[AllowedHost]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    return AllowedHost.objects.select_related("created_by")
