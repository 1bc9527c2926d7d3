"""The hosted pages a buyer (or a test) uses to pay: plain HTML forms, no JavaScript."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem} .box{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
.note{color:#666;font-size:.85rem} .error{color:#a00;font-weight:600}
button{padding:.5rem 1rem;margin:.25rem .25rem .25rem 0;cursor:pointer}
label{display:block;margin:.3rem 0} table{border-collapse:collapse} td{padding:.15rem .6rem .15rem 0}
"""


def page(title: str, body_html: str, *, gateway: str) -> str:
    """A complete page; ``body_html`` must already be escaped where it holds outside data."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)} - {escape(gateway)} simulator</title><style>{_STYLE}</style></head><body>"
        f"<p class='note'>{escape(gateway)} simulator (local test double, no real money moves)</p>"
        f"<h1>{escape(title)}</h1>{body_html}</body></html>"
    )


def hidden(name: str, value: str) -> str:
    return f"<input type='hidden' name='{escape(name)}' value='{escape(value)}'>"


def button(action: str, label: str) -> str:
    return f"<button type='submit' name='action' value='{escape(action)}'>{escape(label)}</button>"


def radio(name: str, value: str, label: str, *, checked: bool = False) -> str:
    mark = " checked" if checked else ""
    return f"<label><input type='radio' name='{escape(name)}' value='{escape(value)}'{mark}> {escape(label)}</label>"


def rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td>{escape(key)}</td><td><b>{escape(value)}</b></td></tr>" for key, value in pairs)
    return f"<table>{cells}</table>"
