"""API shapes of the helpdesk's set-up (staff only). Values arrive as given and are checked by
the set-up actions, so the API refuses exactly what the staff pages refuse. A mailbox's
password is write-only: it is never part of an answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from hostkeep.helpdesk.actions_setup import DepartmentCharging, department_charging


class DepartmentIn(Schema):
    name: str = Field(max_length=200)
    email: str = ""
    is_public: bool = True
    charging: str = DepartmentCharging.FREE
    price_per_ticket: Decimal | None = None
    currency: str = ""
    sort_order: int = 0


class DepartmentSetupOut(Schema):
    id: int
    name: str
    email: str
    is_public: bool
    is_paid: bool
    charging: str
    price_per_ticket: Decimal | None
    currency: str
    sort_order: int

    @staticmethod
    def resolve_charging(obj: object) -> str:
        return department_charging(obj)  # type: ignore[arg-type]


class SlaTargetIn(Schema):
    department_id: int | None = None
    plan_id: int | None = None
    first_response_minutes: int
    resolution_minutes: int


class SlaTargetOut(Schema):
    id: int
    department_id: int | None
    plan_id: int | None
    first_response_minutes: int
    resolution_minutes: int


class MailboxIn(Schema):
    name: str = Field(max_length=200)
    address: str
    host: str
    port: int = 993
    use_ssl: bool = True
    username: str
    password: str = Field(default="", description="Write-only; empty on a change keeps the stored password.")
    folder: str = "INBOX"
    department_id: int
    is_active: bool = True


class MailboxOut(Schema):
    id: int
    name: str
    address: str
    host: str
    port: int
    use_ssl: bool
    username: str
    folder: str
    department_id: int
    is_active: bool
    last_polled_at: dt.datetime | None
    last_error: str


class ConnectionReportOut(Schema):
    ok: bool
    message: str


class WidgetKeyIn(Schema):
    project_id: int
    department_id: int
    allowed_origins: str
    hourly_limit: int | None = None


class WidgetKeyUpdateIn(Schema):
    department_id: int
    allowed_origins: str
    hourly_limit: int | None = None


class WidgetKeyOut(Schema):
    id: int
    project_id: int
    department_id: int
    key: str
    allowed_origins: list[str]
    is_active: bool
    hourly_limit: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_allowed_origins(obj: object) -> list[str]:
        return obj.origins()  # type: ignore[attr-defined, no-any-return]


class AgentRateIn(Schema):
    staff_id: int
    hourly_rate: Decimal
    currency: str


class AgentRateOut(Schema):
    id: int
    staff_id: int
    hourly_rate: Decimal
    currency: str


class CustomerRateIn(Schema):
    customer_id: int
    hourly_rate: Decimal


class CustomerRateOut(Schema):
    id: int
    customer_id: int
    hourly_rate: Decimal


class WatcherIn(Schema):
    contact_id: int


class WatcherOut(Schema):
    id: int
    email: str = Field(alias="user.email")
