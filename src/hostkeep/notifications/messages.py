"""Turning one occurrence into the words one recipient reads on one channel: the template
(staff's row, else the text shipped with the event, else a generic one), the recipient's
language and the sandboxed renderer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from hostkeep.notifications import rendering
from hostkeep.notifications.catalogue import DefaultTemplate, EventType
from hostkeep.notifications.channels import Channel
from hostkeep.notifications.models import MessageTemplate

GENERIC = {
    "en": DefaultTemplate("{{ event_label }}", "Hello {{ recipient_name }},\n\n{{ event_label }}.\n\n{{ link }}"),
    "ru": DefaultTemplate(
        "{{ event_label }}", "Здравствуйте, {{ recipient_name }}!\n\n{{ event_label }}.\n\n{{ link }}"
    ),
    "es": DefaultTemplate("{{ event_label }}", "Hola, {{ recipient_name }}:\n\n{{ event_label }}.\n\n{{ link }}"),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""


def shipped_template(event_type: EventType | None, language: str) -> DefaultTemplate:
    """The text in code for a language: the event's own, its English one, or the generic one."""
    own = event_type.templates if event_type else {}
    return own.get(language) or own.get("en") or GENERIC.get(language) or GENERIC["en"]


def absolute_link(link: str) -> str:
    if link.startswith("/"):
        return str(settings.BASE_URL).rstrip("/") + link
    return link


def context_for(
    event_type: EventType | None,
    topic: str,
    values: Mapping[str, str],
    *,
    recipient_name: str,
    language: str,
    link: str,
) -> dict[str, str]:
    with translation.override(language):
        label = str(event_type.label) if event_type else topic
    return {
        **values,
        "recipient_name": recipient_name,
        "event_label": label,
        "link": absolute_link(link),
        "site_url": str(settings.BASE_URL),
    }


def render_message(
    *,
    event_type: EventType | None,
    channel: Channel,
    language: str,
    context: Mapping[str, str],
    staff_template: MessageTemplate | None,
) -> Rendered:
    """Render subject, text and (for e-mail) HTML. Staff's template wins; the shipped text is
    reshaped by the channel (an SMS is only the subject line)."""
    if staff_template is not None:
        subject = rendering.render(staff_template.subject, context)
        text = rendering.render(staff_template.body_text, context)
        html_template = staff_template.body_html
    else:
        shipped = shipped_template(event_type, language)
        subject = rendering.render(shipped.subject, context)
        text = channel.body(subject, rendering.render(shipped.text, context))
        html_template = shipped.html
    html = ""
    if channel.name == "email":
        inner = rendering.render(html_template, context, html=True) if html_template else rendering.html_from_text(text)
        with translation.override(language):
            html = render_to_string(
                "notifications/email.html",
                {"subject": subject, "body": mark_safe(inner), "language": language},  # noqa: S308 - every value was escaped by rendering
            )
    return Rendered(subject=subject.strip()[:300], text=text.strip(), html=html)
