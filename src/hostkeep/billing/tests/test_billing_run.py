import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import close_old_connections, connection, transaction

from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.billing.actions import PlannedLine, balance_top_up, invoice_create
from hostkeep.billing.choices import InvoiceStatus, LineKind
from hostkeep.billing.models import Invoice, InvoiceLine, ServicePeriodCharge
from hostkeep.billing.run import billing_run, renew_chunk
from hostkeep.billing.tests.conftest import SAST, make_active_service, zar
from hostkeep.ledger.selectors import (
    accounts_out_of_step,
    customer_balance,
    customer_balance_from_entries,
    unbalanced_transactions,
)
from hostkeep.services.models import Service


def renewal_invoices(service):
    return (
        Invoice.objects.filter(lines__service=service, lines__kind=LineKind.SERVICE_PERIOD)
        .exclude(source_key__startswith="order:")
        .distinct()
    )


@pytest.mark.django_db
def test_a_service_renews_from_the_balance_and_a_second_run_does_nothing(catalog):
    with time_machine.travel(dt.datetime(2026, 1, 31, 10, 0, tzinfo=SAST), tick=False):
        service = make_active_service(catalog, plan="iron", ram_gb=4)
        balance_top_up(customer=service.customer, amount=zar(1000), idempotency_key="t1", description="top-up")
    # The order (Iron 200 + RAM 40 + setup 50 = 290, VAT 43.50) was paid from the top-up.
    assert service.next_due_date == dt.date(2026, 2, 28)
    assert customer_balance(service.customer, "ZAR").amount == Decimal("1000") - Decimal("333.50")  # order paid
    at = dt.datetime(2026, 2, 28, 0, 5, tzinfo=SAST)
    with time_machine.travel(at, tick=False):
        run = billing_run(at=at)
        again = billing_run(at=at)
    assert (run.services_renewed, run.invoices_issued, run.paid_from_balance) == (1, 1, 1)
    assert (again.services_renewed, again.invoices_issued) == (0, 0)
    invoice = renewal_invoices(service).get()
    # Iron 200 + 2 GB extra RAM at 20 = 240 net, 15 % VAT = 36
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (Decimal("240"), Decimal("36"), Decimal("276"))
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.number == "TVP-INV-2026-000002"
    service.refresh_from_db()
    assert service.next_due_date == dt.date(2026, 3, 31)  # back to the 31st
    assert customer_balance(service.customer, "ZAR").amount == Decimal("390.50")
    assert customer_balance(service.customer, "ZAR") == customer_balance_from_entries(service.customer, "ZAR")
    assert unbalanced_transactions() == []
    assert accounts_out_of_step() == []
    assert ServicePeriodCharge.objects.count() == 1


@pytest.mark.django_db
def test_an_unpaid_service_is_suspended_after_grace_and_unsuspended_on_payment(catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = make_active_service(catalog)
    order_invoice = Invoice.objects.get(source_key__startswith="order:")
    assert order_invoice.status == InvoiceStatus.ISSUED  # no balance yet
    balance_top_up(customer=service.customer, amount=zar("172.50"), idempotency_key="pay-order", description="pay")
    order_invoice.refresh_from_db()
    assert order_invoice.status == InvoiceStatus.PAID

    for day, expected in ((1, "active"), (3, "active"), (4, "suspended")):
        at = dt.datetime(2026, 4, day, 1, 0, tzinfo=SAST)
        with time_machine.travel(at, tick=False):
            billing_run(at=at)
        service.refresh_from_db()
        assert service.status == expected, day
    renewal = renewal_invoices(service).get()
    assert renewal.status == InvoiceStatus.OVERDUE
    assert renewal.total == Decimal("115")
    with time_machine.travel(dt.datetime(2026, 4, 5, 12, 0, tzinfo=SAST), tick=False):
        balance_top_up(customer=service.customer, amount=zar("115"), idempotency_key="pay-renewal", description="pay")
    service.refresh_from_db()
    renewal.refresh_from_db()
    assert (renewal.status, service.status) == (InvoiceStatus.PAID, "active")
    assert customer_balance(service.customer, "ZAR").amount == 0


@pytest.mark.django_db
def test_termination_after_the_products_termination_days(catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = make_active_service(catalog)
    for day in (1, 4, 15):
        at = dt.datetime(2026, 4, day, 1, 0, tzinfo=SAST)
        with time_machine.travel(at, tick=False):
            billing_run(at=at)
    service.refresh_from_db()
    assert service.status == "terminated"


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_halfway_then_started_again_bills_each_period_once(catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        services = [make_active_service(catalog) for _ in range(6)]
    at = dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST)
    customers = sorted(s.customer_id for s in services)

    class Killed(Exception):
        pass

    with time_machine.travel(at, tick=False):
        renew_chunk(lo=customers[0], hi=customers[3], at=at, run_key="first")  # the first half commits

        def dies_before_commit() -> None:
            with transaction.atomic():
                renew_chunk(lo=customers[3], hi=customers[-1] + 1, at=at, run_key="first")
                raise Killed  # the process dies before this chunk commits

        with pytest.raises(Killed):
            dies_before_commit()
        assert ServicePeriodCharge.objects.count() == 3
        billing_run(at=at, run_key="second")
    for service in services:
        assert renewal_invoices(service).count() == 1
    assert ServicePeriodCharge.objects.count() == 6
    assert unbalanced_transactions() == []


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_once_bill_each_period_once(catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        services = [make_active_service(catalog) for _ in range(20)]
        for service in services[:10]:
            balance_top_up(
                customer=service.customer, amount=zar(1000), idempotency_key=f"t{service.pk}", description="top-up"
            )
    at = dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST)
    errors = []
    barrier = threading.Barrier(2)

    def run(key):
        try:
            barrier.wait()
            billing_run(at=at, run_key=key, chunk_customers=3)
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    with time_machine.travel(at, tick=False):
        threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for service in services:
        assert renewal_invoices(service).count() == 1
    assert (
        InvoiceLine.objects.filter(kind=LineKind.SERVICE_PERIOD)
        .exclude(invoice__source_key__startswith="order:")
        .count()
        == 20
    )
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert unbalanced_transactions() == []
    assert accounts_out_of_step() == []


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_fifty_invoices_issued_in_parallel_are_numbered_1_to_50(entity):
    contacts = [ContactFactory(customer__currency="ZAR") for _ in range(50)]
    barrier = threading.Barrier(50)
    errors = []

    def issue(index):
        try:
            barrier.wait()
            invoice_create(
                customer=contacts[index].customer,
                currency="ZAR",
                source_key=f"manual:{index}",
                lines=[PlannedLine(kind=LineKind.ONE_OFF, description="x", amount=zar(10))],
            )
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = dt.datetime.now(tz=dt.UTC).astimezone(SAST).year
    assert numbers == [f"TVP-INV-{year}-{n:06d}" for n in range(1, 51)]


def test_chunk_query_count_stays_flat(catalog, django_assert_max_num_queries):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        few = [make_active_service(catalog) for _ in range(2)]
        many = [make_active_service(catalog) for _ in range(25)]
    at = dt.datetime(2026, 4, 1, 1, 0, tzinfo=SAST)
    ids = sorted(s.customer_id for s in few)
    with time_machine.travel(at, tick=False), django_assert_max_num_queries(40):
        renew_chunk(lo=ids[0], hi=ids[-1] + 1, at=at, run_key="few")
    ids = sorted(s.customer_id for s in many)
    with time_machine.travel(at, tick=False), django_assert_max_num_queries(40):
        renew_chunk(lo=ids[0], hi=ids[-1] + 1, at=at, run_key="many")
    assert Service.objects.filter(next_due_date=dt.date(2026, 5, 1)).count() == 27
