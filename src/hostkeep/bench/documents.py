"""``hostkeep bench documents --count N [--database URL]``.

Times the PDFs: N invoice PDFs issued one by one (render, checksum, store, row), then the
monthly acts of 1,000 customers (or N, if more) issued in one batch by the monthly job's
action. Generates a provider entity with stamp and signature and one customer per act with
two invoices in October 2026. Run it on a scratch database: it refuses one that already has
customers, and issued documents are append-only, so it leaves its data behind.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.billing.actions import PlannedLine, invoice_create
from hostkeep.billing.choices import LineKind
from hostkeep.billing.models import Invoice
from hostkeep.catalog.models import TaxClass, TaxRate
from hostkeep.core.money import Money
from hostkeep.documents import actions
from hostkeep.documents.placeholders import draw_logo, draw_signature, draw_stamp

SAST = dt.timezone(dt.timedelta(hours=2))
ACTS = 1_000


def _entity() -> ProviderLegalEntity:
    entity = ProviderLegalEntity.objects.create(
        name="Bench Hosting (Pty) Ltd",
        name_ru="ООО «Бенч Хостинг»",  # noqa: RUF001 - Russian name
        short_code="bench",
        country="ZA",
        tax_id="4999999999",
        address="1 Bench Street\nCape Town",
        bank_details="FNB, account 1, branch 250655",
        signer_name="Bench Director",
        signer_position="Director",
        is_default=True,
    )
    entity.stamp.save("stamp.png", ContentFile(draw_stamp(entity.name, "bench")), save=False)
    entity.signature.save("signature.png", ContentFile(draw_signature()), save=False)
    entity.logo.save("logo.png", ContentFile(draw_logo("Bench")), save=False)
    entity.save()
    return entity


def _generate(count: int) -> list[int]:
    vat = TaxClass.objects.create(code="bench-vat", name="VAT")
    TaxRate.objects.create(tax_class=vat, country="ZA", rate=Decimal(15))
    invoice_ids = []
    for index in range(count):
        customer = Customer.objects.create(
            name=f"Bench customer {index}", country="ZA", currency="ZAR", language="ru" if index % 2 else "en"
        )
        for part, day in ((0, 3), (1, 17)):
            invoice = invoice_create(
                customer=customer,
                currency="ZAR",
                source_key=f"bench-documents:{index}:{part}",
                at=dt.datetime(2026, 10, day, 10, tzinfo=SAST),
                settle=False,
                lines=[
                    PlannedLine(
                        kind=LineKind.SERVICE_PERIOD,
                        description=f"Game server {index}, October 2026",
                        amount=Money(Decimal("149.99"), "ZAR"),
                        tax_class_id=vat.pk,
                    ),
                    PlannedLine(kind=LineKind.ADDON, description="Daily backups", amount=Money(Decimal(35), "ZAR")),
                ],
            )
            invoice_ids.append(invoice.pk)
    return invoice_ids


def run(*, stdout: Any, count: int, **_: Any) -> str:
    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        raise SystemExit("bench documents needs an empty scratch database (customers found); see --database")
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="hostkeep-bench-documents-")
    _entity()
    customers = max(count, ACTS)
    started = time.perf_counter()
    invoice_ids = _generate(customers)
    stdout.write(
        f"generated {customers} customers with {len(invoice_ids)} invoices in {time.perf_counter() - started:.1f}s"
    )

    warm = time.perf_counter()
    actions.invoice_document_issue(invoice_id=invoice_ids[-1], language="en")  # fonts and stylesheet load once
    stdout.write(f"first PDF (cold, fonts loading): {(time.perf_counter() - warm) * 1000:.0f} ms")

    wanted = list(Invoice.objects.filter(pk__in=invoice_ids[:count]).values_list("pk", flat=True))
    started = time.perf_counter()
    for invoice_id in wanted:
        actions.invoice_document_issue(invoice_id=invoice_id)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    batch = actions.acts_issue_month(year=2026, month=10, at=dt.datetime(2026, 11, 1, 2, 30, tzinfo=SAST))
    act_seconds = time.perf_counter() - started
    stdout.write(
        f"acts batch: acts={batch.issued} seconds={act_seconds:.1f} per_act_ms={act_seconds / batch.issued * 1000:.0f}"
    )
    return (
        f"documents count={len(wanted)} seconds={seconds:.1f} per_doc_ms={seconds / len(wanted) * 1000:.0f} "
        f"acts={batch.issued} acts_seconds={act_seconds:.1f} database={connection.vendor}"
    )
