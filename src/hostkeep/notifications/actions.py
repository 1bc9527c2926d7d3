"""Writes of notifications: recording an occurrence with its deliveries, sending one
delivery, reading, preferences, staff's templates, endpoints, channel accounts and the
private-host allow-list."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole, Language
from hostkeep.accounts.models import Contact, StaffMember, User
from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.core import clock
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import NotFound, RetryableError, TerminalError, ValidationFailed
from hostkeep.notifications import rendering
from hostkeep.notifications.addresses import normalise_host
from hostkeep.notifications.catalogue import (
    EVENT_TYPES,
    Audience,
    EventCategory,
    EventDescription,
    EventType,
    critical_categories,
)
from hostkeep.notifications.channels import Channel, channel_get, channels, personal_channels
from hostkeep.notifications.choices import OPEN_DELIVERY_STATUSES, DeliveryStatus, EndpointKind
from hostkeep.notifications.messages import context_for, render_message
from hostkeep.notifications.models import (
    AllowedHost,
    ChannelAccount,
    Delivery,
    Endpoint,
    MessageTemplate,
    Notification,
    Preference,
    UserAddress,
)

ALWAYS_ON_FOR_CRITICAL = ("inapp", "email")


def occurrence_key(topic: str, payload: dict[str, Any], description: EventDescription, event_id: int | None) -> str:
    if description.key:
        return description.key[:200]
    if event_id is not None:
        return f"outbox:{event_id}"
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()
    return f"{topic}:{digest}"


def audience_user_ids(event_type: EventType, description: EventDescription) -> set[int]:
    """The people an event goes to: contacts by role (owners count as every role), staff by
    role, and the people the description names."""
    ids: set[int] = set()
    contact_roles = {str(a).split(":", 1)[1] for a in event_type.audience if str(a).startswith("contact:")}
    if contact_roles and description.customer_id is not None:
        ids |= set(
            Contact.objects.filter(
                customer_id=description.customer_id, role__in=contact_roles | {ContactRole.OWNER}
            ).values_list("user_id", flat=True)
        )
    staff_roles = {str(a).split(":", 1)[1] for a in event_type.audience if str(a).startswith("staff:")}
    if staff_roles:
        ids |= set(StaffMember.objects.filter(role__in=staff_roles, is_active=True).values_list("user_id", flat=True))
    if Audience.USERS in event_type.audience:
        ids |= set(description.user_ids)
    return ids


def channels_for(channel_list: list[Channel], preferences: dict[str, bool], *, critical: bool) -> list[Channel]:
    """The personal channels one person gets one category on. A critical event always keeps
    in-app, whatever the stored preferences say."""
    chosen = [c for c in channel_list if preferences.get(c.name, c.default_enabled)]
    if critical and not any(c.name in ALWAYS_ON_FOR_CRITICAL for c in chosen):
        chosen += [c for c in channel_list if c.name == "inapp"]
    return chosen


def notification_record(*, topic: str, payload: dict[str, Any], event_id: int | None = None) -> Notification | None:
    """Record one occurrence of a catalogue event and a delivery per recipient and channel;
    in-app messages are there at once, the others are sent by a job each after commit.
    Returns None when the event is not in the catalogue, says there is nothing to send, or
    this occurrence was recorded before (nothing is sent twice)."""
    event_type = EVENT_TYPES.get(topic)
    if event_type is None:
        return None
    description = event_type.describe(payload)
    if description is None:
        return None
    now = clock.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=occurrence_key(topic, payload, description, event_id),
                topic=topic,
                category=event_type.category,
                critical=event_type.critical,
                customer_id=description.customer_id,
                context=rendering.plain_context(description.context),
                link=description.link,
                attachments=[vars(a) for a in description.attachments],
                created_at=now,
            )
    except IntegrityError:
        return None
    templates = {(t.channel, t.language): t for t in MessageTemplate.objects.filter(topic=topic)}
    deliveries: list[Delivery] = []

    def add(channel: Channel, *, recipient_key: str, address: str, language: str, name: str, **target: Any) -> None:
        if language not in Language.values:
            language = Language.ENGLISH
        rendered = render_message(
            event_type=event_type,
            channel=channel,
            language=language,
            context=context_for(
                event_type, topic, notification.context, recipient_name=name, language=language, link=notification.link
            ),
            staff_template=templates.get((channel.name, language)),
        )
        deliveries.append(
            Delivery(
                notification=notification,
                channel=channel.name,
                recipient_key=recipient_key,
                address=address[:254],
                language=language,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                status=DeliveryStatus.SENT if channel.immediate else DeliveryStatus.PENDING,
                sent_at=now if channel.immediate else None,
                created_at=now,
                **target,
            )
        )

    users = list(User.objects.filter(pk__in=audience_user_ids(event_type, description), is_active=True).order_by("pk"))
    stored: dict[tuple[int, str], bool] = {
        (user_id, channel): enabled
        for user_id, channel, enabled in Preference.objects.filter(
            user__in=users, category=event_type.category
        ).values_list("user_id", "channel", "enabled")
    }
    available = [c for c in personal_channels() if c.available()]
    for user in users:
        own = {name: enabled for (user_id, name), enabled in stored.items() if user_id == user.pk}
        for channel in channels_for(available, own, critical=event_type.critical):
            address = channel.address(user)
            if address:
                add(
                    channel,
                    recipient_key=f"user:{user.pk}",
                    address=address,
                    language=user.language,
                    name=user.get_full_name(),
                    user=user,
                )
    for endpoint in Endpoint.objects.filter(enabled=True):
        if endpoint.topics and topic not in endpoint.topics:
            continue
        add(
            channel_get(endpoint.kind),
            recipient_key=f"endpoint:{endpoint.pk}",
            address=endpoint.name,
            language=endpoint.language,
            name=endpoint.name,
            endpoint=endpoint,
        )
    Delivery.objects.bulk_create(deliveries)
    to_send = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]

    def enqueue() -> None:
        from hostkeep.notifications.tasks import notification_deliver

        for delivery_id in to_send:
            notification_deliver.enqueue(delivery_id=delivery_id)

    if to_send:
        transaction.on_commit(enqueue)
    return notification


def delivery_send(*, delivery_id: int, final: bool) -> str:
    """Send one delivery, outside any transaction. The claim (an UPDATE guarded by the open
    states) makes a second job for the same delivery do nothing. A retryable failure is
    logged and raised for the job to retry (or, on the last attempt, logged as failed); a
    terminal one is logged as failed."""
    now = clock.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=OPEN_DELIVERY_STATUSES).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("notification", "endpoint").get(pk=delivery_id)
    try:
        channel_get(delivery.channel).send(delivery)
    except TerminalError as error:
        Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.FAILED, last_error=error.message[:2000])
        return "failed"
    except Exception as error:
        message = error.message if isinstance(error, RetryableError) else f"{type(error).__name__}: {error}"
        status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
        Delivery.objects.filter(pk=delivery_id).update(status=status, last_error=message[:2000])
        if isinstance(error, RetryableError):
            raise
        raise RetryableError(message) from error
    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SENT, sent_at=clock.now(), last_error="")
    return "sent"


def delivery_retry(*, actor: Actor, delivery_id: int) -> Delivery:
    """Staff send a failed delivery again (after fixing a URL, say)."""
    actor.require(StaffPermission.MANAGE_CUSTOMERS)
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING
        )
        if not updated:
            raise NotFound(_("There is no failed delivery with this number."))
        audit_record(
            actor=actor.audit(), action="notifications.delivery_retry", object_type="delivery", object_id=delivery_id
        )

        def enqueue() -> None:
            from hostkeep.notifications.tasks import notification_deliver

            notification_deliver.enqueue(delivery_id=delivery_id)

        transaction.on_commit(enqueue)
    return Delivery.objects.get(pk=delivery_id)


def notifications_mark_read(*, user: User, delivery_ids: list[int] | None = None) -> int:
    """Mark a person's in-app messages read (all of them without ids); returns how many."""
    unread = Delivery.objects.filter(user=user, channel="inapp", read_at__isnull=True)
    if delivery_ids is not None:
        unread = unread.filter(pk__in=delivery_ids)
    return unread.update(read_at=clock.now())


def preferences_save(*, actor: Actor, choices: dict[tuple[str, str], bool]) -> None:
    """Store a person's channels per category (all at once, as the page sends them). Refused,
    with nothing stored, if a critical category would lose both e-mail and in-app."""
    if actor.user is None:
        raise ValidationFailed(_("Only a person has notification preferences."))
    user = actor.user
    personal = {c.name for c in personal_channels()}
    for category, channel in choices:
        if category not in {c.value for c in EventCategory} or channel not in personal:
            raise ValidationFailed(_("Unknown category or channel."), code="invalid_choice")
    current = {(p.category, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    merged = {**current, **choices}
    for category in critical_categories():
        kept = [merged.get((category, name), channel_get(name).default_enabled) for name in ALWAYS_ON_FOR_CRITICAL]
        if not any(kept):
            raise ValidationFailed(
                _("%(category)s messages cannot be switched off entirely: keep e-mail or the portal.")
                % {"category": category_label(category)},
                code="critical_opt_out",
                fields={category: [_("Keep e-mail or the portal on.")]},
            )
    with transaction.atomic():
        for (category, channel), enabled in choices.items():
            Preference.objects.update_or_create(
                user=user, category=category, channel=channel, defaults={"enabled": enabled}
            )
        audit_record(
            actor=actor.audit(),
            action="notifications.preferences",
            customer_id=actor.customer.pk if actor.customer else None,
            object_type="user",
            object_id=user.pk,
            detail={f"{category}/{channel}": enabled for (category, channel), enabled in sorted(choices.items())},
        )


def category_label(category: str) -> str:
    from hostkeep.notifications.selectors import CATEGORY_LABELS

    known = {c.value: c for c in EventCategory}
    return str(CATEGORY_LABELS[known[category]]) if category in known else category


def user_address_set(*, actor: Actor, channel: str, address: str) -> None:
    """A person's phone number or chat id on a personal Apprise channel (empty removes it)."""
    if actor.user is None or channel not in {"sms", "telegram"}:
        raise ValidationFailed(_("Unknown channel."), code="invalid_choice")
    address = address.strip()
    if len(address) > 120 or any(ch.isspace() for ch in address):
        raise ValidationFailed(_("Enter a phone number or chat id without spaces."), code="invalid_address")
    with transaction.atomic():
        if address:
            UserAddress.objects.update_or_create(user=actor.user, channel=channel, defaults={"address": address})
        else:
            UserAddress.objects.filter(user=actor.user, channel=channel).delete()
        audit_record(
            actor=actor.audit(),
            action="notifications.address",
            object_type="user",
            object_id=actor.user.pk,
            detail={"channel": channel},
        )


def template_names(topic: str) -> set[str]:
    event_type = EVENT_TYPES.get(topic)
    return set(rendering.COMMON_NAMES) | set(event_type.sample if event_type else ())


def template_save(
    *, actor: Actor, topic: str, channel: str, language: str, subject: str, body_text: str, body_html: str = ""
) -> MessageTemplate:
    """Staff's own text for an event, channel and language; refused if it holds anything but
    placeholders of that event's values."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    if topic not in EVENT_TYPES or channel not in channels or language not in Language.values:
        raise ValidationFailed(_("Unknown event, channel or language."), code="invalid_choice")
    names = template_names(topic)
    errors = {
        field: found
        for field, value in (("subject", subject), ("body_text", body_text), ("body_html", body_html))
        if (found := rendering.problems(value, names))
    }
    if not body_text.strip():
        errors.setdefault("body_text", []).append(_("The text cannot be empty."))
    if errors:
        raise ValidationFailed(_("The template uses something it may not."), code="template_refused", fields=errors)
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(
            topic=topic,
            channel=channel,
            language=language,
            defaults={
                "subject": subject[:300],
                "body_text": body_text,
                "body_html": body_html,
                "updated_at": clock.now(),
                "updated_by": actor.user,
            },
        )
        audit_record(
            actor=actor.audit(),
            action="notifications.template_save",
            object_type="message_template",
            object_id=template.pk,
            detail={"topic": topic, "channel": channel, "language": language},
        )
    return template


def template_reset(*, actor: Actor, topic: str, channel: str, language: str) -> None:
    """Go back to the text shipped with the event."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    with transaction.atomic():
        MessageTemplate.objects.filter(topic=topic, channel=channel, language=language).delete()
        audit_record(
            actor=actor.audit(),
            action="notifications.template_reset",
            object_type="message_template",
            detail={"topic": topic, "channel": channel, "language": language},
        )


def endpoint_save(
    *,
    actor: Actor,
    endpoint_id: int | None = None,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    topics: list[str] | None = None,
    language: str = Language.ENGLISH,
    enabled: bool = True,
) -> Endpoint:
    """Add or change a webhook or chat endpoint. The URL is checked for private addresses
    when it is used, not here (DNS can change in between)."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    if kind not in EndpointKind.values or language not in Language.values:
        raise ValidationFailed(_("Unknown kind or language."), code="invalid_choice")
    unknown = [topic for topic in topics or [] if topic not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(_("Unknown events: %(topics)s") % {"topics": ", ".join(unknown)}, code="invalid_choice")
    if kind == EndpointKind.WEBHOOK and not url.startswith(("http://", "https://")):
        raise ValidationFailed(_("A webhook URL starts with http:// or https://."), code="invalid_url")
    if kind == EndpointKind.WEBHOOK and len(secret) < 16:
        raise ValidationFailed(_("The signing secret needs at least 16 characters."), code="invalid_secret")
    values = {
        "kind": kind,
        "name": name.strip()[:100],
        "url": url.strip(),
        "secret": secret,
        "topics": sorted(set(topics or [])),
        "language": language,
        "enabled": enabled,
    }
    with transaction.atomic():
        if endpoint_id is None:
            endpoint = Endpoint.objects.create(created_at=clock.now(), **values)
        else:
            endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first() or _missing()
            for field, value in values.items():
                setattr(endpoint, field, value)
            endpoint.save()
        audit_record(
            actor=actor.audit(),
            action="notifications.endpoint_save",
            object_type="endpoint",
            object_id=endpoint.pk,
            detail={"kind": kind, "name": endpoint.name, "enabled": enabled},
        )
    return endpoint


def _missing() -> Any:
    raise NotFound(_("Not found."))


def endpoint_delete(*, actor: Actor, endpoint_id: int) -> None:
    actor.require(StaffPermission.MANAGE_CATALOG)
    with transaction.atomic():
        deleted, _rows = Endpoint.objects.filter(pk=endpoint_id).delete()
        if not deleted:
            raise NotFound(_("Not found."))
        audit_record(
            actor=actor.audit(), action="notifications.endpoint_delete", object_type="endpoint", object_id=endpoint_id
        )


def channel_account_save(*, actor: Actor, channel: str, url: str, enabled: bool = True) -> ChannelAccount:
    """The provider's account on SMS or Telegram: an Apprise URL with ``{address}``."""
    actor.require(StaffPermission.MANAGE_CATALOG)
    if channel not in {"sms", "telegram"}:
        raise ValidationFailed(_("Unknown channel."), code="invalid_choice")
    if "{address}" not in url:
        raise ValidationFailed(_("The URL needs {address} where the recipient goes."), code="invalid_url")
    with transaction.atomic():
        account, _created = ChannelAccount.objects.update_or_create(
            channel=channel, defaults={"url": url.strip(), "enabled": enabled, "updated_at": clock.now()}
        )
        audit_record(
            actor=actor.audit(),
            action="notifications.channel_account",
            object_type="channel_account",
            object_id=account.pk,
            detail={"channel": channel, "enabled": enabled},
        )
    return account


def allowed_host_add(*, actor: Actor, host: str, note: str = "") -> AllowedHost:
    """Allow webhooks and chat calls to reach this host although it is internal."""
    actor.require(StaffPermission.MANAGE_STAFF)
    host = normalise_host(host)
    if not host or "/" in host or " " in host:
        raise ValidationFailed(_("Enter a host name or an IP address."), code="invalid_host")
    with transaction.atomic():
        allowed, _created = AllowedHost.objects.get_or_create(
            host=host, defaults={"note": note[:200], "created_at": clock.now(), "created_by": actor.user}
        )
        audit_record(
            actor=actor.audit(),
            action="notifications.allowed_host_add",
            object_type="allowed_host",
            object_id=allowed.pk,
            detail={"host": host},
        )
    return allowed


def allowed_host_remove(*, actor: Actor, host_id: int) -> None:
    actor.require(StaffPermission.MANAGE_STAFF)
    with transaction.atomic():
        deleted, _rows = AllowedHost.objects.filter(pk=host_id).delete()
        if not deleted:
            raise NotFound(_("Not found."))
        audit_record(
            actor=actor.audit(),
            action="notifications.allowed_host_remove",
            object_type="allowed_host",
            object_id=host_id,
        )
