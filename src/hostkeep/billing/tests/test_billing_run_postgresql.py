"""The PostgreSQL billing run (``run_postgresql``) bills exactly what the portable path bills:
same invoices, numbers, lines, VAT, ledger entries, balances, periods and events, on customers
chosen to cross every branch (prepaid paid and unpaid, postpaid with terms, VAT inclusive and
exclusive, reverse charge, a country with no rate of its own, a zero-decimal currency, two
currencies for one customer, pay-as-you-go with an allowance, lines of 0.3333)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from hostkeep.accounts.models import Customer, CustomerLegalEntity, ProviderLegalEntity
from hostkeep.billing.choices import BillingMode
from hostkeep.billing.models import BillingProfile, Invoice, InvoiceLine
from hostkeep.billing.run import _Context, renew_chunk
from hostkeep.catalog.choices import PeriodUnit, PricingModel
from hostkeep.catalog.models import MeteredPrice, Plan, PlanPrice, Product, ProductGroup, TaxClass, TaxRate
from hostkeep.core.models import OutboxEvent
from hostkeep.core.money import Money
from hostkeep.ledger.actions import Posting, ledger_account, ledger_post
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerAccount, LedgerEntry
from hostkeep.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from hostkeep.services.models import Service
from hostkeep.usage.models import UsageRecord

AT = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # 1 April, local midnight in Johannesburg


def _world():
    za = ProviderLegalEntity.objects.create(name="ZA Hosting", short_code="za", country="ZA", is_default=True)
    de = ProviderLegalEntity.objects.create(
        name="DE Hosting", short_code="de", country="DE", prices_include_tax=True, payment_terms_days=10
    )
    vat = TaxClass.objects.create(code="vat", name="VAT")
    for country, rate in (("ZA", "15"), ("DE", "19"), ("FR", "20"), ("", "7.5")):
        TaxRate.objects.create(tax_class=vat, country=country, rate=Decimal(rate))
    group = ProductGroup.objects.create(name="Games", slug="games")
    product = Product.objects.create(group=group, name="Server", slug="server", tax_class=vat)
    plain = Product.objects.create(group=group, name="Untaxed", slug="untaxed")
    monthly = Plan.objects.create(product=product, code="m", name="Monthly", pricing_model=PricingModel.RECURRING)
    untaxed = Plan.objects.create(product=plain, code="u", name="Plain", pricing_model=PricingModel.RECURRING)
    payg = Plan.objects.create(product=product, code="p", name="Hourly", pricing_model=PricingModel.PAY_AS_YOU_GO)
    pool = Plan.objects.create(product=product, code="a", name="Pool", pricing_model=PricingModel.ALLOCATION_POOL)
    for plan in (monthly, untaxed, payg, pool):
        PlanPrice.objects.create(plan=plan, currency="ZAR", period_unit=PeriodUnit.MONTH, amount=Decimal(1))
    for currency in ("ZAR", "EUR", "CLP"):
        MeteredPrice.objects.create(
            plan=payg, resource="hours", unit="hour", currency=currency, unit_price=Decimal("0.3333")
        )
    MeteredPrice.objects.create(
        plan=pool, resource="hours", unit="hour", currency="ZAR", unit_price=Decimal("0.1250"), included_quantity=100
    )
    MeteredPrice.objects.create(
        plan=pool, resource="ram", unit="GB", currency="ZAR", unit_price=Decimal("0.0125"), included_quantity=0
    )
    clearing = {c: ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency=c) for c in ("ZAR", "EUR", "CLP")}

    def customer(name, country, *, currency="ZAR", mode=None, entity=None, tax_id=None, funds=None):
        made = Customer.objects.create(name=name, country=country, currency=currency, created_at=AT)
        if mode or entity:
            BillingProfile.objects.create(customer=made, mode=mode or BillingMode.PREPAID, legal_entity=entity)
        if tax_id is not None:
            CustomerLegalEntity.objects.create(customer=made, name=f"{name} GmbH", tax_id=tax_id, country=country)
        for funded_currency, amount in (funds or {}).items():
            balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=funded_currency, customer=made)
            ledger_post(
                Posting(
                    kind=TransactionKind.TOP_UP,
                    description="top-up",
                    idempotency_key=f"top-up:{made.pk}:{funded_currency}",
                    customer_id=made.pk,
                    lines=[
                        (clearing[funded_currency], Money(Decimal(amount), funded_currency)),
                        (balance, Money(-Decimal(amount), funded_currency)),
                    ],
                )
            )
        return made

    def service(owner, plan, amount, *, currency="ZAR", start=None, end=AT, anchor=1, usage=()):
        start = start or end - dt.timedelta(days=31)
        made = Service.objects.create(
            customer=owner,
            product=plan.product,
            plan=plan,
            status="active",
            status_changed_at=start,
            currency=currency,
            period_unit="month",
            period_count=1,
            anchor_day=anchor,
            current_period_start=start,
            current_period_end=end,
            next_due_date=end.date(),
            recurring_amount=Decimal(amount),
            paid_rate=Decimal(amount),
            auto_renew=True,
            created_at=start,
        )
        for index, (resource, quantity) in enumerate(usage):
            moment = start + dt.timedelta(hours=index)
            UsageRecord.objects.create(
                service=made,
                resource=resource,
                quantity=Decimal(quantity),
                period_start=moment,
                period_end=moment + dt.timedelta(hours=1),
                source_id=f"u-{made.pk}-{index}",
                received_at=moment,
            )
        return made

    rich = customer("Rich", "ZA", funds={"ZAR": "1000", "EUR": "5"})
    service(rich, monthly, "149.99")
    service(rich, monthly, "0.3333")
    service(rich, untaxed, "10.005")
    service(rich, monthly, "20", currency="EUR")  # not covered: EUR 23.00 > 5
    poor = customer("Poor", "ZA", funds={"ZAR": "10"})
    service(poor, monthly, "0.3333")
    service(poor, payg, "0", usage=[("hours", "24"), ("hours", "0.5"), ("hours", "1.25")])
    later = customer("Later", "ZA", mode=BillingMode.POSTPAID, funds={"ZAR": "1000"})
    service(later, monthly, "99.995")
    service(later, pool, "50", usage=[("hours", "120.5"), ("ram", "7"), ("ram", "0.0001")])
    # 31 January anchors: the period that ends on the 31st of March renews to 30 April.
    service(later, monthly, "31", end=AT - dt.timedelta(days=1), anchor=31)
    german = customer("Berlin", "DE", currency="EUR", entity=de, funds={"EUR": "100"})
    service(german, monthly, "11.99", currency="EUR")
    service(german, payg, "0", currency="EUR", usage=[("hours", "3")])
    french = customer("Paris", "FR", currency="EUR", entity=de, tax_id="FR12345678901")
    service(french, monthly, "100", currency="EUR")
    french_person = customer("Lyon", "FR", currency="EUR", entity=de, tax_id="")
    service(french_person, monthly, "100", currency="EUR")
    faraway = customer("Far", "NZ", mode=BillingMode.POSTPAID)
    service(faraway, monthly, "10")
    chile = customer("Santiago", "CL", currency="CLP", funds={"CLP": "50000"})
    service(chile, monthly, "9990.5", currency="CLP")
    service(chile, payg, "0", currency="CLP", usage=[("hours", "1.5")])
    empty = customer("Idle", "ZA")
    service(empty, payg, "0")  # nothing used: renewed, not invoiced
    return za, de


def _snapshot():
    invoices = {
        invoice.pk: (invoice.customer_id, invoice.currency)
        for invoice in Invoice.objects.exclude(issued_at__lt=AT - dt.timedelta(days=400))
    }
    return {
        "invoices": sorted(
            Invoice.objects.values_list(
                "customer_id",
                "currency",
                "number",
                "legal_entity_id",
                "status",
                "issued_at",
                "due_date",
                "paid_at",
                "net_total",
                "tax_total",
                "total",
                "amount_paid",
                "reverse_charge",
                "customer_name",
                "customer_tax_id",
                "customer_country",
                "issue_transaction__kind",
                "issue_transaction__description",
                "issue_transaction__actor_label",
            )
        ),
        "lines": sorted(
            (invoices[invoice_id], *rest)
            for invoice_id, *rest in InvoiceLine.objects.values_list(
                "invoice_id",
                "kind",
                "service_id",
                "description",
                "quantity",
                "unit_price",
                "net",
                "tax_rate",
                "tax",
                "gross",
                "period_start",
                "period_end",
            )
        ),
        "entries": sorted(
            LedgerEntry.objects.values_list(
                "transaction__customer_id", "transaction__kind", "account__kind", "account__customer_id", "amount"
            )
        ),
        "balances": sorted(
            LedgerAccount.objects.exclude(cached_balance=0).values_list(
                "kind", "customer_id", "currency", "cached_balance"
            )
        ),
        "services": sorted(
            Service.objects.values_list(
                "pk", "current_period_start", "current_period_end", "next_due_date", "paid_rate"
            )
        ),
        "events": sorted(
            (topic, invoices[payload["invoice_id"]], payload["customer_id"])
            for topic, payload in OutboxEvent.objects.filter(topic__startswith="invoice.").values_list(
                "topic", "payload"
            )
        ),
    }


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_database_run_bills_exactly_what_the_portable_run_bills(settings):
    settings.TIME_ZONE = "Africa/Johannesburg"
    _world()
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    span = {"lo": customers[0], "hi": customers[-1] + 1, "at": AT, "run_key": "compare"}

    with transaction.atomic():
        portable = renew_chunk(**span, context=_Context(AT), portable=True)
        expected = _snapshot()
        transaction.set_rollback(True)
    database = renew_chunk(**span, context=_Context(AT))
    got = _snapshot()

    assert (database.renewed, database.invoices, database.paid_from_balance) == (
        portable.renewed,
        portable.invoices,
        portable.paid_from_balance,
    )
    assert (portable.renewed, portable.invoices, portable.paid_from_balance) == (17, 9, 3)
    for part in expected:
        assert got[part] == expected[part], part
    assert unbalanced_transactions() == []
    assert accounts_out_of_step() == []
    # Spot checks by hand: VAT inclusive at 19 % of 11.99 is 1.91;
    # 25.75 hours at 0.3333 are 8.582475, stored 8.5825, billed 8.58 net + 1.29 VAT (1.287);
    # reverse charge bills no VAT.
    amounts = {(line[0], line[6], line[8], line[9]) for line in got["lines"]}
    german, french = (Customer.objects.get(name=name).pk for name in ("Berlin", "Paris"))
    poor = Customer.objects.get(name="Poor").pk
    assert ((german, "EUR"), Decimal("10.08"), Decimal("1.91"), Decimal("11.99")) in amounts
    assert ((poor, "ZAR"), Decimal("8.58"), Decimal("1.29"), Decimal("9.87")) in amounts
    assert ((french, "EUR"), Decimal("100"), Decimal("0"), Decimal("100")) in amounts
