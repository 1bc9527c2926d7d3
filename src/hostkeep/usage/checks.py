"""The rules a usage record must pass before it is stored, in one place.

Every record is checked before anything is written — its service exists and is live, the
service's plan meters the resource, the quantity is an exact, sane decimal, the period is
ordered and its instants carry a time zone. ``RecordChecker.row`` applies the rules to one
record; ``refusal`` words every refusal. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hostkeep.catalog.models import MeteredPrice
from hostkeep.services.choices import LIVE_STATUSES
from hostkeep.services.models import Service

MAX_QUANTITY = Decimal(1_000_000_000)
_MAX_WHOLE_QUANTITY = 1_000_000_000
QUANTITY_QUANTUM = Decimal("0.0001")
SOURCE_ID_MAX_LENGTH = 120
SERVICE_ID_MAX_DIGITS = 19  # below 2**63, the largest id a bigint column holds

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_A_NUMBER = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_SERVICE_LOOKUP_BATCH = 500
_SERVICE_LOOKUP_BATCH_POSTGRESQL = 50_000
_TIMESTAMP_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class UsageRefusal:
    """Why one record was not stored. ``position`` is its index in the request (API) or its
    line in the file (CLI); ``code`` is stable, ``message`` is for people."""

    position: int
    source_id: str
    code: str
    message: str


class UnreadableRecord(NamedTuple):
    """A line of a file that could not be read as a record (bad JSON, wrong column count)."""

    reason: str


class Refused(Exception):  # a verdict on a record, not a failure of the program
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_MESSAGES = {
    "not_an_object": gettext_noop("A record must be an object with named fields."),
    "source_id_invalid": gettext_noop(
        "source_id must be text of 1 to %(limit)s characters without control characters."
    ),
    "service_id_invalid": gettext_noop("service_id must be a whole number."),
    "service_not_found": gettext_noop("Service %(id)s does not exist."),
    "customer_mismatch": gettext_noop("Service %(id)s does not belong to customer %(customer)s."),
    "service_not_live": gettext_noop(
        "Service %(id)s is %(status)s; usage is accepted only for active or suspended services."
    ),
    "resource_not_metered": gettext_noop("The plan of service %(id)s does not meter %(resource)s."),
    "quantity_not_a_number": gettext_noop("quantity must be a finite number, not %(value)s."),
    "quantity_invalid": gettext_noop("quantity must be a decimal number."),
    "quantity_negative": gettext_noop("quantity must not be negative."),
    "quantity_too_large": gettext_noop("quantity must be at most %(limit)s; this looks like a unit error."),
    "quantity_too_precise": gettext_noop("quantity must have at most 4 decimal places."),
    "timestamp_invalid": gettext_noop("%(name)s must be an ISO 8601 date and time with an offset, e.g. %(example)s."),
    "timestamp_naive": gettext_noop("%(name)s needs a time zone offset (e.g. +02:00 or Z)."),
    "period_reversed": gettext_noop("period_end must not be before period_start."),
}


def refusal(code: str, **params: object) -> Refused:
    """The refusal ``code`` with its message; ``params`` fill the message (``id`` of the service,
    ``customer``, ``status``, ``resource`` as shown, ``name`` of a timestamp field, ``value``
    of a quantity that is not a number, ``reason`` a line is unreadable)."""
    values = {
        "limit": f"{MAX_QUANTITY:,}" if code == "quantity_too_large" else SOURCE_ID_MAX_LENGTH,
        "example": "2026-03-01T10:00:00+02:00",
        **params,
    }
    if code == "unreadable":
        return Refused(code, str(params["reason"]))
    # "not_an_object" is reported as "unreadable", as it always was.
    return Refused("unreadable" if code == "not_an_object" else code, _(_MESSAGES[code]) % values)


class ShapedRecord(NamedTuple):
    """A record after the checks that need no database (``RecordChecker.shape``): either
    ``refused`` already, or the values the service checks need and what follows them."""

    position: int
    source_id: str  # as shown in a refusal
    refused: Refused | None
    service_id: int
    customer_id: object
    resource: object
    later: Refused | None
    values: tuple[str, str, str]  # quantity, period_start, period_end as stored


def _shaped_refusal(position: int, source_id: str, refused: Refused) -> ShapedRecord:
    return ShapedRecord(position, source_id, refused, 0, None, None, None, ("", "", ""))


@dataclass(frozen=True, slots=True)
class _ServiceFacts:
    customer_id: int
    status: str
    resources: frozenset[str]


class RecordChecker:
    """Checks records against the database's services and plans, and turns good records into
    rows for the vendor's writer. Services are read afresh for each chunk, in batches (never
    one query per record), so memory stays flat and a service terminated during a long import
    stops taking usage from the next chunk on. Timestamps repeat heavily in usage (hourly
    periods), so parsed ones are cached."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.services: dict[int, _ServiceFacts | None] = {}
        self.plan_resources: dict[int, frozenset[str]] = {}
        self.timestamps: dict[str, tuple[dt.datetime, str] | str] = {}  # a str is a refusal's code

    def load_services(self, records: list[ShapedRecord]) -> None:
        """Read the services the records name (those that got past their shape checks)."""
        self.services.clear()
        ordered = sorted({record.service_id for record in records if record.refused is None})
        batch_size = _SERVICE_LOOKUP_BATCH_POSTGRESQL if connection.vendor == "postgresql" else _SERVICE_LOOKUP_BATCH
        for first in range(0, len(ordered), batch_size):
            batch = ordered[first : first + batch_size]
            found = {pk: (customer_id, status, plan_id) for pk, customer_id, status, plan_id in _services(batch)}
            new_plans = {plan_id for _c, _s, plan_id in found.values()} - self.plan_resources.keys()
            if new_plans:
                metered: dict[int, set[str]] = {plan_id: set() for plan_id in new_plans}
                for plan_id, resource in MeteredPrice.objects.filter(plan_id__in=new_plans).values_list(
                    "plan_id", "resource"
                ):
                    metered[plan_id].add(resource)
                self.plan_resources.update({plan_id: frozenset(names) for plan_id, names in metered.items()})
            for service_id in batch:
                facts = found.get(service_id)
                self.services[service_id] = (
                    _ServiceFacts(customer_id=facts[0], status=facts[1], resources=self.plan_resources[facts[2]])
                    if facts
                    else None
                )

    def row(self, record: object) -> tuple[int, str, str, str, str, str]:
        """(service_id, resource, quantity, period_start, period_end, source_id) ready for the
        database, or ``Refused`` with the first problem found. Services must be loaded."""
        shaped = self.shape(0, record)
        if shaped.refused is not None:
            raise shaped.refused
        return self.decide(shaped)

    def shape(self, position: int, record: object) -> ShapedRecord:
        """The checks that need no database, in the rules' order: the record's shape, its
        source_id and service_id, then (kept in ``later``, reported only if the service checks
        pass) its quantity and period. Pure Python, so a file's reader thread can run it."""
        if type(record) is not dict:  # the usual case is checked first: ABC checks are slow
            if isinstance(record, UnreadableRecord):
                return _shaped_refusal(position, "", refusal("unreadable", reason=record.reason))
            if not isinstance(record, Mapping):
                return _shaped_refusal(position, "", refusal("not_an_object"))
        source_id = record.get("source_id")
        if (
            type(source_id) is not str
            or not 0 < len(source_id) <= SOURCE_ID_MAX_LENGTH
            or _CONTROL_CHARACTERS.search(source_id)
        ):
            shown = str(source_id)[:SOURCE_ID_MAX_LENGTH] if source_id is not None else ""
            return _shaped_refusal(position, shown, refusal("source_id_invalid"))
        service_id = service_id_or_none(record.get("service_id"))
        if service_id is None:
            return _shaped_refusal(position, source_id, refusal("service_id_invalid"))
        later: Refused | None = None
        values = ("", "", "")
        try:
            quantity = _quantity(record.get("quantity"))
            start, start_text = self.timestamp(record.get("period_start"), "period_start")
            end, end_text = self.timestamp(record.get("period_end"), "period_end")
            if end < start:
                raise refusal("period_reversed")
            values = (quantity, start_text, end_text)
        except Refused as refused:
            later = refused
        return ShapedRecord(
            position, source_id, None, service_id, record.get("customer_id"), record.get("resource"), later, values
        )

    def decide(self, shaped: ShapedRecord) -> tuple[int, str, str, str, str, str]:
        """The checks against the loaded services, then the first later refusal, if any."""
        service_id = shaped.service_id
        facts = self.services.get(service_id)
        if facts is None:
            raise refusal("service_not_found", id=service_id)
        customer_id = shaped.customer_id
        if customer_id not in (None, "") and service_id_or_none(customer_id) != facts.customer_id:
            raise refusal("customer_mismatch", id=service_id, customer=str(customer_id)[:40])
        if facts.status not in LIVE_STATUSES:
            raise refusal("service_not_live", id=service_id, status=facts.status)
        resource = shaped.resource
        if type(resource) is not str or resource not in facts.resources:
            raise refusal("resource_not_metered", id=service_id, resource=repr(resource)[:60])
        if shaped.later is not None:
            raise shaped.later
        quantity, start_text, end_text = shaped.values
        return service_id, resource, quantity, start_text, end_text, shaped.source_id

    def timestamp(self, value: object, name: str) -> tuple[dt.datetime, str]:
        """The instant and its text as this database stores it (UTC); cached by input text."""
        if isinstance(value, dt.datetime):
            return self._instant(value, name)
        if not isinstance(value, str):
            raise refusal("timestamp_invalid", name=name)
        cached = self.timestamps.get(value)
        if cached is None:
            try:
                cached = self._instant(dt.datetime.fromisoformat(value), name)
            except ValueError:
                cached = "timestamp_invalid"
            except Refused as refused:
                cached = refused.code
            if len(self.timestamps) >= _TIMESTAMP_CACHE_LIMIT:
                self.timestamps.clear()
            self.timestamps[value] = cached
        if isinstance(cached, str):
            raise refusal(cached, name=name)
        return cached

    def _instant(self, value: dt.datetime, name: str) -> tuple[dt.datetime, str]:
        if value.tzinfo is None or value.utcoffset() is None:
            raise refusal("timestamp_naive", name=name)
        try:
            in_utc = value.astimezone(dt.UTC)
        except OverflowError:
            raise refusal("timestamp_invalid", name=name) from None
        # Django keeps SQLite datetimes as naive UTC text in this exact form; PostgreSQL reads ISO.
        text = str(in_utc.replace(tzinfo=None)) if self.vendor == "sqlite" else in_utc.isoformat()
        return in_utc, text


def _services(ids: list[int]) -> list[tuple[int, int, str, int]]:
    """(id, customer_id, status, plan_id) of the services among ``ids``. On PostgreSQL one
    array parameter, however many ids: a statement with thousands of placeholders costs more
    to build than to run."""
    if connection.vendor != "postgresql":
        return list(Service.objects.filter(pk__in=ids).values_list("pk", "customer_id", "status", "plan_id"))
    quote = connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in Service._meta.concrete_fields}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column['id']}, {column['customer']}, {column['status']}, {column['plan']} "  # noqa: S608 - names from the model
            f"FROM {quote(Service._meta.db_table)} WHERE {column['id']} = ANY(%s)",
            [ids],
        )
        rows: list[tuple[int, int, str, int]] = cursor.fetchall()
    return rows


def service_id_or_none(value: object) -> int | None:
    """A positive id below 2**63 from a JSON integer or a text of ASCII digits, else None."""
    if type(value) is int:
        number = value
    elif type(value) is str and value.isascii() and value.isdigit():
        if len(value.lstrip("0")) > SERVICE_ID_MAX_DIGITS:  # int() refuses texts past 4,300 digits
            return None
        number = int(value)
    else:
        return None
    return number if 0 < number < 2**63 else None


def _quantity(value: object) -> str:
    """The quantity as exact decimal text with 4 places, or ``Refused``. JSON numbers arrive
    as Decimal (parsed with ``parse_float=Decimal``); a float from a Python caller is read
    through its shortest representation, never its binary value."""
    if type(value) is int and 0 <= value <= _MAX_WHOLE_QUANTITY:  # the usual case, without Decimal
        return f"{value}.0000"
    if type(value) is Decimal:
        quantity = value
    elif type(value) is int:
        quantity = Decimal(value)
    elif type(value) is str:
        text = value.strip()
        if _NOT_A_NUMBER.fullmatch(text):
            raise refusal("quantity_not_a_number", value=text)
        if not _NUMBER.fullmatch(text):
            raise refusal("quantity_invalid")
        quantity = Decimal(text)
    elif type(value) is float:
        quantity = Decimal(repr(value))
    else:
        raise refusal("quantity_invalid")
    if not quantity.is_finite():
        raise refusal("quantity_not_a_number", value=quantity)
    if quantity < 0:
        raise refusal("quantity_negative")
    if quantity > MAX_QUANTITY:
        raise refusal("quantity_too_large")
    try:
        stored = quantity.quantize(QUANTITY_QUANTUM)
    except InvalidOperation:  # pragma: no cover - bounded above, so quantize cannot overflow
        raise refusal("quantity_invalid") from None
    if stored != quantity:
        raise refusal("quantity_too_precise")
    return str(stored)


_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)  # built once: 2x faster than loads()


def json_loads_exact(text: str | bytes) -> Any:
    """JSON with every number kept exact: fractions become Decimal, and NaN/Infinity (which
    strict JSON lacks) become Decimal too, so the record is refused rather than the batch."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return _EXACT_JSON.decode(text)


def not_valid_json(error: Exception) -> str:
    """Why a line is not a record: the JSON parser's own words."""
    return _("Not valid JSON: %(error)s") % {"error": error}
