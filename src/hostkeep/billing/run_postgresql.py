"""The billing run's chunk on PostgreSQL, done by the database: rating, tax, invoices, lines,
ledger transactions and entries, balances, outbox events and the services' new periods are
``INSERT ... SELECT`` and ``UPDATE ... FROM`` statements over a few temporary tables, so no
row of a chunk travels to Python and back. It makes exactly what the portable path in
``run.py`` makes (a test on PostgreSQL compares the two on a varied set of customers):

* the claim on (service, period start) is the first statement, as there;
* what Python knows best stays in Python and enters as a handful of rows: the next period of
  each distinct (period end, unit, count, anchor day), the VAT rates of each customer country,
  the minor units of each currency, the revenue and VAT accounts, and the invoice numbers
  reserved per legal entity with ``sequence_reserve``;
* money is exact ``numeric``: PostgreSQL's ``round`` rounds half away from zero, which for the
  positive amounts billed here is the half-up of ``Money``; each line is rounded, then summed;
* what every worker needs is locked last: the legal entity's number counter (gapless numbers
  are locked from their reservation to the commit) and the provider's revenue and VAT
  accounts. Entries, customers' balances and the foreign keys whose targets already exist
  come before, so workers billing other customers wait on each other as little as possible.

SQLite has no exact decimal arithmetic, so it keeps the portable path.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils.translation import gettext as _

from hostkeep.billing.actions import invoice_number
from hostkeep.billing.choices import BillingMode, InvoiceKind, InvoiceStatus, LineKind
from hostkeep.billing.tax import EU_COUNTRIES
from hostkeep.core import clock
from hostkeep.core.actions import SYSTEM, sequence_reserve
from hostkeep.core.money import MINOR_UNITS, UnknownCurrency
from hostkeep.ledger.actions import ledger_account
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.periods import period_end

if TYPE_CHECKING:
    from hostkeep.billing.run import ChunkResult, _Context

_MARK = "\x00"

# Temporary tables of one chunk; dropped at commit, and emptied at the start of a chunk in
# case several chunks share one transaction (the tests do).
TEMPORARY_TABLES = {
    "billing_chunk_claimed": """service_id bigint PRIMARY KEY, customer_id bigint, plan_id bigint,
        pricing_model text, label text, tax_class_id bigint, currency text, period_unit text,
        period_count integer, anchor_day integer, period_start timestamptz, period_end timestamptz,
        recurring numeric, addons numeric""",
    "billing_chunk_periods": """period_end timestamptz, period_unit text, period_count integer,
        anchor_day integer, new_end timestamptz, new_due date""",
    "billing_chunk_rates": "country text, tax_class_id bigint, rate numeric",
    "billing_chunk_drafts": """customer_id bigint, currency text, entity_id bigint, mode text,
        customer_name text, tax_id text, country text, reverse_charge boolean, vat_registered boolean,
        inclusive boolean, due_date date, digits integer, PRIMARY KEY (customer_id, currency)""",
    "billing_chunk_lines": """customer_id bigint, currency text, service_id bigint, position integer,
        kind text, description text, quantity numeric, unit_price numeric, tax_rate numeric, net numeric,
        tax numeric, gross numeric, period_start timestamptz, period_end timestamptz""",
    "billing_chunk_invoices": """invoice_id bigint PRIMARY KEY, transaction_id bigint, customer_id bigint,
        currency text, entity_id bigint, position bigint, net numeric, tax numeric, total numeric,
        pay_now boolean NOT NULL DEFAULT false, debit_account_id bigint, number text""",
}


_SEQUENCES: dict[str, str] = {}


def _sequence(table: str) -> str:
    """The name of the table's id sequence, for ids taken inside a statement."""
    if table in _SEQUENCES:
        return _SEQUENCES[table]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        name = cursor.fetchone()[0]
    if not name:
        raise RuntimeError(f"no usable id sequence for {table}")
    _SEQUENCES[table] = name
    return _SEQUENCES[table]


# The foreign keys of what a chunk writes whose targets exist before the numbers are taken:
# checked then (they are deferred to the commit otherwise), so the commit, which comes while
# the legal entity's number counter is locked, checks only the keys to the invoices and
# ledger transactions written under that lock.
_CHECKED_EARLY = (
    ("billing_serviceperiodcharge", "service_id"),
    ("billing_invoiceline", "service_id"),
    ("ledger_ledgerentry", "account_id"),
    ("ledger_ledgeraccount", "customer_id"),
)
_EARLY_CONSTRAINTS: list[str] = []


def _check_early(cursor: Any) -> None:
    if not _EARLY_CONSTRAINTS:
        cursor.execute(
            """SELECT c.conname FROM pg_constraint c
                 JOIN unnest(%s::text[], %s::text[]) AS k(tab, col) ON c.conrelid = k.tab::regclass
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = k.col
                WHERE c.contype = 'f' AND c.conkey = ARRAY[a.attnum]""",
            [[table for table, _column in _CHECKED_EARLY], [column for _table, column in _CHECKED_EARLY]],
        )
        _EARLY_CONSTRAINTS.extend(sorted(name for (name,) in cursor.fetchall()))
    if _EARLY_CONSTRAINTS:
        names = ", ".join(connection.ops.quote_name(name) for name in _EARLY_CONSTRAINTS)
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")


def _template(text: str) -> tuple[str, str]:
    """(before, after) around the placeholder of a translated template, for SQL to join."""
    before, _sep, after = text.partition(_MARK)
    return before, after


def renew_chunk_postgresql(*, lo: int, hi: int, at: dt.datetime, run_key: str, context: _Context) -> ChunkResult:
    """Claim, price and bill the due services of customers [lo, hi); the caller holds the
    transaction."""
    from hostkeep.billing.run import METERED, ChunkResult

    with connection.cursor() as cursor:
        cursor.execute(
            "".join(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({columns}) ON COMMIT DROP; "
                for table, columns in TEMPORARY_TABLES.items()
            )
            + f"TRUNCATE {', '.join(TEMPORARY_TABLES)}"
        )

        # 1. The claim, and what pricing needs of each claimed service, in one statement.
        cursor.execute(
            """WITH claimed AS (
                 INSERT INTO billing_serviceperiodcharge (service_id, period_start, run_key)
                 SELECT id, current_period_end, %(run_key)s FROM services_service
                  WHERE customer_id >= %(lo)s AND customer_id < %(hi)s AND status = %(active)s AND auto_renew
                    AND NOT cancel_at_period_end AND period_unit <> 'once' AND current_period_end <= %(at)s
                 ON CONFLICT (service_id, period_start) DO NOTHING RETURNING service_id)
               INSERT INTO billing_chunk_claimed
               SELECT s.id, s.customer_id, s.plan_id, p.pricing_model, r.name || ' — ' || p.name, r.tax_class_id,
                      s.currency, s.period_unit, s.period_count, s.anchor_day, s.current_period_start,
                      s.current_period_end, s.recurring_amount, COALESCE(a.total, 0)
                 FROM claimed c JOIN services_service s ON s.id = c.service_id
                 JOIN catalog_plan p ON p.id = s.plan_id JOIN catalog_product r ON r.id = s.product_id
                 LEFT JOIN (SELECT service_id, SUM(recurring_amount) AS total FROM services_serviceaddon
                             WHERE cancelled_at IS NULL AND service_id IN (SELECT service_id FROM claimed)
                             GROUP BY service_id) a ON a.service_id = s.id""",
            {"run_key": run_key, "lo": lo, "hi": hi, "active": ServiceStatus.ACTIVE, "at": at},
        )
        renewed = cursor.rowcount
        if not renewed:
            return ChunkResult()
        cursor.execute("ANALYZE billing_chunk_claimed")

        # 2. Next periods, computed by services.periods for each distinct kind of period.
        cursor.execute(
            "SELECT DISTINCT period_end, period_unit, period_count, anchor_day, currency FROM billing_chunk_claimed"
        )
        kinds = cursor.fetchall()
        unknown = {currency for *_rest, currency in kinds if currency not in MINOR_UNITS}
        if unknown:
            raise UnknownCurrency(sorted(unknown)[0])
        periods = {}
        for end, unit, count, anchor, _currency in kinds:
            new_end = period_end(end, unit=unit, count=count, anchor_day=anchor)
            periods[(end, unit, count, anchor)] = (new_end, new_end.astimezone(clock.provider_zone()).date())
        cursor.executemany(
            "INSERT INTO billing_chunk_periods VALUES (%s, %s, %s, %s, %s, %s)",
            [(*key, new_end, due) for key, (new_end, due) in periods.items()],
        )

        # 3. One draft per customer and currency: who is billed, by which entity, how taxed.
        cursor.execute(
            """INSERT INTO billing_chunk_drafts
               SELECT k.customer_id, k.currency, e.id, COALESCE(b.mode, %(prepaid)s),
                      CASE WHEN d.customer_id IS NULL THEN c.name ELSE d.name END, COALESCE(d.tax_id, ''),
                      x.country,
                      COALESCE(d.tax_id, '') <> '' AND x.country <> '' AND upper(x.country) <> upper(e.country)
                        AND upper(x.country) = ANY(%(eu)s) AND upper(e.country) = ANY(%(eu)s),
                      e.vat_registered, e.prices_include_tax,
                      %(today)s::date + CASE WHEN COALESCE(b.mode, %(prepaid)s) = %(postpaid)s
                                             THEN e.payment_terms_days ELSE 0 END,
                      m.digits
                 FROM (SELECT DISTINCT customer_id, currency FROM billing_chunk_claimed) k
                 JOIN accounts_customer c ON c.id = k.customer_id
                 LEFT JOIN billing_billingprofile b ON b.customer_id = k.customer_id
                 JOIN accounts_providerlegalentity e ON e.id = COALESCE(b.legal_entity_id, %(default_entity)s)
                 LEFT JOIN (SELECT DISTINCT ON (customer_id) customer_id, name, tax_id, country
                              FROM accounts_customerlegalentity
                             WHERE customer_id IN (SELECT customer_id FROM billing_chunk_claimed)
                             ORDER BY customer_id, is_default DESC, id) d ON d.customer_id = k.customer_id
                 CROSS JOIN LATERAL (SELECT COALESCE(NULLIF(d.country, ''), c.country) AS country) x
                 JOIN unnest(%(currencies)s::text[], %(digits)s::integer[]) AS m(currency, digits)
                   ON m.currency = k.currency""",
            {
                "prepaid": BillingMode.PREPAID,
                "postpaid": BillingMode.POSTPAID,
                "eu": sorted(EU_COUNTRIES),
                "today": context.today,
                "default_entity": context.default_entity.pk,
                "currencies": list(MINOR_UNITS),
                "digits": list(MINOR_UNITS.values()),
            },
        )
        cursor.execute("SELECT DISTINCT upper(country) FROM billing_chunk_drafts")
        rates = [
            (country, tax_class_id, rate)
            for (country,) in cursor.fetchall()
            for tax_class_id, rate in context.rates(country).items()
        ]
        if rates:
            cursor.executemany("INSERT INTO billing_chunk_rates VALUES (%s, %s, %s)", rates)

        # 4. Lines: the period, the add-ons, the usage; each rounded with its VAT.
        addon_before, addon_after = _template(_("Add-ons: %(service)s") % {"service": _MARK})
        cursor.execute(
            """WITH raw AS (
                 SELECT c.customer_id, c.currency, c.service_id, c.tax_class_id, 0 AS position, %(period)s AS kind,
                        c.label AS description, 1::numeric AS quantity, c.recurring AS unit_price,
                        c.recurring AS amount, d.mode, c.period_start, c.period_end, p.new_end
                   FROM billing_chunk_claimed c
                   JOIN billing_chunk_drafts d USING (customer_id, currency)
                   JOIN billing_chunk_periods p USING (period_end, period_unit, period_count, anchor_day)
                 UNION ALL
                 SELECT c.customer_id, c.currency, c.service_id, c.tax_class_id, 1, %(addon)s,
                        %(addon_before)s || c.label || %(addon_after)s, 1, c.addons, c.addons, d.mode,
                        c.period_start, c.period_end, p.new_end
                   FROM billing_chunk_claimed c
                   JOIN billing_chunk_drafts d USING (customer_id, currency)
                   JOIN billing_chunk_periods p USING (period_end, period_unit, period_count, anchor_day)
                  WHERE c.addons > 0
                 UNION ALL
                 SELECT c.customer_id, c.currency, c.service_id, c.tax_class_id,
                        2 + row_number() OVER (PARTITION BY c.service_id ORDER BY mp.resource, mp.id), %(usage)s,
                        c.label || ': ' || mp.resource || ' ' || trim_scale(q.billable)::text || ' ' || mp.unit,
                        q.billable, mp.unit_price, round(q.billable * mp.unit_price, 4), %(postpaid)s,
                        c.period_start, c.period_end, NULL
                   FROM billing_chunk_claimed c
                   JOIN catalog_meteredprice mp ON mp.plan_id = c.plan_id AND mp.currency = c.currency
                   LEFT JOIN (SELECT u.service_id, u.resource, SUM(u.quantity) AS total
                                FROM usage_usagerecord u JOIN billing_chunk_claimed c ON c.service_id = u.service_id
                               WHERE c.pricing_model = ANY(%(metered)s) AND u.period_start >= c.period_start
                                 AND u.period_start < c.period_end
                               GROUP BY u.service_id, u.resource) t
                     ON t.service_id = c.service_id AND t.resource = mp.resource
                   CROSS JOIN LATERAL (SELECT GREATEST(COALESCE(t.total, 0) - mp.included_quantity, 0) AS billable) q
                  WHERE c.pricing_model = ANY(%(metered)s))
               INSERT INTO billing_chunk_lines
               SELECT l.customer_id, l.currency, l.service_id, l.position, l.kind, left(l.description, 300),
                      l.quantity, l.unit_price, v.rate,
                      CASE WHEN d.inclusive THEN v.base - v.tax ELSE v.base END, v.tax,
                      CASE WHEN d.inclusive THEN v.base ELSE v.base + v.tax END,
                      CASE WHEN l.mode = %(prepaid)s THEN l.period_end ELSE l.period_start END,
                      CASE WHEN l.mode = %(prepaid)s THEN l.new_end ELSE l.period_end END
                 FROM raw l JOIN billing_chunk_drafts d USING (customer_id, currency)
                 LEFT JOIN billing_chunk_rates r
                   ON d.vat_registered AND NOT d.reverse_charge AND r.country = upper(d.country)
                  AND r.tax_class_id = l.tax_class_id
                 CROSS JOIN LATERAL (SELECT COALESCE(r.rate, 0) AS rate, round(l.amount, d.digits) AS base) b
                 CROSS JOIN LATERAL (
                   SELECT b.rate, b.base,
                          CASE WHEN d.inclusive
                               THEN round((b.base * b.rate)::numeric(40, 20) / (100 + b.rate), d.digits)
                               ELSE round(b.base * b.rate / 100, d.digits) END AS tax) v
                WHERE l.amount > 0""",
            {
                "period": LineKind.SERVICE_PERIOD,
                "addon": LineKind.ADDON,
                "usage": LineKind.USAGE,
                "addon_before": addon_before,
                "addon_after": addon_after,
                "metered": list(METERED),
                "prepaid": BillingMode.PREPAID,
                "postpaid": BillingMode.POSTPAID,
            },
        )

        # 5. Invoices: one per draft with lines, ids taken in customer order.
        cursor.execute(
            """INSERT INTO billing_chunk_invoices (invoice_id, transaction_id, customer_id, currency, entity_id,
                                                    position, net, tax, total)
                SELECT nextval(%s::regclass), nextval(%s::regclass), q.*
                  FROM (SELECT customer_id, currency, d.entity_id,
                               row_number() OVER (PARTITION BY d.entity_id ORDER BY customer_id, currency),
                               SUM(l.net), SUM(l.tax), SUM(l.gross)
                          FROM billing_chunk_drafts d JOIN billing_chunk_lines l USING (customer_id, currency)
                         GROUP BY customer_id, currency, d.entity_id
                         ORDER BY customer_id, currency) q""",
            [_sequence("billing_invoice"), _sequence("ledger_ledgertransaction")],
        )
        invoices = cursor.rowcount

        # 6. Every claimed service moves into its next period.
        cursor.execute(
            """UPDATE services_service s
                  SET current_period_start = c.period_end, current_period_end = p.new_end,
                      next_due_date = p.new_due, paid_rate = s.recurring_amount
                 FROM billing_chunk_claimed c
                 JOIN billing_chunk_periods p USING (period_end, period_unit, period_count, anchor_day)
                WHERE s.id = c.service_id"""
        )
        paid = 0
        if invoices:
            currencies = sorted({currency for *_rest, currency in kinds})
            accounts = {
                currency: (
                    ledger_account(kind=AccountKind.REVENUE, currency=currency).pk,
                    ledger_account(kind=AccountKind.TAX_PAYABLE, currency=currency).pk,
                )
                for currency in currencies
            }
            paid = _settle(cursor, context)
            _write_lines_and_events(cursor, context)
            _post_entries(cursor, accounts)
            _check_early(cursor)
            # From here to the commit the legal entity's number counter and the provider's
            # revenue and VAT accounts are locked, and every worker needs them: only what
            # needs them comes after this.
            _number(cursor, context)
            _write_invoices_and_transactions(cursor, context)
            _move_provider_balances(cursor, accounts)
    return ChunkResult(renewed=renewed, invoices=invoices, paid_from_balance=paid)


def _settle(cursor: Any, context: _Context) -> int:
    """Lock the customers' balances in pk order, pay from them what they cover (prepaid only),
    and open a receivable for the rest; returns how many were paid."""
    cursor.execute(
        """SELECT a.id FROM ledger_ledgeraccount a
             JOIN billing_chunk_invoices i ON a.customer_id = i.customer_id AND a.currency = i.currency
            WHERE a.kind = %s ORDER BY a.id FOR UPDATE OF a""",
        [AccountKind.CUSTOMER_BALANCE],
    )
    cursor.execute(
        """UPDATE billing_chunk_invoices i SET pay_now = true, debit_account_id = a.id
             FROM ledger_ledgeraccount a, billing_chunk_drafts d
            WHERE a.kind = %s AND a.customer_id = i.customer_id AND a.currency = i.currency
              AND d.customer_id = i.customer_id AND d.currency = i.currency AND d.mode = %s
              AND -a.cached_balance >= i.total""",
        [AccountKind.CUSTOMER_BALANCE, BillingMode.PREPAID],
    )
    paid: int = cursor.rowcount
    cursor.execute(
        """INSERT INTO ledger_ledgeraccount (kind, customer_id, currency, cached_balance)
           SELECT %s, customer_id, currency, 0 FROM billing_chunk_invoices WHERE NOT pay_now ORDER BY customer_id
           ON CONFLICT (kind, customer_id, currency) WHERE customer_id IS NOT NULL DO NOTHING""",
        [AccountKind.RECEIVABLE],
    )
    cursor.execute(
        """UPDATE billing_chunk_invoices i SET debit_account_id = a.id FROM ledger_ledgeraccount a
            WHERE NOT i.pay_now AND a.kind = %s AND a.customer_id = i.customer_id AND a.currency = i.currency""",
        [AccountKind.RECEIVABLE],
    )
    return paid


def _number(cursor: Any, context: _Context) -> None:
    """Reserve each legal entity's numbers in one step (entities in pk order) and hand them out
    in customer order."""
    year = context.at.astimezone(clock.provider_zone()).year
    cursor.execute("SELECT entity_id, COUNT(*) FROM billing_chunk_invoices GROUP BY entity_id ORDER BY entity_id")
    entities, firsts, prefixes = [], [], []
    for entity_id, count in cursor.fetchall():
        entity = context.entities[entity_id]
        sample = invoice_number(entity, InvoiceKind.INVOICE, year, 0)
        if not sample.endswith("000000"):
            raise RuntimeError(f"unexpected invoice number format {sample!r}")
        entities.append(entity_id)
        firsts.append(sequence_reserve(scope=f"invoice:{entity_id}:{year}", count=count))
        prefixes.append(sample.removesuffix("000000"))
    cursor.execute(
        """UPDATE billing_chunk_invoices i
              SET number = f.prefix || CASE WHEN f.first + i.position - 1 < 1000000
                                            THEN lpad((f.first + i.position - 1)::text, 6, '0')
                                            ELSE (f.first + i.position - 1)::text END
             FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS f(entity_id, first, prefix)
            WHERE f.entity_id = i.entity_id""",
        [entities, firsts, prefixes],
    )


def _post_entries(cursor: Any, accounts: dict[str, tuple[int, int]]) -> None:
    """The ledger entries of the chunk's invoices (their transactions are written once the
    invoices have numbers; the foreign keys are checked at commit), and the customers'
    balances and receivables they move: debit what the customer owes, credit revenue and VAT,
    in one statement, so the database's balance check sees whole transactions."""
    cursor.execute(
        """INSERT INTO ledger_ledgerentry (transaction_id, account_id, currency, amount)
           SELECT i.transaction_id, e.account_id, i.currency, e.amount
             FROM billing_chunk_invoices i
             JOIN unnest(%(currencies)s::text[], %(revenue)s::bigint[], %(tax)s::bigint[])
                  AS p(currency, revenue_id, tax_id) ON p.currency = i.currency
            CROSS JOIN LATERAL (VALUES (1, i.debit_account_id, i.total), (2, p.revenue_id, -i.net),
                                       (3, p.tax_id, -i.tax)) AS e(side, account_id, amount)
            WHERE e.amount <> 0
            ORDER BY i.transaction_id, e.side""",
        _accounts_parameters(accounts),
    )
    # One invoice per customer and currency, so each debited account appears once.
    cursor.execute(
        """UPDATE ledger_ledgeraccount a SET cached_balance = a.cached_balance + i.total
             FROM billing_chunk_invoices i WHERE a.id = i.debit_account_id"""
    )


def _move_provider_balances(cursor: Any, accounts: dict[str, tuple[int, int]]) -> None:
    """The revenue and VAT accounts' balances, by the chunk's totals: two rows every worker
    writes, so last before the commit."""
    cursor.execute(
        """UPDATE ledger_ledgeraccount a SET cached_balance = a.cached_balance + t.delta
             FROM (SELECT p.revenue_id AS account_id, -SUM(i.net) AS delta
                     FROM billing_chunk_invoices i
                     JOIN unnest(%(currencies)s::text[], %(revenue)s::bigint[], %(tax)s::bigint[])
                          AS p(currency, revenue_id, tax_id) ON p.currency = i.currency
                    GROUP BY p.revenue_id
                   UNION ALL
                   SELECT p.tax_id, -SUM(i.tax)
                     FROM billing_chunk_invoices i
                     JOIN unnest(%(currencies)s::text[], %(revenue)s::bigint[], %(tax)s::bigint[])
                          AS p(currency, revenue_id, tax_id) ON p.currency = i.currency
                    GROUP BY p.tax_id) t
            WHERE a.id = t.account_id AND t.delta <> 0""",
        _accounts_parameters(accounts),
    )


def _accounts_parameters(accounts: dict[str, tuple[int, int]]) -> dict[str, list[Any]]:
    return {
        "currencies": list(accounts),
        "revenue": [revenue for revenue, _tax in accounts.values()],
        "tax": [tax for _revenue, tax in accounts.values()],
    }


def _write_invoices_and_transactions(cursor: Any, context: _Context) -> None:
    """The invoices and their ledger transactions, which carry the numbers."""
    at = context.at
    cursor.execute(
        """INSERT INTO billing_invoice (id, kind, number, legal_entity_id, customer_id, status, currency,
                                        issued_at, due_date, paid_at, net_total, tax_total, total, amount_paid,
                                        reverse_charge, customer_name, customer_tax_id, customer_country,
                                        issue_transaction_id, created_at)
           SELECT i.invoice_id, %(kind)s, i.number, i.entity_id, i.customer_id,
                  CASE WHEN i.pay_now THEN %(paid)s ELSE %(issued)s END, i.currency, %(at)s, d.due_date,
                  CASE WHEN i.pay_now THEN %(at)s::timestamptz END, i.net, i.tax, i.total,
                  CASE WHEN i.pay_now THEN i.total ELSE 0 END, d.reverse_charge, left(d.customer_name, 300),
                  left(d.tax_id, 64), left(d.country, 2), i.transaction_id, %(at)s
             FROM billing_chunk_invoices i JOIN billing_chunk_drafts d USING (customer_id, currency)
            ORDER BY i.invoice_id""",
        {"kind": InvoiceKind.INVOICE, "paid": InvoiceStatus.PAID, "issued": InvoiceStatus.ISSUED, "at": at},
    )
    before, after = _template(_("Invoice %(number)s") % {"number": _MARK})
    cursor.execute(
        """INSERT INTO ledger_ledgertransaction (id, kind, customer_id, description, occurred_at, idempotency_key,
                                                 reference_type, reference_id, actor_label)
           SELECT transaction_id, CASE WHEN pay_now THEN %(charge)s ELSE %(invoice)s END, customer_id,
                  left(%(before)s || number || %(after)s, 300), %(at)s, 'invoice-issue:' || invoice_id, 'invoice',
                  invoice_id::text, %(actor)s
             FROM billing_chunk_invoices ORDER BY transaction_id""",
        {
            "charge": TransactionKind.CHARGE,
            "invoice": TransactionKind.INVOICE,
            "before": before,
            "after": after,
            "at": at,
            "actor": SYSTEM.label,
        },
    )


def _write_lines_and_events(cursor: Any, context: _Context) -> None:
    """Invoice lines and the invoice.issued / invoice.paid events (their foreign keys to the
    invoices are checked at commit, when the invoices exist)."""
    at = context.at
    cursor.execute(
        """INSERT INTO billing_invoiceline (invoice_id, kind, service_id, description, quantity, unit_price, net,
                                            tax_rate, tax, gross, period_start, period_end)
           SELECT i.invoice_id, l.kind, l.service_id, l.description, l.quantity, l.unit_price, l.net, l.tax_rate,
                  l.tax, l.gross, l.period_start, l.period_end
             FROM billing_chunk_lines l JOIN billing_chunk_invoices i USING (customer_id, currency)
            ORDER BY i.invoice_id, l.service_id, l.position"""
    )
    cursor.execute(
        """INSERT INTO core_outboxevent (topic, payload, created_at, attempts, last_error)
           SELECT e.topic, jsonb_build_object('invoice_id', i.invoice_id, 'customer_id', i.customer_id), %s, 0, ''
             FROM billing_chunk_invoices i
            CROSS JOIN LATERAL (VALUES (1, 'invoice.issued'), (2, 'invoice.paid')) AS e(side, topic)
            WHERE e.side = 1 OR i.pay_now
            ORDER BY i.invoice_id, e.side""",
        [at],
    )
