"""What the accounts tables and the audit log hold, so a test can assert that a refused
request changed nothing at all (not only the row it aimed at)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from allauth.account.models import EmailAddress

from hostkeep.accounts.models import ApiToken, Contact, Customer, CustomerLegalEntity, StaffMember, User
from hostkeep.core.models import AuditEvent, OutboxEvent


def accounts_state() -> dict[str, list[Any]]:
    """Every row of every accounts table. A token's ``last_used_at`` is left out: presenting
    a token records its use even when the request is then refused, and that is bookkeeping,
    not a change the caller made."""
    token_fields = [field.name for field in ApiToken._meta.concrete_fields if field.name != "last_used_at"]
    return {
        "users": list(User.objects.order_by("pk").values()),
        "email_addresses": list(EmailAddress.objects.order_by("pk").values()),
        "customers": list(Customer.objects.order_by("pk").values()),
        "contacts": list(Contact.objects.order_by("pk").values()),
        "legal_entities": list(CustomerLegalEntity.objects.order_by("pk").values()),
        "staff": list(StaffMember.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values(*token_fields)),
        "audit_events": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "outbox_events": list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


@contextmanager
def unchanged() -> Iterator[None]:
    """``with unchanged(): <a request that must be refused>`` fails naming each table that moved."""
    before = accounts_state()
    yield
    after = accounts_state()
    moved = {
        table: {"before": before[table], "after": after[table]} for table in before if before[table] != after[table]
    }
    if moved:
        raise AssertionError(f"a refused request changed the database: {moved}")
