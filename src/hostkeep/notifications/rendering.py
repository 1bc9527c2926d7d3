"""The template language of notification texts: ``{{ name }}`` placeholders and nothing else.

Staff edit these texts and customers' own words (a name, a ticket subject) flow into them,
so the language is deliberately not a template engine: there are no tags, no filters, no
attribute lookups and no second pass. A placeholder names one key of a flat dictionary of
plain strings; the substituted value is never looked at again, so a customer called
``{{ 7*7 }}`` stays exactly that. ``{{ settings.SECRET_KEY }}``, ``{% load %}``,
``{% include %}`` and the like are refused when staff save a template and, should one ever
reach rendering, come out as nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.html import escape, linebreaks

from hostkeep.core import clock

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]{0,63})\s*\}\}")
# Anything that looks like template syntax; whatever of it is not a plain placeholder is refused.
SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)

# Placeholders every event offers besides its own context.
COMMON_NAMES = ("recipient_name", "event_label", "link", "site_url")


def plain_value(value: Any) -> str:
    """A context value as text: strings, numbers and dates only; anything else is dropped, so
    no object ever reaches a template."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | Decimal | float):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(clock.provider_zone())
        return str(value.strftime("%Y-%m-%d %H:%M %Z")).strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def plain_context(context: Mapping[str, Any]) -> dict[str, str]:
    """Flatten an ``EventDescription.context`` to the strings templates see."""
    return {str(key): plain_value(value) for key, value in context.items() if PLACEHOLDER.fullmatch(f"{{{{{key}}}}}")}


def render(template: str, context: Mapping[str, str], *, html: bool = False) -> str:
    """Substitute placeholders in one pass; with ``html`` every value is escaped. Syntax other
    than a known placeholder renders as nothing."""

    def substitute(match: re.Match[str]) -> str:
        plain = PLACEHOLDER.fullmatch(match.group(0))
        if plain is None:
            return ""
        value = str(context.get(plain.group(1), ""))
        return escape(value) if html else value

    return SYNTAX.sub(substitute, template)


def problems(template: str, allowed_names: set[str]) -> list[str]:
    """What is wrong with a template staff want to save: anything but ``{{ name }}`` with a
    name the event offers."""
    found = []
    for match in SYNTAX.finditer(template):
        plain = PLACEHOLDER.fullmatch(match.group(0))
        if plain is None:
            found.append(f"{match.group(0)[:40]}: only {{{{ name }}}} placeholders are allowed")
        elif plain.group(1) not in allowed_names:
            found.append(f"{match.group(0)}: this event has no value called {plain.group(1)!r}")
    return found


def html_from_text(text: str) -> str:
    """E-mail HTML made from the rendered plain text: escaped, paragraphs kept."""
    return linebreaks(escape(text))
