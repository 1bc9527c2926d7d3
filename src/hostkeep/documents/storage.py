"""Where issued PDFs and the images they were drawn with are kept: the private storage
(``default_storage``, under MEDIA_ROOT; never the web root). Images are stored by their
sha256, so a document's snapshot names exactly the stamp it was issued with even after the
legal entity's stamp is replaced."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile

ROOT = getattr(settings, "DOCUMENTS_STORAGE_FOLDER", "documents")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def asset_store(image: FieldFile | None) -> str:
    """Keep a copy of an image by content; returns its hash ("" when there is no image)."""
    if not image:
        return ""
    with image.open("rb") as handle:
        content = handle.read()
    digest = sha256(content)
    path = f"{ROOT}/assets/{digest}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(content))
    return digest


def asset_read(digest: str) -> bytes:
    with default_storage.open(f"{ROOT}/assets/{digest}", "rb") as handle:
        return bytes(handle.read())


def pdf_path(*, entity_code: str, year: int, kind: str, number: str, language: str, checksum: str) -> str:
    """The path of an issued PDF; it carries the checksum, so a path is never reused for other
    bytes (a rolled-back issue may leave a file behind, never a wrong one)."""
    return f"{ROOT}/{entity_code}/{year}/{kind}/{number}-{language}-{checksum[:12]}.pdf"


def pdf_write(path: str, content: bytes) -> None:
    if default_storage.exists(path):
        return  # same path means same checksum, so the same bytes
    saved = default_storage.save(path, ContentFile(content))
    if saved != path:  # pragma: no cover - the storage renamed it; never expected
        raise RuntimeError(f"document stored as {saved!r}, expected {path!r}")


def pdf_read(path: str) -> bytes:
    with default_storage.open(path, "rb") as handle:
        return bytes(handle.read())


def pdf_restore(path: str, content: bytes) -> None:
    """Put back a lost or damaged file (only ever with bytes matching the document's checksum)."""
    if default_storage.exists(path):
        default_storage.delete(path)
    pdf_write(path, content)
