"""Carrying out one provisioning action: claim it (a transaction), call the panel through the
module with a timeout (no transaction open), apply the typed result (a new transaction).

A ``RetryableError`` schedules another attempt with back-off (honouring a panel's
``Retry-After``); when the outcome of the last call is unknown (a timeout, a 5xx after the
request was sent) the next attempt is made with ``retry=True`` so the module looks the object
up by our external id first. A ``TerminalError``, or too many attempts, fails the action.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import Contact
from hostkeep.core.errors import HostkeepError, RetryableError, TerminalError
from hostkeep.provisioning import actions
from hostkeep.provisioning.choices import ActionKind, ServerState
from hostkeep.provisioning.interface import (
    CallLog,
    Connection,
    ProvisioningModule,
    RemoteServer,
    ServerRecord,
    ServiceSpec,
)
from hostkeep.provisioning.models import ModuleConnection, PanelAccount, ProvisionedServer, ProvisioningAction
from hostkeep.provisioning.registry import module_class
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

logger = logging.getLogger(__name__)

# The billing state each kind of action serves; if the service has moved on, the action is moot.
WANTED_SERVICE_STATES = {
    ActionKind.CREATE: {ServiceStatus.PROVISIONING},
    ActionKind.SUSPEND: {ServiceStatus.SUSPENDED},
    ActionKind.UNSUSPEND: {ServiceStatus.ACTIVE},
    ActionKind.TERMINATE: {ServiceStatus.TERMINATED, ServiceStatus.CANCELLED, ServiceStatus.FAILED},
    ActionKind.CHANGE_PACKAGE: {ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED},
}


def connection_for_module(row: ModuleConnection) -> Connection:
    return Connection(
        id=row.pk,
        name=row.name,
        module=row.module,
        settings=dict(row.settings or {}),
        secrets=dict(row.secrets or {}),
        timeout_seconds=row.timeout_seconds,
    )


def service_spec(service: Service) -> ServiceSpec:
    contact = (
        Contact.objects.select_related("user")
        .filter(customer_id=service.customer_id, role=ContactRole.OWNER)
        .order_by("pk")
        .first()
    )
    email = contact.user.email if contact else f"customer-{service.customer_id}@invalid.example"
    full_name = (contact.user.full_name if contact else "") or service.customer.name
    first, _space, last = full_name.strip().partition(" ")
    return ServiceSpec(
        service_id=service.pk,
        external_id=f"service-{service.pk}",
        customer_id=service.customer_id,
        customer_external_id=f"customer-{service.customer_id}",
        customer_email=email,
        customer_first_name=(first or "Customer")[:191],
        customer_last_name=(last or str(service.customer_id))[:191],
        label=(service.label or f"{service.product.name} #{service.pk}")[:191],
        product_settings=dict(service.product.module_settings or {}),
        limits=dict(service.module_limits or {}),
    )


def module_for(server: ProvisionedServer, *, log: CallLog) -> ProvisioningModule:
    implementation = module_class(server.module)
    service_id = server.service_id

    def checkpoint(details: dict[str, Any]) -> None:
        actions.server_checkpoint(service_id=service_id, details=details)

    return implementation(connection_for_module(server.connection), log, checkpoint)


def panel_account_id(server: ProvisionedServer, service: Service) -> str | None:
    """The panel user remembered for the service's customer on the server's connection."""
    return (
        PanelAccount.objects.filter(connection_id=server.connection_id, customer_id=service.customer_id)
        .values_list("remote_id", flat=True)
        .first()
    )


_LOOK_UP = object()


def server_record(server: ProvisionedServer, service: Service, account_id: object = _LOOK_UP) -> ServerRecord:
    """What a module knows of the server: its remote id and memo, plus the customer's panel
    user (``account_id`` when the caller has looked it up already)."""
    details = dict(server.details or {})
    if account_id is _LOOK_UP:
        account_id = panel_account_id(server, service)
    if account_id is not None:
        details.setdefault("panel_user_id", account_id)
    return ServerRecord(remote_id=server.remote_id, details=details)


def action_execute(*, action_id: int) -> str:
    """One run of an action's job; returns what happened (for the task result)."""
    action = actions.action_claim(action_id=action_id)
    if action is None:
        return "skipped"
    service = action.service
    if service.status not in WANTED_SERVICE_STATES[ActionKind(action.kind)]:
        actions.action_supersede(
            action_id=action.pk,
            reason=_("The service is now %(status)s.") % {"status": service.get_status_display()},
        )
        return "superseded"
    server = ProvisionedServer.objects.select_related("connection").get(service=service)
    known_account = panel_account_id(server, service)
    record = server_record(server, service, known_account)
    log = CallLog()
    try:
        module = module_for(server, log=log)
        remote = _call(module, action, service, server, record)
    except RetryableError as error:
        actions.action_retry_later(
            action_id=action.pk,
            error=error.message,
            calls=log.calls,
            ambiguous=log.calls[-1].status is None or (log.calls[-1].status or 0) >= 500 if log.calls else False,
            retry_after=error.retry_after,
        )
        return "retrying"
    except HostkeepError as error:
        actions.action_fail(action_id=action.pk, error=error.message, calls=log.calls)
        return "failed"
    except Exception as error:  # a bug or an unexpected answer: fail visibly, keep the log
        logger.exception("provisioning action %s crashed", action.pk)
        actions.action_fail(action_id=action.pk, error=f"{type(error).__name__}: {error}", calls=log.calls)
        return "failed"
    panel_user_id = None
    if action.kind == ActionKind.CREATE and remote is not None and "panel_user_id" in remote.details:
        panel_user_id = str(remote.details["panel_user_id"])
        if panel_user_id == known_account:
            panel_user_id = None  # remembered already
    result = actions.action_apply(action_id=action.pk, remote=remote, calls=log.calls, panel_user_id=panel_user_id)
    return str(result.status)


def _call(
    module: ProvisioningModule,
    action: ProvisioningAction,
    service: Service,
    server: ProvisionedServer,
    record: ServerRecord,
) -> RemoteServer | None:
    spec = service_spec(service)
    kind = ActionKind(action.kind)
    if kind == ActionKind.CREATE:
        if record.remote_id and server.state in (ServerState.INSTALLING, ServerState.AWAITING_STAFF):
            return module.status(spec, record)  # an installation under way: only look
        return module.create(spec, record, retry=action.attempt > 1 or action.reached_panel)
    if kind == ActionKind.SUSPEND:
        return module.suspend(spec, record)
    if kind == ActionKind.UNSUSPEND:
        return module.unsuspend(spec, record)
    if kind == ActionKind.CHANGE_PACKAGE:
        return module.change_package(spec, record)
    module.terminate(spec, record, force=action.force or action.attempt > 1)
    return None


def remote_status(service: Service) -> RemoteServer | None:
    """Ask the panel now (the portal's refresh, reconciliation); outside any transaction."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("remote_status must not run inside a transaction")
    server = ProvisionedServer.objects.select_related("connection").filter(service=service).first()
    if server is None or not server.remote_id:
        return None
    log = CallLog()
    try:
        remote = module_for(server, log=log).status(service_spec(service), server_record(server, service))
    except (RetryableError, TerminalError):
        return None
    actions.server_observe(service_id=service.pk, remote=remote)
    return remote
