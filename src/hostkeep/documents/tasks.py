"""Documents jobs: the PDF of each issued invoice, and the monthly acts on the 1st."""

from __future__ import annotations

from typing import Any

from crontask import cron
from django.tasks import task

from hostkeep.core import clock
from hostkeep.documents.actions import acts_issue_month, invoice_document_issue


@task()
def invoice_document_issue_job(*, invoice_id: int) -> int:
    """Draw the PDF of an issued invoice or credit note in the customer's language."""
    return invoice_document_issue(invoice_id=invoice_id).pk


@cron("30 2 1 * *")  # type: ignore[untyped-decorator]
@task()
def acts_issue_monthly() -> dict[str, Any]:
    """On the 1st of each month (provider time): the acts for the month that just ended."""
    today = clock.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    batch = acts_issue_month(year=year, month=month)
    return {"period": f"{year}-{month:02d}", "issued": batch.issued, "skipped": batch.skipped}
