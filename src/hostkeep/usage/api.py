"""Endpoints of usage: panels and scripts post records (staff who manage provisioning, or
their staff tokens); staff list stored records; a customer reads the current usage of their
own service. Permissions are checked by the actions and selectors each endpoint calls."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.core.errors import HostkeepError, ValidationFailed
from hostkeep.usage import actions, selectors
from hostkeep.usage.schemas import IngestOut, ServiceUsageOut, UsageRecordIn, UsageRecordOut

MAX_BODY_BYTES = 16 * 1024 * 1024

usage_router = Router()


class PayloadTooLarge(HostkeepError):
    status = 413
    code = "payload_too_large"


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


def _posted_records(request: HttpRequest) -> list[Any]:
    """The body as a JSON array, numbers as exact decimals; read here so that one bad record
    is refused on its own instead of failing the whole request's schema."""
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(_("The body is larger than %(size)s MiB.") % {"size": MAX_BODY_BYTES // 2**20})
    try:
        records = actions.json_loads_exact(body)
    except (ValueError, RecursionError):
        records = None
    if not isinstance(records, list):
        raise ValidationFailed(_("The body must be a JSON array of usage records."), code="not_a_json_array")
    if len(records) > actions.API_BATCH_LIMIT:
        raise PayloadTooLarge(
            _("At most %(limit)s records per request (got %(count)s); send the rest in further requests.")
            % {"limit": actions.API_BATCH_LIMIT, "count": len(records)},
            code="too_many_records",
        )
    return records


_RECORDS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": actions.API_BATCH_LIMIT,
                    "items": UsageRecordIn.json_schema(),
                }
            }
        },
    }
}


@usage_router.post("/records", response=IngestOut, openapi_extra=_RECORDS_BODY)
def records_ingest(request: HttpRequest) -> Any:
    """Store up to 10,000 records, idempotently by ``source_id``; each refused record is named
    by its index with the reason, and never stops the valid ones."""
    actor = _actor(request)
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return actions.usage_records_ingest(actor=actor, records=_posted_records(request))


@usage_router.get("/records", response=list[UsageRecordOut])
@paginate(LimitOffsetPagination)
def records(
    request: HttpRequest, service_id: int | None = None, resource: str = "", since: dt.datetime | None = None
) -> Any:
    """Stored records for staff, oldest period first; ``since`` is an instant with an offset."""
    return selectors.usage_records_for_staff(_actor(request), service_id=service_id, resource=resource, since=since)


@usage_router.get("/services/{service_id}", response=ServiceUsageOut)
def service_usage(request: HttpRequest, service_id: int) -> Any:
    """The caller's own service's usage in its current period, per resource."""
    return selectors.service_usage_for_customer(_actor(request), service_id)
