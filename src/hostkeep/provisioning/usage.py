"""Usage of pay-as-you-go services from their panels' figures, stored as usage records
(idempotent by the module's source id, so collecting an hour twice stores it once)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.catalog.choices import PricingModel
from hostkeep.core import clock
from hostkeep.core.errors import HostkeepError
from hostkeep.provisioning.interface import CallLog, Capability
from hostkeep.provisioning.models import ProvisionedServer
from hostkeep.provisioning.registry import module_class
from hostkeep.provisioning.runner import module_for, server_record, service_spec
from hostkeep.services.choices import ServiceStatus
from hostkeep.usage.actions import usage_records_bulk_import

logger = logging.getLogger(__name__)


def usage_collect(*, limit: int = 5000) -> dict[str, int]:
    """Ask each panel for the figures of its active pay-as-you-go servers for this hour."""
    now = clock.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    records: list[dict[str, Any]] = []
    servers = (
        ProvisionedServer.objects.select_related("service__product", "service__customer", "connection")
        .filter(service__status=ServiceStatus.ACTIVE, service__plan__pricing_model=PricingModel.PAY_AS_YOU_GO)
        .exclude(remote_id="")
        .order_by("pk")[:limit]
    )
    for server in servers:
        if Capability.USAGE not in module_class(server.module).capabilities:
            continue
        service = server.service
        try:
            readings = module_for(server, log=CallLog()).usage(service_spec(service), server_record(server, service))
        except HostkeepError as error:
            logger.warning("usage of service %s not collected: %s", service.pk, error.message)
            continue
        records.extend(
            {
                "service_id": service.pk,
                "customer_id": service.customer_id,
                "resource": reading.resource,
                "quantity": reading.quantity,
                "period_start": hour.isoformat(),
                "period_end": (hour + dt.timedelta(hours=1)).isoformat(),
                "source_id": reading.source_id,
            }
            for reading in readings
        )
    result = usage_records_bulk_import(actor=SYSTEM_ACTOR, rows=enumerate(records), audit_action="provisioning.usage")
    return {"accepted": result.accepted, "duplicates": result.duplicates, "refused": result.refused}
