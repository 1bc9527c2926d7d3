"""Immutability through every path, byte-for-byte regeneration, access (another customer's
document is never served), the offer at first order, CSV neutralisation, monthly acts."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.test import Client

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.clients import log_in
from hostkeep.accounts.tests.factories import ContactFactory, StaffFactory
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.core.models import OutboxEvent
from hostkeep.documents import actions, exports, storage
from hostkeep.documents.models import ContractAcceptance, Document
from hostkeep.documents.rendering import render_pdf
from hostkeep.documents.tests.conftest import SAST, make_invoice, pdf_text

REFUSED = (IntegrityError, DatabaseError)


@pytest.fixture
def document(invoice):
    return actions.invoice_document_issue(invoice_id=invoice.pk, language="en")


def _unchanged(document):
    fresh = Document.objects.get(pk=document.pk)
    assert (fresh.number, fresh.checksum, fresh.total, fresh.snapshot) == (
        document.number,
        document.checksum,
        document.total,
        document.snapshot,
    )


def test_an_issued_document_cannot_be_changed_or_deleted_through_any_path(document):
    attempts = [
        lambda: Document.objects.filter(pk=document.pk).update(total=0),
        lambda: Document.objects.filter(pk=document.pk).delete(),
        lambda: document.delete(),
    ]

    def save_changed():
        document.number = "FORGED-1"
        document.save()

    attempts.append(save_changed)
    table = Document._meta.db_table
    statements = (f"UPDATE {table} SET total = 0 WHERE id = %s", f"DELETE FROM {table} WHERE id = %s")  # noqa: S608
    for statement in statements:

        def raw(statement=statement):
            with connection.cursor() as cursor:
                cursor.execute(statement, [document.pk])

        attempts.append(raw)
    for attempt in attempts:
        with pytest.raises(REFUSED), transaction.atomic():
            attempt()
    document.number = Document.objects.get(pk=document.pk).number
    _unchanged(document)


def test_offer_acceptances_are_append_only_too(actor, entity):
    acceptance = actions.offer_accept(actor=actor)
    with pytest.raises(REFUSED), transaction.atomic():
        ContractAcceptance.objects.filter(pk=acceptance.pk).update(ip_address="203.0.113.9")
    with pytest.raises(REFUSED), transaction.atomic():
        ContractAcceptance.objects.filter(pk=acceptance.pk).delete()
    assert ContractAcceptance.objects.get().ip_address == "198.51.100.7"


def test_regenerating_from_the_snapshot_gives_the_same_bytes_and_restores_a_lost_file(document, entity):
    issued = storage.pdf_read(document.storage_path)
    # The entity's images and names change later; the document keeps what it was drawn with.
    entity.signer_name = "Someone Else"
    entity.stamp.delete(save=False)
    entity.save()
    storage.pdf_restore(document.storage_path, b"damaged")
    staff = actor_for_user(StaffFactory(role="accountant").user)
    result = actions.document_regenerate(actor=staff, document_id=document.pk)
    assert result.pdf == issued
    assert storage.pdf_read(document.storage_path) == issued
    assert render_pdf(document.snapshot) == issued


def test_a_regeneration_that_differs_is_refused_and_keeps_the_issued_pdf(document, settings, monkeypatch):
    issued = storage.pdf_read(document.storage_path)
    monkeypatch.setattr(
        actions, "render_pdf", lambda snapshot: render_pdf({**snapshot, "number": snapshot["number"] + "X"})
    )
    staff = actor_for_user(StaffFactory(role="admin").user)
    with pytest.raises(Conflict):
        actions.document_regenerate(actor=staff, document_id=document.pk)
    assert storage.pdf_read(document.storage_path) == issued


def test_documents_are_served_to_billing_contacts_and_owners_only_never_to_another_customer(document, owner):
    url = f"/portal/documents/{document.pk}/download/"
    response = log_in(Client(), owner.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}-en.pdf"'
    assert response.content == storage.pdf_read(document.storage_path)

    billing = ContactFactory(customer=owner.customer, role=ContactRole.BILLING)
    assert log_in(Client(), billing.user).get(url).status_code == 200
    technical = ContactFactory(customer=owner.customer, role=ContactRole.TECHNICAL)
    assert log_in(Client(), technical.user).get(url).status_code == 403

    stranger = log_in(Client(), ContactFactory(customer__name="Other Ltd").user)
    for guess in range(document.pk - 2, document.pk + 3):
        response = stranger.get(f"/portal/documents/{guess}/download/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
    listing = stranger.get("/portal/documents/")
    assert list(listing.context["page"].object_list) == []
    assert Client().get(url).status_code == 302  # anonymous: to the login page


def test_the_portal_lists_the_accounts_documents(document, owner, actor, entity):
    contract = actions.offer_accept(actor=actor).document
    page = log_in(Client(), owner.user).get("/portal/documents/")
    assert page.status_code == 200
    assert [row.pk for row in page.context["page"].object_list] == [contract.pk, document.pk]
    assert f"/portal/documents/{document.pk}/download/" in page.text


def test_staff_download_and_regenerate(document):
    accountant = log_in(Client(), StaffFactory(role="accountant").user)
    assert accountant.get(f"/staff/documents/{document.pk}/download/").status_code == 200
    regenerated = accountant.post(f"/staff/documents/{document.pk}/regenerate/")
    assert regenerated.status_code == 200
    assert regenerated.content == storage.pdf_read(document.storage_path)
    support = log_in(Client(), StaffFactory(role="support_1").user)
    assert support.get(f"/staff/documents/{document.pk}/download/").status_code == 403
    assert support.post(f"/staff/documents/{document.pk}/regenerate/").status_code == 403


def test_the_first_order_needs_the_offer_accepted_and_records_it(actor, entity, owner):
    from hostkeep.catalog.tests.factories import minecraft_catalog
    from hostkeep.services import actions as service_actions
    from hostkeep.services.models import Order

    catalog = minecraft_catalog()
    service_actions.cart_add(actor=actor, plan_id=catalog["stone"].pk)
    with pytest.raises(ValidationFailed) as refused:
        actions.checkout_with_offer(actor=actor, accept_offer=False, idempotency_key="k1")
    assert "accept_offer" in refused.value.fields
    assert (Order.objects.count(), ContractAcceptance.objects.count(), Document.objects.count()) == (0, 0, 0)

    at = dt.datetime(2026, 10, 5, 9, 30, tzinfo=SAST)
    with time_machine.travel(at, tick=False):
        order = actions.checkout_with_offer(actor=actor, accept_offer=True, idempotency_key="k1")
    acceptance = ContractAcceptance.objects.get()
    assert (acceptance.customer, acceptance.user_id, acceptance.ip_address, acceptance.offer_version) == (
        owner.customer,
        owner.user.pk,
        "198.51.100.7",
        "1",
    )
    assert acceptance.accepted_at == at
    contract = acceptance.document
    assert (contract.kind, contract.number) == ("contract", "TVP-CON-2026-000001")
    text = pdf_text(storage.pdf_read(contract.storage_path))
    assert "Contract TVP-CON-2026-000001" in text
    assert f"by {owner.user.email} from IP address 198.51.100.7; offer version 1" in text
    # The next order needs no acceptance; a new offer version needs a new one.
    service_actions.cart_add(actor=actor, plan_id=catalog["stone"].pk)
    second = actions.checkout_with_offer(actor=actor, accept_offer=False, idempotency_key="k2")
    assert second.pk != order.pk
    assert ContractAcceptance.objects.count() == 1


def test_the_cart_page_asks_for_the_offer_until_accepted(actor, entity, owner):
    from hostkeep.catalog.tests.factories import minecraft_catalog
    from hostkeep.services import actions as service_actions

    catalog = minecraft_catalog()
    service_actions.cart_add(actor=actor, plan_id=catalog["stone"].pk)
    portal = log_in(Client(), owner.user)
    cart = portal.get("/portal/cart/")
    assert "I accept the offer (contract)" in cart.text
    key = cart.context["checkout_form"].initial["idempotency_key"]
    refused = portal.post("/portal/cart/checkout/", {"idempotency_key": key})
    assert refused.status_code == 302
    assert ContractAcceptance.objects.count() == 0
    placed = portal.post("/portal/cart/checkout/", {"idempotency_key": key, "accept_offer": "on"})
    assert (placed.status_code, placed["Location"]) == (302, "/portal/services/")
    assert ContractAcceptance.objects.get().ip_address == "127.0.0.1"
    assert "I accept the offer" not in portal.get("/portal/cart/").text


def test_issuing_announces_document_issued_with_the_pdf_for_notifications(document):
    from hostkeep.notifications.catalogue import EVENT_TYPES

    event = OutboxEvent.objects.filter(topic="document.issued").get()
    assert event.payload == {"document_id": document.pk, "customer_id": document.customer_id}
    description = EVENT_TYPES["document.issued"].describe(event.payload)
    assert description is not None
    assert description.customer_id == document.customer_id
    assert description.attachments[0].storage_path == document.storage_path
    assert description.attachments[0].filename == f"{document.number}-en.pdf"


def test_an_issued_invoice_gets_its_pdf_by_the_outbox_and_a_job(owner, vat, entity, run_jobs):
    from hostkeep.core.outbox import deliver_pending

    invoice = make_invoice(owner.customer, vat)
    deliver_pending()
    run_jobs()
    document = Document.objects.get(invoice=invoice)
    assert (document.kind, document.number, document.language) == ("invoice", invoice.number, "en")


def test_csv_exports_neutralise_formula_cells(owner, vat, entity):
    owner.customer.legal_entities.update(name='=HYPERLINK("http://evil")')
    for index, name in enumerate(["+cmd", "-2+3", "@SUM(A1)", "\tTab"]):
        customer = ContactFactory(customer__name=name, customer__currency="ZAR").customer
        make_invoice(customer, vat, key=f"x{index}")
    make_invoice(owner.customer, vat, key="evil")
    staff = actor_for_user(StaffFactory(role="accountant").user)
    text = "".join(
        exports.export_csv(actor=staff, name="invoices", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["customer"] for row in rows) == sorted(
        ["'+cmd", "'-2+3", "'@SUM(A1)", "'\tTab", '\'=HYPERLINK("http://evil")']
    )
    assert {row["total"] for row in rows} == {"246.1000"}
    assert exports.neutralise("-12") == "'-12"
    assert exports.neutralise("plain") == "plain"


def test_csv_export_page_for_staff_only(owner, vat, entity):
    make_invoice(owner.customer, vat)
    accountant = log_in(Client(), StaffFactory(role="accountant").user)
    response = accountant.get("/staff/documents/export/invoices.csv", {"start": "2026-10-01", "end": "2026-10-31"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("number,kind,issued")
    assert "TVP-INV-2026-000001" in body
    customer = log_in(Client(), owner.user)
    assert customer.get("/staff/documents/export/invoices.csv").status_code == 302


def test_the_monthly_job_issues_one_act_per_customer_and_entity_once(owner, vat, entity):
    from hostkeep.documents.tasks import acts_issue_monthly

    other = ContactFactory(customer__currency="ZAR", customer__language="ru").customer
    make_invoice(owner.customer, vat, key="a", at=dt.datetime(2026, 10, 3, tzinfo=SAST))
    make_invoice(owner.customer, vat, key="b", at=dt.datetime(2026, 10, 20, tzinfo=SAST))
    make_invoice(other, vat, key="c", at=dt.datetime(2026, 10, 9, tzinfo=SAST))
    with time_machine.travel(dt.datetime(2026, 11, 1, 2, 30, tzinfo=SAST), tick=False):
        assert acts_issue_monthly.call() == {"period": "2026-10", "issued": 2, "skipped": 0}
        assert acts_issue_monthly.call() == {"period": "2026-10", "issued": 0, "skipped": 2}
    acts = list(Document.objects.filter(kind="act").order_by("number"))
    assert [(act.number, act.customer_id, act.language, str(act.total)) for act in acts] == [
        ("TVP-ACT-2026-000001", owner.customer_id, "en", "492.2000"),
        ("TVP-ACT-2026-000002", other.pk, "ru", "246.1000"),
    ]
    assert "Акт № TVP-ACT-2026-000002" in pdf_text(storage.pdf_read(acts[1].storage_path))


def test_a_correction_is_a_new_act_with_a_new_number(owner, vat, entity):
    make_invoice(owner.customer, vat, key="a", at=dt.datetime(2026, 10, 3, tzinfo=SAST))
    first = actions.act_issue(customer_id=owner.customer_id, legal_entity_id=entity.pk, year=2026, month=10)
    corrected = actions.act_issue(
        customer_id=owner.customer_id, legal_entity_id=entity.pk, year=2026, month=10, replaces_id=first.pk
    )
    assert (first.number, corrected.number, corrected.replaces_id) == (
        "TVP-ACT-2026-000001",
        "TVP-ACT-2026-000002",
        first.pk,
    )
    assert "Corrects act TVP-ACT-2026-000001" in pdf_text(storage.pdf_read(corrected.storage_path))


def test_a_statement_of_account_reconciles_invoices_and_payments(owner, vat, entity, actor):
    from decimal import Decimal

    from hostkeep.billing.actions import balance_top_up
    from hostkeep.core.money import Money
    from hostkeep.ledger.choices import AccountKind

    with time_machine.travel(dt.datetime(2026, 10, 1, 9, tzinfo=SAST), tick=False):
        balance_top_up(
            customer=owner.customer,
            amount=Money(Decimal(100), "ZAR"),
            idempotency_key="t1",
            description="Payment by EFT",
            source=AccountKind.ADJUSTMENTS,
        )
    make_invoice(owner.customer, vat, key="a", at=dt.datetime(2026, 10, 5, 10, tzinfo=SAST))
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=SAST), tick=False):
        statement = actions.statement_issue(
            actor=actor, start=dt.date(2026, 10, 2), end=dt.date(2026, 10, 31), language="ru"
        )
    assert (statement.snapshot["opening"], statement.snapshot["closing"]) == ("-100.00", "146.10")
    text = pdf_text(storage.pdf_read(statement.storage_path))
    assert "Акт сверки взаимных расчётов № TVP-STM-2026-000001" in text
    assert "задолженность в пользу Исполнителя составляет 146,10 ZAR" in text


def test_translating_keeps_number_and_figures(document):
    russian = actions.document_translate(actor=SYSTEM_ACTOR, document_id=document.pk, language="ru")
    assert (russian.number, russian.total, russian.language) == (document.number, document.total, "ru")
    assert "Счёт на оплату № " + document.number in pdf_text(storage.pdf_read(russian.storage_path))


def test_the_offer_can_be_read_before_it_is_accepted(owner, entity):
    page = log_in(Client(), owner.user).get("/portal/documents/offer/")
    assert page.status_code == 200
    assert "The Villager People (Pty) Ltd" in page.text
    assert "Mokoena Games CC" in page.text
    assert not Document.objects.exists()  # reading issues nothing
    assert Client().get("/portal/documents/offer/").status_code == 302


def test_without_a_provider_entity_there_is_no_offer_to_read(owner):
    page = log_in(Client(), owner.user).get("/portal/documents/offer/")
    assert page.status_code == 404
