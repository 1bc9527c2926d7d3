"""How documents join the notifications catalogue: ``document.issued`` is e-mailed to the
customer's billing contacts with the PDF attached (a path in the private storage)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hostkeep.notifications.catalogue import (
    Attachment,
    Audience,
    EventCategory,
    EventDescription,
    EventType,
    event_type_register,
)


def describe_document_issued(payload: dict[str, Any]) -> EventDescription | None:
    from hostkeep.documents.models import Document

    document = Document.objects.filter(pk=int(payload.get("document_id") or 0)).first()
    if document is None:
        return None
    return EventDescription(
        customer_id=document.customer_id,
        context={
            "kind": document.kind,
            "kind_label": str(document.get_kind_display()),
            "number": document.number,
            "language": document.language,
            "issued_on": document.issued_at.date(),
            "total": document.total,
            "currency": document.currency,
        },
        link="/portal/documents/",
        attachments=(Attachment(filename=document.filename, storage_path=document.storage_path),),
    )


def register() -> None:
    event_type_register(
        EventType(
            topic="document.issued",
            label=_("Document issued"),
            category=EventCategory.DOCUMENTS,
            audience=(Audience.CONTACT_BILLING,),
            describe=describe_document_issued,
            sample={"document_id": 0, "customer_id": 0},
        )
    )
