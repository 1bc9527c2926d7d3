# ruff: noqa: RUF001, RUF002 - Russian document wording
"""Figures and dates as a document in a given language writes them (``1,234.50`` / ``1 234,50``;
``5 January 2026`` / ``5 января 2026 г.``). Pure formatting of snapshot values, no lookups."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django import template

from hostkeep.documents.words import amount_in_words

register = template.Library()

MONTHS = {
    "en": (
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    ),
    "ru": [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
}


@register.filter
def amount(value: object, language: str = "en") -> str:
    if value in (None, ""):
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{number:,.2f}"
    if language == "ru":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


@register.filter
def quantity(value: object, language: str = "en") -> str:
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return text.replace(".", ",") if language == "ru" else text


@register.filter
def rate(value: object, language: str = "en") -> str:
    return quantity(Decimal(str(value)).quantize(Decimal("0.01")), language).rstrip("0").rstrip(",.") + "%"


@register.filter
def day(value: object, language: str = "en") -> str:
    if not value:
        return ""
    date = dt.date.fromisoformat(str(value)[:10])
    month = MONTHS.get(language, MONTHS["en"])[date.month - 1]
    if language == "ru":
        return f"{date.day} {month} {date.year}\u00a0г."
    return f"{date.day} {month} {date.year}"


@register.simple_tag
def amount_words(value: object, currency: str, language: str) -> str:
    """``{% amount_words d.total d.currency "ru" %}``."""
    return amount_in_words(str(value), currency, language)
