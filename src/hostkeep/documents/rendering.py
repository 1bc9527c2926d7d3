"""Drawing a document's PDF from its snapshot with WeasyPrint.

The output depends only on the snapshot, the templates and the stored images: the PDF's
creation date is the document's issue instant from the snapshot, images are embedded from
content-addressed copies, and nothing reads the clock, so rendering again gives the same
bytes. Fonts and the stylesheet are loaded once per process (most of a first render's cost).
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from hostkeep.accounts.models import Customer
from hostkeep.core import clock
from hostkeep.core.errors import NotFound
from hostkeep.documents import selectors, snapshots, storage
from hostkeep.documents.choices import DOCUMENT_LANGUAGES, DocumentKind

IMAGES = ("logo", "stamp", "signature")


@functools.cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.cache
def _stylesheet() -> CSS:
    return CSS(string=render_to_string("documents/style.css"), font_config=_font_config())


@functools.lru_cache(maxsize=64)
def _data_uri(digest: str) -> str:
    content = storage.asset_read(digest)
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def template_name(snapshot: dict[str, Any]) -> str:
    kind = "invoice" if snapshot["kind"] == "credit_note" else snapshot["kind"]
    return f"documents/{snapshot['language']}/{kind}.html"


def render_html(snapshot: dict[str, Any]) -> str:
    provider = snapshot["provider"]
    images = {name: _data_uri(provider[name]) if provider.get(name) else "" for name in IMAGES}
    context = {"d": snapshot, "p": provider, "c": snapshot["customer"], "images": images, "lang": snapshot["language"]}
    # The Russian and English templates carry their own wording; the language is fixed here so
    # nothing in them depends on the language of the request that asked for the PDF.
    with translation.override(snapshot["language"]):
        return render_to_string(template_name(snapshot), context)


def render_pdf(snapshot: dict[str, Any]) -> bytes:
    html = HTML(string=render_html(snapshot))
    pdf = html.write_pdf(
        stylesheets=[_stylesheet()],
        font_config=_font_config(),
        pdf_identifier=f"{snapshot['number']}-{snapshot['language']}".encode(),
    )
    assert pdf is not None  # noqa: S101 - write_pdf returns the bytes when no target is given
    return bytes(pdf)


def offer_preview_html(customer: Customer) -> str:
    """The offer an account is asked to accept, worded as its contract will be once accepted
    (no number yet, no stamp): what the customer reads before ticking the box."""
    entity = selectors.offer_entity(customer)
    if entity is None:
        raise NotFound(_("There is no offer to accept yet."))
    language = customer.language if customer.language in DOCUMENT_LANGUAGES else "en"
    snapshot = snapshots.base(
        kind=DocumentKind.CONTRACT,
        number="—",
        language=language,
        at=clock.now(),
        provider={**snapshots.provider_part(entity), "logo": "", "stamp": "", "signature": ""},
        customer=snapshots.customer_part(customer),
    )
    snapshot.update(offer_version=entity.offer_version, accepted_by="", ip_address="")
    return render_html(snapshot)
