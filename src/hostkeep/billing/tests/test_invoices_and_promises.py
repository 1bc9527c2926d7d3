import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory, LegalEntityFactory
from hostkeep.billing.actions import (
    PlannedLine,
    balance_top_up,
    invoice_create,
    invoice_void,
    manual_refund,
    promised_payment_take,
)
from hostkeep.billing.choices import InvoiceStatus, LineKind, PromisedPaymentStatus
from hostkeep.billing.models import Invoice, PromisedPayment
from hostkeep.billing.run import billing_run
from hostkeep.billing.tests.conftest import SAST, make_active_service, zar
from hostkeep.catalog.models import TaxClass, TaxRate
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.core.money import Money
from hostkeep.ledger.actions import InsufficientFunds
from hostkeep.ledger.models import LedgerEntry
from hostkeep.ledger.selectors import customer_balance, unbalanced_transactions
from hostkeep.usage.models import UsageRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def vat(entity):
    tax = TaxClass.objects.create(code="std", name="Standard")
    TaxRate.objects.create(tax_class=tax, country="ZA", rate=Decimal(15))
    return tax


def issue(customer, amounts, *, vat, currency="ZAR", key="k"):
    return invoice_create(
        customer=customer,
        currency=currency,
        source_key=key,
        settle=False,
        lines=[
            PlannedLine(
                kind=LineKind.ONE_OFF, description=f"line {i}", amount=Money(Decimal(a), currency), tax_class_id=vat.pk
            )
            for i, a in enumerate(amounts)
        ],
    )


def ledger_total_of(invoice):
    return sum(
        LedgerEntry.objects.filter(transaction=invoice.issue_transaction, amount__gt=0).values_list("amount", flat=True)
    )


def test_three_lines_of_0_3333_with_15_percent_vat_exclusive(vat):
    customer = ContactFactory(customer__country="ZA", customer__currency="ZAR").customer
    invoice = issue(customer, ["0.3333"] * 3, vat=vat)
    # per line: net 0.33, VAT 0.05 (0.0495 half-up), gross 0.38; summed: 0.99 + 0.15 = 1.14
    assert [(line.net, line.tax, line.gross) for line in invoice.lines.all()] == [
        (Decimal("0.33"), Decimal("0.05"), Decimal("0.38"))
    ] * 3
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (Decimal("0.99"), Decimal("0.15"), Decimal("1.14"))
    assert ledger_total_of(invoice) == invoice.total


def test_prices_inclusive_of_vat(vat, entity):
    ProviderLegalEntity.objects.filter(pk=entity.pk).update(prices_include_tax=True)
    customer = ContactFactory(customer__country="ZA", customer__currency="ZAR").customer
    invoice = issue(customer, ["115.00", "0.3333"], vat=vat)
    assert [(line.net, line.tax, line.gross) for line in invoice.lines.all()] == [
        (Decimal("100.00"), Decimal("15.00"), Decimal("115.00")),
        (Decimal("0.29"), Decimal("0.04"), Decimal("0.33")),
    ]
    assert invoice.total == Decimal("115.33")
    assert ledger_total_of(invoice) == invoice.total


def test_a_zero_decimal_currency_rounds_to_whole_units(vat):
    customer = ContactFactory(customer__country="ZA", customer__currency="JPY").customer
    invoice = issue(customer, ["1000.5", "333.3333"], vat=vat, currency="JPY")
    assert [(line.net, line.tax, line.gross) for line in invoice.lines.all()] == [
        (Decimal("1001"), Decimal("150"), Decimal("1151")),
        (Decimal("333"), Decimal("50"), Decimal("383")),
    ]
    assert invoice.total == Decimal("1534")


def test_reverse_charge_for_an_eu_business_customer(entity, vat):
    ProviderLegalEntity.objects.filter(pk=entity.pk).update(country="ES")
    TaxRate.objects.create(tax_class=vat, country="DE", rate=Decimal(19))
    business = ContactFactory(customer__country="DE", customer__currency="EUR").customer
    LegalEntityFactory(customer=business, country="DE", tax_id="DE123456789", is_default=True)
    person = ContactFactory(customer__country="DE", customer__currency="EUR").customer
    business_invoice = issue(business, ["100"], vat=vat, currency="EUR", key="b")
    person_invoice = issue(person, ["100"], vat=vat, currency="EUR", key="p")
    assert (business_invoice.reverse_charge, business_invoice.tax_total) == (True, Decimal(0))
    assert (person_invoice.reverse_charge, person_invoice.tax_total) == (False, Decimal("19.00"))


def test_the_same_source_is_invoiced_once_and_void_reverses(vat):
    customer = ContactFactory(customer__country="ZA", customer__currency="ZAR").customer
    first = issue(customer, ["10"], vat=vat, key="same")
    assert issue(customer, ["999"], vat=vat, key="same") == first
    assert Invoice.objects.count() == 1
    admin = ContactFactory()  # not staff: refused
    with pytest.raises(Exception):  # noqa: B017 - PermissionRefused
        invoice_void(actor=actor_for_user(admin.user), invoice_id=first.pk, reason="x")
    from hostkeep.accounts.tests.factories import StaffFactory

    staff = actor_for_user(StaffFactory(role="accountant").user)
    invoice_void(actor=staff, invoice_id=first.pk, reason="wrong price")
    first.refresh_from_db()
    assert first.status == InvoiceStatus.VOID
    assert unbalanced_transactions() == []
    with pytest.raises(Conflict):
        invoice_void(actor=staff, invoice_id=first.pk, reason="again")


def test_manual_refund_never_exceeds_the_balance(vat):
    from hostkeep.accounts.tests.factories import StaffFactory

    customer = ContactFactory(customer__country="ZA", customer__currency="ZAR").customer
    balance_top_up(customer=customer, amount=zar(50), idempotency_key="t", description="top-up")
    staff = actor_for_user(StaffFactory(role="accountant").user)
    with pytest.raises(InsufficientFunds):
        manual_refund(actor=staff, customer_id=customer.pk, amount="50.01", reason="asked", key="r1")
    with pytest.raises(ValidationFailed):
        manual_refund(actor=staff, customer_id=customer.pk, amount="-5", reason="asked", key="r2")
    manual_refund(actor=staff, customer_id=customer.pk, amount="50", reason="asked", key="r3")
    assert customer_balance(customer, "ZAR").amount == 0


def test_promised_payment_rules_and_expiry_into_suspension(catalog, settings):
    settings.PROMISED_PAYMENT_CAP = "300"
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = make_active_service(catalog)
        balance_top_up(customer=service.customer, amount=zar("172.50"), idempotency_key="order", description="pay")
    contact = service.customer.contacts.first()
    actor = actor_for_user(contact.user)
    with time_machine.travel(dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST), tick=False):
        billing_run(at=dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST))
    renewal = Invoice.objects.exclude(source_key__startswith="order:").get()
    assert renewal.status == InvoiceStatus.ISSUED
    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=SAST), tick=False):
        with pytest.raises(ValidationFailed):
            promised_payment_take(actor=actor, amount="300.01")
        promise = promised_payment_take(actor=actor, amount="200")
        with pytest.raises(Conflict):
            promised_payment_take(actor=actor, amount="10")
    renewal.refresh_from_db()
    assert renewal.status == InvoiceStatus.PAID  # the promise paid the renewal at once
    assert customer_balance(service.customer, "ZAR").amount == Decimal("85")
    # Three days later it expires unpaid: 115 was spent, so 115 is owed again as a debt.
    for day in (5, 8):
        at = dt.datetime(2026, 4, day, 10, 0, tzinfo=SAST)
        with time_machine.travel(at, tick=False):
            billing_run(at=at)
    promise.refresh_from_db()
    assert promise.status == PromisedPaymentStatus.EXPIRED
    debt = Invoice.objects.get(source_key=f"promise-debt:{promise.pk}")
    assert debt.total == Decimal("115")
    assert customer_balance(service.customer, "ZAR").amount == 0
    service.refresh_from_db()
    assert service.status == "suspended"
    with time_machine.travel(dt.datetime(2026, 4, 9, 10, 0, tzinfo=SAST), tick=False):
        balance_top_up(customer=service.customer, amount=zar(115), idempotency_key="repay", description="pay")
        with pytest.raises(Conflict):  # once every 30 days
            promised_payment_take(actor=actor, amount="10")
    service.refresh_from_db()
    assert service.status == "active"
    assert PromisedPayment.objects.count() == 1
    assert unbalanced_transactions() == []


def test_pay_as_you_go_usage_is_rated_at_the_end_of_the_period(catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = make_active_service(catalog, plan="payg")
    start = service.current_period_start
    for day in range(3):
        moment = start + dt.timedelta(days=day)
        UsageRecord.objects.create(
            service=service,
            resource="server_hours",
            quantity=Decimal("10.5"),
            period_start=moment,
            period_end=moment + dt.timedelta(hours=10),
            source_id=f"u{day}",
            received_at=moment,
        )
    UsageRecord.objects.create(
        service=service,
        resource="server_hours",
        quantity=Decimal(99),
        period_start=service.current_period_end,
        period_end=service.current_period_end,
        source_id="next-period",
        received_at=start,
    )
    at = dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST)
    with time_machine.travel(at, tick=False):
        billing_run(at=at)
    invoice = Invoice.objects.exclude(source_key__startswith="order:").get()
    line = invoice.lines.get()
    assert line.kind == LineKind.USAGE
    assert line.quantity == Decimal("31.5")
    assert (line.net, line.tax) == (Decimal("7.88"), Decimal("1.18"))  # 31.5 h x 0.25 = 7.875
