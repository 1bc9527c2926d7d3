"""Attachment files under the private data folder (settings.HELPDESK_ATTACHMENT_DIR), named by
a random id on disk, never by what the sender called them."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from hostkeep.core.errors import ValidationFailed


@dataclass(frozen=True)
class IncomingFile:
    """A file someone sent, before it is stored."""

    filename: str
    content_type: str
    data: bytes


def root() -> Path:
    return Path(settings.HELPDESK_ATTACHMENT_DIR)


def clean_filename(name: str) -> str:
    """A display name without folders or control characters (it is still shown escaped)."""
    name = re.sub(r"[\x00-\x1f\x7f]+", "", (name or "").replace("\\", "/")).split("/")[-1].strip()
    return name[:200] or "attachment"


def check_files(files: list[IncomingFile]) -> None:
    """Refuse too many or too large files before anything is written."""
    if len(files) > settings.HELPDESK_MAX_ATTACHMENTS:
        raise ValidationFailed(
            _("At most %(count)s attachments per message.") % {"count": settings.HELPDESK_MAX_ATTACHMENTS},
            fields={"files": [_("Too many files.")]},
        )
    limit = settings.HELPDESK_ATTACHMENT_MAX_BYTES
    for item in files:
        if len(item.data) > limit:
            raise ValidationFailed(
                _("%(name)s is larger than %(size)s MB.")
                % {"name": clean_filename(item.filename), "size": limit // (1024 * 1024)},
                fields={"files": [_("A file is too large.")]},
            )


def write(ticket_id: int, data: bytes) -> tuple[str, str]:
    """Store the bytes; returns (path relative to the root, SHA-256)."""
    relative = f"{ticket_id}/{uuid.uuid4().hex}"
    target = root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative, hashlib.sha256(data).hexdigest()


def path_of(storage_path: str) -> Path:
    target = (root() / storage_path).resolve()
    if root().resolve() not in target.parents:
        raise ValueError("attachment path outside the attachment folder")
    return target
