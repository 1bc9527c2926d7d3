"""Shapes of the usage API. Posted records are read by the endpoint itself (numbers kept as
exact decimals, each record checked on its own), so ``UsageRecordIn`` documents the body
rather than parsing it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class UsageRecordIn(Schema):
    """One usage record as a panel reports it."""

    source_id: str = Field(min_length=1, max_length=120, description="The reporter's unique id of this record.")
    service_id: int
    resource: str = Field(description="A resource the service's plan meters, e.g. server_hours.")
    quantity: Decimal = Field(description="At least 0, at most 1e9, at most 4 decimal places (number or string).")
    period_start: dt.datetime = Field(description="ISO 8601 with an offset, e.g. 2026-03-01T10:00:00+02:00.")
    period_end: dt.datetime
    customer_id: int | None = Field(None, description="When given, the service must belong to this customer.")


class UsageRefusalOut(Schema):
    index: int = Field(alias="position", description="The record's index in the posted array.")
    source_id: str
    code: str
    message: str


class IngestOut(Schema):
    """``accepted`` were stored now, ``duplicates`` were stored before (or earlier in the
    same request) and are counted once, ``refused`` were not stored, each with its reason."""

    accepted: int
    duplicates: int
    refused: int
    refusals: list[UsageRefusalOut]


class UsageRecordOut(Schema):
    id: int
    service_id: int
    resource: str
    quantity: Decimal
    period_start: dt.datetime
    period_end: dt.datetime
    source_id: str
    received_at: dt.datetime


class UsageTotalOut(Schema):
    resource: str
    unit: str
    quantity: Decimal


class ServiceUsageOut(Schema):
    service_id: int
    period_start: dt.datetime
    period_end: dt.datetime
    totals: list[UsageTotalOut]
