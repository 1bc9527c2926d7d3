"""Outbox subscribers of documents (listed in settings.OUTBOX_HANDLER_MODULES): every issued
invoice and credit note gets its PDF, drawn by a job so the billing run is not slowed."""

from __future__ import annotations

from typing import Any

from hostkeep.core.outbox import Handler


def invoice_pdf_enqueue(payload: dict[str, Any]) -> None:
    from hostkeep.documents.tasks import invoice_document_issue_job

    invoice_document_issue_job.enqueue(invoice_id=payload["invoice_id"])


HANDLERS: dict[str, list[Handler]] = {"invoice.issued": [invoice_pdf_enqueue]}
