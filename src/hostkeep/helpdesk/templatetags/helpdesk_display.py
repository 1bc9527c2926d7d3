"""Showing what people wrote: Markdown rendered and sanitised (never ``|safe`` on raw text)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from hostkeep.helpdesk.rendering import markdown_to_html

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    return markdown_to_html(value or "")


@register.filter
def filesize(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):.1f} MB"
    if value >= 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value} B"
