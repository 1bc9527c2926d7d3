import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostkeep.accounts.tests.factories import CustomerFactory
from hostkeep.core.errors import Conflict
from hostkeep.core.money import Money
from hostkeep.ledger.actions import (
    InsufficientFunds,
    Posting,
    UnbalancedTransaction,
    ledger_account,
    ledger_post,
    ledger_reverse,
)
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerEntry, LedgerTransaction
from hostkeep.ledger.selectors import (
    accounts_out_of_step,
    customer_balance,
    customer_balance_from_entries,
    unbalanced_transactions,
)


def top_up(customer, amount: str, key: str):
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency="ZAR", customer=customer)
    clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency="ZAR")
    value = Money(Decimal(amount), "ZAR")
    return ledger_post(
        Posting(
            kind=TransactionKind.TOP_UP,
            description="top-up",
            idempotency_key=key,
            customer_id=customer.pk,
            lines=[(clearing, value), (balance, -value)],
        )
    )


def charge(customer, amount: str, key: str, tax: str = "0"):
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency="ZAR", customer=customer)
    revenue = ledger_account(kind=AccountKind.REVENUE, currency="ZAR")
    tax_account = ledger_account(kind=AccountKind.TAX_PAYABLE, currency="ZAR")
    gross = Money(Decimal(amount), "ZAR")
    tax_part = Money(Decimal(tax), "ZAR")
    lines = [(balance, gross), (revenue, -(gross - tax_part))]
    if not tax_part.is_zero():
        lines.append((tax_account, -tax_part))
    return ledger_post(
        Posting(
            kind=TransactionKind.CHARGE, description="charge", idempotency_key=key, customer_id=customer.pk, lines=lines
        )
    )


@pytest.mark.django_db
def test_a_balance_is_derived_and_charges_cannot_overdraw():
    customer = CustomerFactory()
    top_up(customer, "100", "t1")
    charge(customer, "57.50", "c1", tax="7.50")
    assert customer_balance(customer, "ZAR").amount == Decimal("42.5")
    with pytest.raises(InsufficientFunds):
        charge(customer, "42.51", "c2")
    assert not LedgerTransaction.objects.filter(idempotency_key="c2").exists()
    assert customer_balance(customer, "ZAR") == customer_balance_from_entries(customer, "ZAR")


@pytest.mark.django_db
def test_the_same_key_posts_once_and_a_reversal_happens_once():
    customer = CustomerFactory()
    first = top_up(customer, "100", "t1")
    assert top_up(customer, "100", "t1") == first
    assert LedgerEntry.objects.count() == 2
    reversal = ledger_reverse(transaction_id=first.pk, idempotency_key="r1", description="wrong customer")
    assert reversal.reverses == first
    assert customer_balance(customer, "ZAR").amount == 0
    with pytest.raises(Conflict):
        ledger_reverse(transaction_id=first.pk, idempotency_key="r2", description="again")
    assert LedgerTransaction.objects.count() == 2


@pytest.mark.django_db
def test_unbalanced_or_mixed_postings_are_refused_before_writing():
    customer = CustomerFactory()
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency="ZAR", customer=customer)
    clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency="ZAR")
    usd = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency="USD")
    for lines in (
        [(clearing, Money(Decimal(10), "ZAR")), (balance, Money(Decimal(-9), "ZAR"))],
        [(usd, Money(Decimal(10), "USD")), (balance, Money(Decimal(-10), "ZAR"))],
        [(clearing, Money(Decimal(10), "USD")), (balance, Money(Decimal(-10), "USD"))],
        [],
    ):
        with pytest.raises(UnbalancedTransaction):
            ledger_post(Posting(kind="top_up", description="x", idempotency_key="bad", lines=lines))
    assert not LedgerTransaction.objects.exists()


@pytest.mark.django_db
def test_posted_rows_cannot_be_changed_or_deleted():
    customer = CustomerFactory()
    posted = top_up(customer, "10", "t1")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        LedgerEntry.objects.filter(transaction=posted).update(amount=Decimal(5))
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        LedgerTransaction.objects.filter(pk=posted.pk).delete()
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal(-10), Decimal(10)]


@pytest.mark.postgresql
@pytest.mark.django_db
def test_postgresql_itself_refuses_an_unbalanced_transaction():
    customer = CustomerFactory()
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency="ZAR", customer=customer)
    row = LedgerTransaction.objects.create(
        kind="top_up", description="raw", idempotency_key="raw", occurred_at="2026-01-01T00:00:00Z"
    )
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(transaction=row, account=balance, currency="ZAR", amount=Decimal(-10))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_charges_against_a_balance_that_covers_one():
    customer = CustomerFactory()
    top_up(customer, "100", "t1")
    outcomes = []
    barrier = threading.Barrier(10)

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            charge(customer, "80", f"c{index}")
            outcomes.append("ok")
        except InsufficientFunds:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 9
    assert customer_balance(customer, "ZAR").amount == Decimal(20)
    assert customer_balance_from_entries(customer, "ZAR").amount == Decimal(20)


operations = st.lists(
    st.tuples(
        st.sampled_from(["top_up", "charge", "refund", "reverse", "promise", "promise_end"]),
        st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=4),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_keeps_every_transaction_balanced_and_the_balance_equal_to_its_entries(steps):
    with transaction.atomic():
        customer = CustomerFactory()
        balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency="ZAR", customer=customer)
        clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency="ZAR")
        revenue = ledger_account(kind=AccountKind.REVENUE, currency="ZAR")
        refunds = ledger_account(kind=AccountKind.REFUNDS, currency="ZAR")
        promised = ledger_account(kind=AccountKind.PROMISED_CREDIT, currency="ZAR", customer=customer)
        posted: list[int] = []
        open_promise = None
        for index, (operation, raw) in enumerate(steps):
            amount = Money(raw, "ZAR")
            key = f"{customer.pk}-{index}"
            try:
                if operation == "top_up":
                    lines = [(clearing, amount), (balance, -amount)]
                elif operation == "charge":
                    lines = [(balance, amount), (revenue, -amount)]
                elif operation == "refund":
                    lines = [(balance, amount), (refunds, -amount)]
                elif operation == "promise" and open_promise is None:
                    lines = [(promised, amount), (balance, -amount)]
                elif operation == "promise_end" and open_promise is not None:
                    ledger_reverse(
                        transaction_id=open_promise, idempotency_key=key, description="end", allow_overdraft=True
                    )
                    open_promise = None
                    continue
                elif operation == "reverse" and posted:
                    ledger_reverse(transaction_id=posted.pop(0), idempotency_key=key, description="undo")
                    continue
                else:
                    continue
                row = ledger_post(
                    Posting(
                        kind="adjustment",
                        description=operation,
                        idempotency_key=key,
                        customer_id=customer.pk,
                        lines=lines,
                    )
                )
                if operation == "promise":
                    open_promise = row.pk
                else:
                    posted.append(row.pk)
            except (InsufficientFunds, Conflict):
                pass
            assert customer_balance(customer, "ZAR") == customer_balance_from_entries(customer, "ZAR")
        assert unbalanced_transactions() == []
        assert accounts_out_of_step() == []
        transaction.set_rollback(True)
