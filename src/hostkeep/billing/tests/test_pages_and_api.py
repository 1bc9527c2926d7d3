"""Billing in the portal, the staff area and the API: customers see only their own balance and
invoices; only roles that may pay take a promised payment; staff with the billing permission
credit, charge and refund with a reason, once per idempotency key; receivables are aged
exactly; list pages and endpoints cost the same number of queries for 2 or 20 invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.choices import ContactRole, StaffRole
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, StaffFactory, api_token_for
from hostkeep.billing import selectors
from hostkeep.billing.actions import PlannedLine, balance_top_up, invoice_create
from hostkeep.billing.choices import InvoiceKind, InvoiceStatus, LineKind
from hostkeep.billing.models import BillingRun, Invoice, PromisedPayment
from hostkeep.billing.tests.conftest import zar
from hostkeep.catalog.models import TaxClass, TaxRate
from hostkeep.core.money import Money
from hostkeep.ledger.models import LedgerTransaction
from hostkeep.ledger.selectors import customer_balance, customer_balance_from_entries, unbalanced_transactions

pytestmark = pytest.mark.django_db


@pytest.fixture
def vat(entity):
    tax = TaxClass.objects.create(code="std", name="Standard")
    TaxRate.objects.create(tax_class=tax, country="ZA", rate=Decimal(15))
    return tax


@pytest.fixture
def owner(entity):
    return ContactFactory(customer__name="Alpha Games", customer__currency="ZAR", customer__country="ZA")


@pytest.fixture
def other(entity):
    return ContactFactory(customer__name="Beta Blocks", customer__currency="ZAR", customer__country="ZA")


@pytest.fixture
def accountant(db):
    return StaffFactory(role=StaffRole.ACCOUNTANT)


def issue(customer, amount, *, key, tax_class=None, currency="ZAR", due_date=None, at=None) -> Invoice:
    return invoice_create(
        customer=customer,
        currency=currency,
        source_key=key,
        settle=False,
        due_date=due_date,
        at=at,
        lines=[
            PlannedLine(
                kind=LineKind.ONE_OFF,
                description=f"charge {key}",
                amount=Money(Decimal(amount), currency),
                tax_class_id=tax_class.pk if tax_class else None,
            )
        ],
    )


def balance(customer) -> Decimal:
    figure = customer_balance(customer, "ZAR").amount
    assert customer_balance_from_entries(customer, "ZAR").amount == figure
    return figure


def ledger_rows() -> int:
    return LedgerTransaction.objects.count()


# --- customers: own rows only ------------------------------------------------------------------


def test_portal_billing_shows_balance_history_and_invoices(owner, vat):
    balance_top_up(customer=owner.customer, amount=zar("200"), idempotency_key="t1", description="Bank transfer")
    invoice = issue(owner.customer, "100.00", key="a", tax_class=vat)
    page = log_in(Client(), owner.user)

    response = page.get("/portal/billing/")
    assert response.status_code == 200
    assert response.context["summary"].balance == zar("200")
    assert [entry.change for entry in response.context["page"].object_list] == [Decimal("200")]
    assert "Take a promised payment" in response.content.decode()

    listing = page.get("/portal/invoices/")
    assert list(listing.context["page"].object_list) == [invoice]
    detail = page.get(f"/portal/invoices/{invoice.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert invoice.number in body
    assert "100.00" in body
    assert "15%" in body
    assert "115.00" in body
    assert f"/portal/payments/pay/?invoice={invoice.pk}" in body  # open, so it can be paid

    top_up = page.get("/portal/billing/top-up/")
    assert top_up.status_code == 200
    assert "/portal/payments/#top-up-form" in top_up.content.decode()


def test_another_customers_invoice_is_not_found_on_page_and_api(owner, other, vat):
    theirs = issue(other.customer, "50.00", key="theirs", tax_class=vat)
    before = (Invoice.objects.count(), ledger_rows())
    page = log_in(Client(), owner.user)
    assert page.get(f"/portal/invoices/{theirs.pk}/").status_code == 404
    assert list(page.get("/portal/invoices/").context["page"].object_list) == []

    _token, plain = api_token_for(owner.user)
    api = ApiClient(Client(), token=plain)
    status, body = api.get(f"billing/invoices/{theirs.pk}")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    status, body = api.get("billing/invoices")
    assert (status, body["count"]) == (200, 0)
    status, body = api.get("billing/balance")
    assert (status, Decimal(body["balance"]), body["currency"]) == (200, Decimal(0), "ZAR")
    assert (Invoice.objects.count(), ledger_rows()) == before


def test_api_balance_history_and_invoice_detail(owner, vat):
    balance_top_up(customer=owner.customer, amount=zar("20.50"), idempotency_key="t1", description="Bank transfer")
    invoice = issue(owner.customer, "10.00", key="a", tax_class=vat)
    api = ApiClient(log_in(Client(), owner.user))

    status, body = api.get("billing/balance")
    assert status == 200
    assert Decimal(body["balance"]) == Decimal("20.50")
    assert body["promised_payment"] is None
    status, body = api.get("billing/history")
    assert status == 200
    assert [Decimal(item["amount"]) for item in body["items"]] == [Decimal("20.50")]
    status, body = api.get(f"billing/invoices/{invoice.pk}")
    assert status == 200
    assert body["number"] == invoice.number
    assert body["status"] == "issued"
    assert [
        (Decimal(x["net"]), Decimal(x["tax_rate"]), Decimal(x["tax"]), Decimal(x["gross"])) for x in body["lines"]
    ] == [(Decimal("10"), Decimal("15"), Decimal("1.5"), Decimal("11.5"))]


@pytest.mark.parametrize("role", [ContactRole.READ_ONLY, ContactRole.TECHNICAL])
def test_read_only_and_technical_contacts_cannot_take_a_promised_payment(owner, role):
    contact = ContactFactory(customer=owner.customer, role=role)
    api = ApiClient(log_in(Client(), contact.user))
    status, body = api.post("billing/promised-payment", {"amount": "50"})
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    response = log_in(Client(), contact.user).post("/portal/billing/promised-payment/", {"amount": "50"})
    assert response.status_code == 403
    assert PromisedPayment.objects.count() == 0
    assert ledger_rows() == 0


def test_billing_contact_takes_a_promised_payment_within_the_cap(owner, settings):
    settings.PROMISED_PAYMENT_CAP = "100"
    contact = ContactFactory(customer=owner.customer, role=ContactRole.BILLING)
    page = log_in(Client(), contact.user)
    shown = page.get("/portal/billing/")
    assert shown.context["summary"].promised_payment_cap == zar("100")
    assert "100.00" in shown.content.decode()

    refused = page.post("/portal/billing/promised-payment/", {"amount": "150"})
    assert refused.status_code == 422
    assert PromisedPayment.objects.count() == 0

    assert page.post("/portal/billing/promised-payment/", {"amount": "60"}).status_code == 302
    assert balance(owner.customer) == Decimal("60")
    status, body = ApiClient(page).post("billing/promised-payment", {"amount": "10"})
    assert status == 409
    assert body["error"]["code"] == "promised_payment_open"
    status, body = ApiClient(page).get("billing/balance")
    assert Decimal(body["promised_payment"]["amount"]) == Decimal("60")


# --- staff: who may ------------------------------------------------------------------------------


def test_support_line_1_cannot_use_staff_billing_and_accountant_can(owner):
    _token, plain = api_token_for(StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)
    support = ApiClient(Client(), token=plain)
    customer_id = owner.customer.pk
    body = {"amount": "10", "reason": "goodwill", "idempotency_key": "k1"}
    for path in (
        f"staff/billing/customers/{customer_id}/ledger",
        "staff/billing/invoices",
        "staff/billing/receivables",
    ):
        assert support.get(path)[0] == 403
    for verb in ("credit", "charge", "refund"):
        assert support.post(f"staff/billing/customers/{customer_id}/{verb}", body)[0] == 403
    support_page = log_in(Client(), StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)
    assert support_page.get(f"/staff/customers/{customer_id}/billing/").status_code == 403
    assert ledger_rows() == 0

    _token, plain = api_token_for(StaffFactory(role=StaffRole.ACCOUNTANT).user)
    accountant = ApiClient(Client(), token=plain)
    status, result = accountant.post(f"staff/billing/customers/{customer_id}/credit", body)
    assert status == 200
    assert Decimal(result["balance"]) == Decimal("10")
    status, ledger = accountant.get(f"staff/billing/customers/{customer_id}/ledger")
    assert status == 200
    assert ledger["count"] == 1
    assert sorted(Decimal(entry["amount"]) for entry in ledger["items"][0]["entries"]) == [Decimal(-10), Decimal(10)]


def test_customer_cannot_use_staff_billing(owner):
    api = ApiClient(log_in(Client(), owner.user))
    status, _body = api.post(
        f"staff/billing/customers/{owner.customer.pk}/credit",
        {"amount": "10", "reason": "me", "idempotency_key": "k"},
    )
    assert status == 403
    assert ledger_rows() == 0


# --- staff: manual money ---------------------------------------------------------------------------


def test_manual_credit_charge_refund_through_the_page_post_once_per_key(owner, accountant):
    page = log_in(Client(), accountant.user)
    url = f"/staff/customers/{owner.customer.pk}/billing/"
    shown = page.get(url)
    assert shown.status_code == 200
    keys = {verb: shown.context[verb].initial["key"] for verb in ("credit", "charge", "refund")}
    assert len(set(keys.values())) == 3

    def post(verb, amount, reason="goodwill"):
        data = {f"{verb}-amount": amount, f"{verb}-reason": reason, f"{verb}-key": keys[verb]}
        return page.post(f"{url}{verb}/", data)

    assert post("credit", "100.00").status_code == 302
    assert post("credit", "100.00").status_code == 302  # a double submit
    assert balance(owner.customer) == Decimal("100")
    assert post("charge", "30.00", "Migration work").status_code == 302
    assert post("charge", "30.00", "Migration work").status_code == 302
    assert balance(owner.customer) == Decimal("70")
    charge = Invoice.objects.get(customer=owner.customer)
    assert (charge.total, charge.status) == (Decimal("30"), InvoiceStatus.PAID)
    assert post("refund", "20.50").status_code == 302
    assert post("refund", "20.50").status_code == 302
    assert balance(owner.customer) == Decimal("49.50")
    assert ledger_rows() == 4  # credit, charge issued, charge settled, refund
    assert unbalanced_transactions() == []

    refused = post("credit", "5", reason="  ")
    assert refused.status_code == 422
    assert "Required." in refused.content.decode()
    assert balance(owner.customer) == Decimal("49.50")
    ledger_page = page.get(url)
    assert [txn.kind for txn in ledger_page.context["page"].object_list] == [
        "refund",
        "settlement",
        "invoice",
        "credit",
    ]


@pytest.mark.parametrize("amount", ["-5", "10.001", "ten", "0", "NaN"])
def test_a_bad_amount_is_refused_and_nothing_posted(owner, accountant, amount):
    _token, plain = api_token_for(accountant.user)
    api = ApiClient(Client(), token=plain)
    for verb in ("credit", "charge", "refund"):
        status, body = api.post(
            f"staff/billing/customers/{owner.customer.pk}/{verb}",
            {"amount": amount, "reason": "test", "idempotency_key": f"{verb}-{amount}"},
        )
        assert status == 422, (verb, body)
        assert body["error"]["code"] == "validation_failed"
    page = log_in(Client(), accountant.user)
    response = page.post(
        f"/staff/customers/{owner.customer.pk}/billing/credit/",
        {"credit-amount": amount, "credit-reason": "test", "credit-key": "page"},
    )
    assert response.status_code == 422
    assert ledger_rows() == 0
    assert Invoice.objects.count() == 0


def test_amount_as_a_json_number_is_refused(owner, accountant):
    api = ApiClient(log_in(Client(), accountant.user))
    status, body = api.post(
        f"staff/billing/customers/{owner.customer.pk}/credit", {"amount": 10.1, "reason": "x", "idempotency_key": "k"}
    )
    assert status == 422
    assert "amount" in body["error"]["fields"]
    assert ledger_rows() == 0


def test_api_manual_operations_with_exact_balances_and_one_post_per_key(owner, accountant):
    api = ApiClient(log_in(Client(), accountant.user))
    base = f"staff/billing/customers/{owner.customer.pk}"
    for _ in range(2):
        status, body = api.post(f"{base}/credit", {"amount": "250.75", "reason": "wire", "idempotency_key": "c1"})
        assert (status, Decimal(body["balance"])) == (200, Decimal("250.75"))
    for _ in range(2):
        status, body = api.post(f"{base}/charge", {"amount": "0.25", "reason": "fee", "idempotency_key": "ch1"})
        assert (status, Decimal(body["balance"])) == (200, Decimal("250.50"))
        assert body["invoice_id"] == Invoice.objects.get().pk
    for _ in range(2):
        status, body = api.post(f"{base}/refund", {"amount": "50.50", "reason": "asked", "idempotency_key": "r1"})
        assert (status, Decimal(body["balance"])) == (200, Decimal("200.00"))
    assert balance(owner.customer) == Decimal("200")
    status, body = api.post(f"{base}/refund", {"amount": "500", "reason": "too much", "idempotency_key": "r2"})
    assert status == 409
    assert balance(owner.customer) == Decimal("200")
    status, body = api.post(f"{base}/credit", {"amount": "1", "reason": "", "idempotency_key": "c2"})
    assert status == 422
    assert "reason" in body["error"]["fields"]


def test_void_and_credit_note_through_api_and_page(owner, accountant, vat):
    unpaid = issue(owner.customer, "40.00", key="unpaid", tax_class=vat)
    balance_top_up(customer=owner.customer, amount=zar("100"), idempotency_key="t1", description="Bank transfer")
    paid = Invoice.objects.get(pk=unpaid.pk)
    assert paid.status == InvoiceStatus.PAID  # the top-up paid it
    second = issue(owner.customer, "10.00", key="second", tax_class=vat)
    api = ApiClient(log_in(Client(), accountant.user))

    status, body = api.post(f"staff/billing/invoices/{second.pk}/void", {"reason": "wrong customer"})
    assert (status, body["status"]) == (200, "void")
    status, body = api.post(f"staff/billing/invoices/{paid.pk}/void", {"reason": "nope"})
    assert status == 409
    assert balance(owner.customer) == Decimal("54.00")

    page = log_in(Client(), accountant.user)
    response = page.post(f"/staff/invoices/{paid.pk}/credit-note/", {"reason": ""})
    assert response.status_code == 422
    response = page.post(f"/staff/invoices/{paid.pk}/credit-note/", {"reason": "service never delivered"})
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/invoices/{note.pk}/"
    assert note.total == Decimal("-46.00")
    assert balance(owner.customer) == Decimal("100.00")
    status, _body = api.post(f"staff/billing/invoices/{paid.pk}/credit-note", {"reason": "again"})
    assert status == 201
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    assert page.get(f"/staff/invoices/{paid.pk}/").status_code == 200


# --- receivables by age -----------------------------------------------------------------------------


def test_receivables_by_age_buckets_are_exact(owner, other, accountant):
    today = dt.date(2025, 6, 30)
    at = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    alpha, beta = owner.customer, other.customer

    def days_ago(n):
        return today - dt.timedelta(days=n)

    for key, amount, due in [
        ("future", "100.00", today + dt.timedelta(days=5)),
        ("today", "10.00", today),
        ("d1", "20.00", days_ago(1)),
        ("d30", "30.00", days_ago(30)),
        ("d31", "40.00", days_ago(31)),
        ("d60", "45.00", days_ago(60)),
        ("d61", "47.00", days_ago(61)),
        ("d90", "50.00", days_ago(90)),
        ("d91", "60.00", days_ago(91)),
        ("void", "999.00", days_ago(10)),
        ("paid", "888.00", days_ago(10)),
        ("part", "100.00", days_ago(29)),
    ]:
        issue(alpha, amount, key=key, due_date=due, at=at)
    Invoice.objects.filter(source_key="void").update(status=InvoiceStatus.VOID)
    Invoice.objects.filter(source_key="paid").update(status=InvoiceStatus.PAID, amount_paid=Decimal("888"))
    Invoice.objects.filter(source_key="part").update(status=InvoiceStatus.PARTIALLY_PAID, amount_paid=Decimal("25.5"))
    issue(beta, "0.10", key="beta-zar", due_date=days_ago(200), at=at)
    issue(beta, "5.00", key="beta-usd", currency="USD", due_date=days_ago(45), at=at)

    report = selectors.receivables_by_age(actor_for_user(accountant.user), at=today)
    rows = {(row.customer_id, row.currency): row for row in report.rows}
    assert set(rows) == {(alpha.pk, "ZAR"), (beta.pk, "ZAR"), (beta.pk, "USD")}
    a = rows[(alpha.pk, "ZAR")]
    assert (a.not_due, a.days_1_30, a.days_31_60, a.days_61_90, a.over_90, a.total) == (
        Decimal("110"),
        Decimal("124.5"),  # 20 + 30 + 74.50 unpaid of the partly paid one
        Decimal("85"),
        Decimal("97"),
        Decimal("60"),
        Decimal("476.5"),
    )
    assert rows[(beta.pk, "ZAR")].over_90 == Decimal("0.1")
    assert rows[(beta.pk, "USD")].days_31_60 == Decimal("5")
    totals = {row.currency: row for row in report.totals}
    assert (totals["ZAR"].over_90, totals["ZAR"].total) == (Decimal("60.1"), Decimal("476.6"))
    assert totals["USD"].total == Decimal("5")

    page = log_in(Client(), accountant.user).get("/staff/receivables/")
    assert page.status_code == 200
    assert "Alpha Games" in page.content.decode()
    status, body = ApiClient(log_in(Client(), accountant.user)).get("staff/billing/receivables")
    assert status == 200
    assert {row["currency"] for row in body["totals"]} == {"ZAR", "USD"}


# --- lists: pages render, queries stay flat -------------------------------------------------------


def test_staff_lists_render(owner, accountant, vat):
    issue(owner.customer, "12.00", key="x", tax_class=vat)
    BillingRun.objects.create(
        key="run-1", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), started_at=dt.datetime.now(dt.UTC)
    )
    page = log_in(Client(), accountant.user)
    assert page.get("/staff/invoices/?status=issued&q=Alpha").context["page"].paginator.count == 1
    assert "run-1" in page.get("/staff/billing-runs/").content.decode()
    status, body = ApiClient(page).get(f"staff/billing/invoices?customer_id={owner.customer.pk}")
    assert status == 200
    assert body["items"][0]["customer"] == "Alpha Games"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("owner", "/portal/invoices/"),
        ("owner", "/api/v1/billing/invoices"),
        ("staff", "/staff/invoices/"),
        ("staff", "/api/v1/staff/billing/invoices"),
    ],
)
def test_invoice_lists_cost_the_same_queries_for_2_or_20_invoices(
    owner, accountant, vat, who, path, django_assert_num_queries
):
    client = log_in(Client(), owner.user if who == "owner" else accountant.user)
    for n in range(2):
        issue(owner.customer, "1.00", key=f"few-{n}", tax_class=vat)
    client.get(path)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    for n in range(18):
        issue(owner.customer, "1.00", key=f"many-{n}", tax_class=vat)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200
