"""Bank transfers (a reference per payment, a CSV statement matched by reference and amount)
and manual payments entered by staff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostkeep.core.errors import PermissionRefused, ValidationFailed
from hostkeep.core.models import OutboxEvent
from hostkeep.payments import actions
from hostkeep.payments.choices import PaymentStatus, StatementLineStatus
from hostkeep.payments.models import Payment, StatementLine
from hostkeep.payments.statements import statement_import, statement_line_assign
from hostkeep.payments.tests.helpers import (
    actor_of,
    balance,
    gateway_account,
    ledger_sound,
    payment_credits,
    zar,
    zar_contact,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(db):
    return gateway_account(
        "bank", label="EFT", settings={"bank_name": "FNB", "account_holder": "TVP", "account_number": "62000000000"}
    )


def start_bank(contact, bank, amount: str, key: str) -> Payment:
    return actions.payment_start(
        actor=actor_of(contact), account_id=bank.pk, amount=amount, reference=f"invoice:{key}", idempotency_key=key
    )


def test_statement_import_matched_partial_duplicate_and_unknown_lines(bank, staff_actor):
    alpha, beta = zar_contact("Alpha"), zar_contact("Beta")
    full = start_bank(alpha, bank, "150.00", "a1")
    part = start_bank(beta, bank, "300.00", "b1")
    assert full.bank_reference
    assert full.bank_reference.startswith("HK")
    assert full.status == PaymentStatus.PENDING
    assert full.redirect_url == ""
    csv_text = (
        "date,amount,currency,reference,payer,id\n"
        f"2026-11-20,150.00,ZAR,Payment {full.bank_reference},Alpha,L1\n"
        f"2026-11-20,100.00,ZAR,{part.bank_reference[:4]}-{part.bank_reference[4:]},Beta,L2\n"
        "2026-11-21,75.00,ZAR,thanks for the server,Unknown Person,L3\n"
        "2026-11-21,-500.00,ZAR,bank fees,,L4\n"
    )
    first = statement_import(actor=staff_actor, account_id=bank.pk, filename="nov.csv", content=csv_text)
    assert first.counts == {"matched": 1, "partial": 1, "unmatched": 1}
    full.refresh_from_db()
    part.refresh_from_db()
    assert (full.status, full.amount_received) == (PaymentStatus.SUCCEEDED, Decimal("150.0000"))
    assert (part.status, part.amount_received) == (PaymentStatus.PARTIALLY_PAID, Decimal("100.0000"))
    assert balance(alpha) == zar("150.00")
    assert balance(beta) == zar("100.00")
    # The same statement again (plus the rest of Beta's payment and an overpayment): the old
    # lines are duplicates and move nothing.
    again = statement_import(
        actor=staff_actor,
        account_id=bank.pk,
        filename="nov-again.csv",
        content=csv_text
        + f"2026-11-22,200.00,ZAR,{part.bank_reference},Beta,L5\n"
        + f"2026-11-22,10.00,ZAR,{full.bank_reference},Alpha,L6\n",
    )
    assert again.counts == {"duplicate": 3, "matched": 1, "review": 1}
    part.refresh_from_db()
    assert part.status == PaymentStatus.SUCCEEDED
    assert balance(alpha) == zar("150.00")
    assert balance(beta) == zar("300.00")
    assert payment_credits(alpha.customer_id) == 1
    assert payment_credits(beta.customer_id) == 2
    waiting = StatementLine.objects.filter(status__in=["unmatched", "review"]).order_by("id")
    assert [line.amount for line in waiting] == [Decimal("75.0000"), Decimal("10.0000")]
    unknown = waiting[0]
    with pytest.raises(ValidationFailed):
        statement_line_assign(actor=staff_actor, line_id=unknown.pk, customer_id=alpha.customer_id, reason=" ")
    assert balance(alpha) == zar("150.00")
    statement_line_assign(actor=staff_actor, line_id=unknown.pk, customer_id=alpha.customer_id, reason="phoned us")
    unknown.refresh_from_db()
    assert unknown.status == StatementLineStatus.ASSIGNED
    assert balance(alpha) == zar("225.00")
    received = OutboxEvent.objects.filter(topic="payment.received").order_by("id")
    assert [event.payload["amount"] for event in received] == ["150.0000", "100.0000", "200.0000", "75.0000"]
    ledger_sound()


def test_statement_without_columns_is_refused_and_imports_nothing(bank, staff_actor):
    with pytest.raises(ValidationFailed):
        statement_import(actor=staff_actor, account_id=bank.pk, filename="x.csv", content="when,how much\n1,2\n")
    assert StatementLine.objects.count() == 0


def test_manual_payment_needs_staff_and_a_reason(staff_actor, owner_a):
    manual = gateway_account("manual", label="Cash", currencies=("ZAR", "USD"))
    customer = owner_a.customer
    with pytest.raises(ValidationFailed):
        actions.payment_record_manual(
            actor=staff_actor, customer_id=customer.pk, account_id=manual.pk, amount="10", reason="", key="m0"
        )
    with pytest.raises(PermissionRefused):
        actions.payment_record_manual(
            actor=actor_of(owner_a), customer_id=customer.pk, account_id=manual.pk, amount="10", reason="x", key="m1"
        )
    assert Payment.objects.count() == 0
    payment = actions.payment_record_manual(
        actor=staff_actor,
        customer_id=customer.pk,
        account_id=manual.pk,
        amount="40.00",
        reason="cash at the desk",
        key="m2",
    )
    again = actions.payment_record_manual(
        actor=staff_actor,
        customer_id=customer.pk,
        account_id=manual.pk,
        amount="40.00",
        reason="cash at the desk",
        key="m2",
    )
    assert again.pk == payment.pk
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(owner_a, customer.currency).amount == Decimal("40.0000")
    assert payment_credits(customer.pk) == 1
    ledger_sound()
