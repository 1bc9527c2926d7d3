from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class MeOut(Schema):
    email: str
    full_name: str
    language: str
    kind: str
    customer_id: int | None
    customer_name: str | None
    contact_role: str | None
    staff_role: str | None


class ContactOut(Schema):
    id: int
    email: str = Field(alias="user.email")
    full_name: str = Field(alias="user.full_name")
    role: str
    phone: str


class ContactIn(Schema):
    email: str = Field(max_length=254)
    role: str
    full_name: str = Field("", max_length=200)


class ContactRoleIn(Schema):
    role: str


class LegalEntityIn(Schema):
    name: str = Field(max_length=300)
    tax_id: str = Field("", max_length=64)
    registration_number: str = Field("", max_length=64)
    country: str = Field("", max_length=2)
    address: str = Field("", max_length=2000)
    bank_name: str = Field("", max_length=200)
    bank_account: str = Field("", max_length=64)
    bank_code: str = Field("", max_length=32)
    is_default: bool = False


class LegalEntityOut(LegalEntityIn):
    id: int


class TokenIn(Schema):
    name: str = Field(max_length=100)
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class AuditOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor_kind: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    ip_address: str | None


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    country: str
    created_at: dt.datetime
