"""API shapes of helpdesk. Customer shapes carry no internal notes, no agent behind a
department reply and no staff-only fields; HTML is always the sanitised rendering."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_validator

from hostkeep.helpdesk.rendering import markdown_to_html
from hostkeep.helpdesk.storage import IncomingFile


class FileIn(Schema):
    filename: str = Field(max_length=200)
    content_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str

    @field_validator("content_base64")
    @classmethod
    def _decodable(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError("not base64") from error
        return value

    def incoming(self) -> IncomingFile:
        return IncomingFile(self.filename, self.content_type, base64.b64decode(self.content_base64))


class DepartmentOut(Schema):
    id: int
    name: str
    is_paid: bool


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    author: str = Field(alias="public_author_name")
    from_staff: bool
    body: str
    body_html: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_from_staff(obj: object) -> bool:
        return getattr(obj, "author_kind", "") == "staff"

    @staticmethod
    def resolve_body_html(obj: object) -> str:
        return str(markdown_to_html(getattr(obj, "body", "")))

    @staticmethod
    def resolve_attachments(obj: object) -> list[object]:
        return list(obj.attachments.all())  # type: ignore[attr-defined]


class TicketOut(Schema):
    id: int
    subject: str
    status: str
    priority: str
    department: str
    project_id: int | None
    service_id: int | None
    domain: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_department(obj: object) -> str:
        return obj.department.name  # type: ignore[attr-defined, no-any-return]


class RatingOut(Schema):
    score: int
    comment: str


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    rating: RatingOut | None

    @staticmethod
    def resolve_messages(obj: object) -> list[object]:
        return list(obj.public_messages)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_rating(obj: object) -> object:
        return getattr(obj, "rating", None) if hasattr(obj, "rating") else None


class TicketIn(Schema):
    subject: str = Field(max_length=250)
    body: str
    department_id: int
    priority: str = "normal"
    service_id: int | None = None
    project_id: int | None = None
    domain: str = ""
    attachments: list[FileIn] = []


class MessageIn(Schema):
    body: str
    attachments: list[FileIn] = []


class StatusIn(Schema):
    status: str


class RatingIn(Schema):
    score: int = Field(ge=1, le=5)
    comment: str = ""


# --- staff ----------------------------------------------------------------------------------


class StaffMessageOut(MessageOut):
    kind: str
    author_email: str
    author_user_id: int | None
    sent_as_department: bool
    channel: str


class TimeLogOut(Schema):
    id: int
    staff_id: int
    minutes: int
    billable: bool
    note: str
    rate: Decimal
    currency: str
    invoice_id: int | None
    logged_at: dt.datetime


class StaffTicketOut(TicketOut):
    customer_id: int | None
    requester_email: str
    line: int
    assignee_id: int | None
    needs_review: bool
    is_paid: bool
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None


class StaffTicketDetailOut(StaffTicketOut):
    messages: list[StaffMessageOut]
    time_logs: list[TimeLogOut]
    tags: list[str]
    fixed_price: Decimal | None
    discount_percent: Decimal

    @staticmethod
    def resolve_messages(obj: object) -> list[object]:
        return list(obj.all_messages)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_time_logs(obj: object) -> list[object]:
        return list(obj.time_logs.all())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_tags(obj: object) -> list[str]:
        return [tag.name for tag in obj.tags.all()]  # type: ignore[attr-defined]


class StaffMessageIn(MessageIn):
    note: bool = False
    status: str = ""


class AssignIn(Schema):
    assignee_id: int | None


class EscalateIn(Schema):
    to_line: int
    to_department_id: int | None = None
    reason: str


class TimeLogIn(Schema):
    minutes: int
    billable: bool = True
    note: str = ""


class TicketUpdateIn(Schema):
    priority: str | None = None
    tags: list[str] | None = None
    watcher_ids: list[int] | None = None
    is_paid: bool | None = None
    fixed_price: Decimal | None = None
    discount_percent: Decimal | None = None
    customer_id: int | None = None


class CannedReplyOut(Schema):
    id: int
    title: str
    body: str
    department_id: int | None


class FilledReplyOut(Schema):
    body: str


class InvoiceRefOut(Schema):
    id: int
    number: str | None
    total: Decimal
    currency: str


class AgentRatingOut(Schema):
    staff_id: int = Field(alias="id")
    email: str
    average: float
    count: int

    @staticmethod
    def resolve_email(obj: object) -> str:
        return obj.user.email  # type: ignore[attr-defined, no-any-return]
