# ruff: noqa: RUF001 - Russian document wording
"""Rendered PDFs say the right things: numbers, totals, tax and wording, read back with pypdf."""

import datetime as dt

from hostkeep.documents import actions, storage
from hostkeep.documents.models import Document
from hostkeep.documents.tests.conftest import SAST, make_invoice, pdf_text


def test_an_invoice_pdf_states_number_lines_totals_tax_and_words(invoice):
    document = actions.invoice_document_issue(invoice_id=invoice.pk, language="en")
    pdf = storage.pdf_read(document.storage_path)
    assert storage.sha256(pdf) == document.checksum
    text = pdf_text(pdf)
    assert invoice.number == "TVP-INV-2026-000001"
    assert "Tax invoice TVP-INV-2026-000001" in text
    assert "Date: 5 October 2026" in text
    assert "Minecraft server, line 1" in text
    assert "179.00" in text
    assert "35.00" in text
    assert "Net total 214.00 ZAR" in text
    assert "VAT 32.10 ZAR" in text
    assert "Total due 246.10 ZAR" in text
    assert "Two hundred and forty-six rand, 10 cents" in text
    assert "Mokoena Games CC, VAT no. 4123456789" in text
    assert "Director / Anele Dlamini" in text
    assert (document.number, document.kind, document.total, document.invoice_id) == (
        invoice.number,
        "invoice",
        invoice.total,
        invoice.pk,
    )


def test_the_russian_invoice_is_in_russian_with_the_amount_in_words(invoice):
    document = actions.invoice_document_issue(invoice_id=invoice.pk, language="ru")
    text = pdf_text(storage.pdf_read(document.storage_path))
    assert "Счёт на оплату № TVP-INV-2026-000001 от 5 октября 2026 г." in text
    assert "ООО «Вилладжер Пипл»" in text
    assert "Итого без НДС 214,00 ZAR" in text
    assert "В том числе НДС 32,10 ZAR" in text
    assert "Всего к оплате 246,10 ZAR" in text
    assert "Всего наименований 2, на сумму 246,10 ZAR" in text
    assert "Двести сорок шесть рандов 10 центов" in text
    assert "Директор / Анеле Дламини" in text


def test_a_monthly_act_lists_the_months_invoices_with_totals(owner, vat, entity):
    first = make_invoice(owner.customer, vat, key="a", at=dt.datetime(2026, 10, 5, 10, tzinfo=SAST))
    second = make_invoice(
        owner.customer, vat, key="b", at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=SAST), amounts=("100.00",)
    )
    make_invoice(owner.customer, vat, key="c", at=dt.datetime(2026, 11, 1, 0, 5, tzinfo=SAST))  # next month
    act = actions.act_issue(
        customer_id=owner.customer_id,
        legal_entity_id=entity.pk,
        year=2026,
        month=10,
        language="ru",
        at=dt.datetime(2026, 11, 1, 3, tzinfo=SAST),
    )
    assert act is not None
    assert act.number == "TVP-ACT-2026-000001"
    assert (act.period_start, act.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert act.snapshot["invoices"] == [first.number, second.number]
    text = pdf_text(storage.pdf_read(act.storage_path))
    assert "Акт № TVP-ACT-2026-000001 от 1 ноября 2026 г." in text
    assert "за период с 1 октября 2026 г. по 31 октября 2026 г." in text
    assert "Итого без НДС 314,00 ZAR" in text
    assert "В том числе НДС 47,10 ZAR" in text
    assert "Всего 361,10 ZAR" in text
    assert "Триста шестьдесят один ранд 10 центов" in text
    assert "претензий по объёму, качеству и срокам" in text
    # Issuing again gives the same act; nothing new is numbered.
    again = actions.act_issue(
        customer_id=owner.customer_id, legal_entity_id=entity.pk, year=2026, month=10, language="ru"
    )
    assert again == act
    assert Document.objects.filter(kind="act").count() == 1
