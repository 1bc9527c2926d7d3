"""Safe rendering of text people wrote: Markdown (with code blocks) through markdown-it-py,
then sanitised by nh3, so no script, event handler or ``javascript:`` link survives in any
page, API answer or e-mail. Also the header-safe form of names and subjects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    # Raw HTML in the source is shown as text; linkify is off (no library for it needed).
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def sanitise_html(html: str) -> str:
    """The one sanitiser: an allow-list of tags and attributes, and http(s)/mailto links only."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def markdown_to_html(source: str) -> SafeString:
    """Markdown from anyone, as HTML that is safe to put in a page or an e-mail."""
    return mark_safe(sanitise_html(_parser().render(source or "")))  # noqa: S308 - sanitised by nh3 just above


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def header_safe(value: str, *, limit: int = 200) -> str:
    """A name or subject fit for one mail header line: no CR/LF or other control characters
    (so nothing can be injected as another header), trimmed."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


def fill_variables(template: str, values: Mapping[str, str]) -> str:
    """Put a ticket's values into a canned reply's ``{name}`` placeholders; unknown names and
    stray braces are left as written (never an error, never attribute access)."""
    out: list[str] = []
    for literal, field, _spec, _conversion in _safe_parse(template):
        out.append(literal)
        if field is not None:
            out.append(values.get(field, "{" + field + "}") if field.isidentifier() else "{" + field + "}")
    return "".join(out)


def _safe_parse(template: str) -> list[tuple[str, str | None, str, str | None]]:
    parts: list[tuple[str, str | None, str, str | None]] = []
    position = 0
    for match in re.finditer(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", template):
        parts.append((template[position : match.start()], match.group(1), "", None))
        position = match.end()
    parts.append((template[position:], None, "", None))
    return parts
