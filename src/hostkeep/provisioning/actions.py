"""Writes of provisioning: recording intents (actions), applying what a panel confirmed,
failing for good (service FAILED, a staff task, the customer told, the money kept as
balance), staff retry/refund/confirm, and panel connections.

Nothing here calls a panel: remote calls happen in ``runner.py`` between two of these
transactions (STYLE 11).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import Contact
from hostkeep.accounts.permissions import SYSTEM_ACTOR, Actor, StaffPermission
from hostkeep.accounts.selectors import get_scoped
from hostkeep.billing.actions import PlannedLine, invoice_create, manual_refund
from hostkeep.billing.choices import InvoiceKind, InvoiceStatus
from hostkeep.billing.models import Invoice, InvoiceLine
from hostkeep.core import clock
from hostkeep.core.actions import audit_record, outbox_emit
from hostkeep.core.errors import Conflict, PermissionRefused, ValidationFailed
from hostkeep.core.money import Money
from hostkeep.provisioning.choices import (
    OPEN_ACTION_STATUSES,
    UNFINISHED_ACTION_STATUSES,
    ActionKind,
    ActionStatus,
    ServerState,
    TaskKind,
    TaskStatus,
)
from hostkeep.provisioning.interface import CallRecord, RemoteServer, RemoteState
from hostkeep.provisioning.models import (
    ModuleConnection,
    PanelAccount,
    ProvisionedServer,
    ProvisioningAction,
    ProvisioningCall,
    ProvisioningTask,
)
from hostkeep.provisioning.registry import module_class
from hostkeep.services.actions import service_transition
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Order, Service

REMOTE_TO_SERVER_STATE = {
    RemoteState.INSTALLING: ServerState.INSTALLING,
    RemoteState.READY: ServerState.READY,
    RemoteState.SUSPENDED: ServerState.SUSPENDED,
    RemoteState.INSTALL_FAILED: ServerState.INSTALL_FAILED,
    RemoteState.AWAITING_STAFF: ServerState.AWAITING_STAFF,
    RemoteState.MISSING: ServerState.MISSING,
}


def setting(name: str, default: Any) -> Any:
    return getattr(settings, f"PROVISIONING_{name}", default)


# -- scheduling ---------------------------------------------------------------------------------


def _enqueue_after_commit(action_id: int, run_at: dt.datetime | None) -> None:
    def enqueue() -> None:
        from hostkeep.provisioning.tasks import provisioning_action_run

        task = provisioning_action_run
        if run_at is not None and run_at > clock.now() and task.get_backend().supports_defer:
            task = task.using(run_after=run_at)
        task.enqueue(action_id=action_id)

    transaction.on_commit(enqueue)


def _connection_for(
    service: Service, known: dict[tuple[str, str], ModuleConnection | None] | None = None
) -> ModuleConnection:
    """The panel connection a new service is created on (``known``: those already looked up
    for other services of the same batch)."""
    wanted = str((service.product.module_settings or {}).get("connection") or "")
    key = (service.product.module, wanted)
    if known is not None and key in known:
        connection = known[key]
    else:
        connections = ModuleConnection.objects.filter(module=service.product.module, is_active=True)
        if wanted:
            connections = connections.filter(name=wanted)
        connection = connections.order_by("pk").first()
        if known is not None:
            known[key] = connection
    if connection is None:
        raise Conflict(
            _("No panel connection is set up for the %(module)s module.") % {"module": service.product.module},
            code="no_connection",
        )
    return connection


@transaction.atomic(savepoint=False)
def action_request(
    *, service: Service, kind: str, key: str, actor_label: str = "system", force: bool = False
) -> ProvisioningAction | None:
    """Record that ``kind`` must be done on the panel for ``service`` and enqueue the job once
    (the unique ``key`` makes a repeated request a no-op). Products without a module, or
    services never provisioned, need no remote action: returns None."""
    if not service.product.module:
        return None
    if kind != ActionKind.CREATE and not ProvisionedServer.objects.filter(service=service).exists():
        return None
    now = clock.now()
    try:
        with transaction.atomic():
            action = ProvisioningAction.objects.create(
                service=service,
                kind=kind,
                key=key[:120],
                force=force,
                max_attempts=setting("MAX_ATTEMPTS", 6),
                actor_label=actor_label[:254],
                next_run_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None
    if kind != ActionKind.CREATE:
        # The newest wish wins: an older suspend/unsuspend/change not yet run is superseded.
        ProvisioningAction.objects.filter(service=service, status__in=OPEN_ACTION_STATUSES, pk__lt=action.pk).exclude(
            kind=ActionKind.CREATE
        ).update(status=ActionStatus.SUPERSEDED, finished_at=now)
    _enqueue_after_commit(action.pk, None)
    return action


def _start_create(
    service: Service,
    *,
    key: str,
    actor: Actor,
    reason: str,
    known: dict[tuple[str, str], ModuleConnection | None] | None = None,
) -> ProvisioningAction | None:
    connection = _connection_for(service, known)
    ProvisionedServer.objects.get_or_create(
        service=service,
        defaults={"connection": connection, "module": service.product.module, "created_at": clock.now()},
    )
    action = action_request(service=service, kind=ActionKind.CREATE, key=key, actor_label=actor.audit().label)
    if action is not None and service.status in (ServiceStatus.PENDING, ServiceStatus.FAILED):
        service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=actor, reason=reason)
    return action


@transaction.atomic
def provisioning_start_for_invoice(*, invoice_id: int) -> list[int]:
    """An invoice was paid: start creating every pending service it bills (orders waiting for
    staff approval wait for ``order.approved``). Returns the services started."""
    service_ids = list(
        InvoiceLine.objects.filter(
            invoice_id=invoice_id,
            invoice__kind=InvoiceKind.INVOICE,
            service__status=ServiceStatus.PENDING,
        )
        .exclude(service__product__module="")
        .values_list("service_id", flat=True)
        .distinct()
    )
    return provisioning_start(service_ids=service_ids)


@transaction.atomic
def provisioning_start_for_order(*, order_id: int) -> list[int]:
    """An order was placed or approved: start its pending services that owe nothing up front
    (pay-as-you-go, a free trial) or whose first invoice is paid."""
    order = Order.objects.get(pk=order_id)
    free = set(
        Service.objects.filter(order_line__order=order, order_line__first_amount__lte=0).values_list("pk", flat=True)
    )
    paid = set(
        InvoiceLine.objects.filter(
            service__order_line__order=order,
            invoice__kind=InvoiceKind.INVOICE,
            invoice__status=InvoiceStatus.PAID,
        ).values_list("service_id", flat=True)
    )
    return provisioning_start(service_ids=sorted(free | paid))


def provisioning_start(*, service_ids: list[int]) -> list[int]:
    """Start creating these services on their panels (each once)."""
    started = []
    known: dict[tuple[str, str], ModuleConnection | None] = {}
    services = (
        Service.objects.select_related("product", "order_line__order")
        .filter(pk__in=service_ids, status=ServiceStatus.PENDING)
        .exclude(product__module="")
        .order_by("pk")
    )
    for service in services:
        order_line = service.order_line
        if order_line is not None and order_line.order.status == "awaiting_approval":
            continue
        try:
            with transaction.atomic():
                action = _start_create(
                    service,
                    key=f"create:{service.pk}:1",
                    actor=SYSTEM_ACTOR,
                    reason=_("Paid; creating on the panel"),
                    known=known,
                )
        except Conflict as error:
            _fail_without_action(service, error.message)
            continue
        if action is not None:
            started.append(service.pk)
    return started


def _fail_without_action(service: Service, message: str) -> None:
    """A service that cannot even start (no connection): failed the same visible way."""
    with transaction.atomic():
        now = clock.now()
        action = ProvisioningAction.objects.create(
            service=service,
            kind=ActionKind.CREATE,
            key=f"create:{service.pk}:no-connection:{now.timestamp()}",
            status=ActionStatus.PENDING,
            created_at=now,
            last_error=message,
        )
        service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR, reason=_("Paid"))
        action_fail(action_id=action.pk, error=message)


# -- the job's own transactions -------------------------------------------------------------------


@transaction.atomic
def action_claim(*, action_id: int) -> ProvisioningAction | None:
    """Take an action for one run: None if it is finished, not due, superseded, or another
    action of the same service is running (it is then re-scheduled shortly). The action comes
    with its service, product and customer as they were read (the service unlocked)."""
    action = (
        ProvisioningAction.objects.select_for_update(of=("self",))
        .select_related("service__product", "service__customer")
        .filter(pk=action_id)
        .first()
    )
    if action is None or action.status not in OPEN_ACTION_STATUSES:
        return None
    now = clock.now()
    if action.next_run_at and action.next_run_at > now + dt.timedelta(seconds=1):
        return None  # an early duplicate job; the scheduled one will run it
    if (
        ProvisioningAction.objects.filter(service_id=action.service_id, status=ActionStatus.RUNNING)
        .exclude(pk=action.pk)
        .exists()
    ):
        action.next_run_at = now + dt.timedelta(seconds=2)
        action.save(update_fields=["next_run_at"])
        _enqueue_after_commit(action.pk, action.next_run_at)
        return None
    polling = action.status == ActionStatus.WAITING
    action.reached_panel = action.reached_panel or action.status == ActionStatus.UNKNOWN
    action.status = ActionStatus.RUNNING
    if not polling:
        action.attempt += 1
    action.started_at = action.started_at or now
    action.save(update_fields=["status", "attempt", "started_at", "reached_panel"])
    return action


def _log_calls(action: ProvisioningAction, calls: list[CallRecord]) -> None:
    now = clock.now()
    ProvisioningCall.objects.bulk_create(
        [
            ProvisioningCall(
                action=action,
                service_id=action.service_id,
                occurred_at=now,
                attempt=action.attempt,
                method=call.method[:10],
                path=call.path[:500],
                status_code=call.status,
                duration_ms=call.duration_ms,
                request=call.request,
                response=call.response[:4000],
                error=call.error[:2000],
            )
            for call in calls
        ]
    )


def _store_server(server: ProvisionedServer, remote: RemoteServer) -> None:
    server.remote_id = remote.remote_id or server.remote_id
    server.state = REMOTE_TO_SERVER_STATE[remote.state]
    server.address = remote.address or server.address
    server.panel_url = remote.panel_url or server.panel_url
    if remote.resources:
        server.resources = remote.resources
    server.details = {**server.details, **remote.details}
    server.checked_at = clock.now()
    server.save()


@transaction.atomic
def server_checkpoint(*, service_id: int, details: dict[str, Any]) -> None:
    """Save a module's memo at once (before a call whose effect must survive a crash)."""
    server = ProvisionedServer.objects.select_for_update().get(service_id=service_id)
    server.details = {**server.details, **details}
    server.save(update_fields=["details"])


@transaction.atomic
def panel_account_remember(*, connection_id: int, customer_id: int, remote_id: str) -> None:
    """The customer's user on this panel (found or created by a module), for the next service."""
    try:
        with transaction.atomic():
            PanelAccount.objects.create(
                connection_id=connection_id, customer_id=customer_id, remote_id=remote_id, created_at=clock.now()
            )
    except IntegrityError:  # known already (another service of the customer, or changed)
        PanelAccount.objects.filter(connection_id=connection_id, customer_id=customer_id).update(remote_id=remote_id)


@transaction.atomic
def action_apply(
    *, action_id: int, remote: RemoteServer | None, calls: list[CallRecord], panel_user_id: str | None = None
) -> ProvisioningAction:
    """Apply what the panel confirmed (and remember the customer's panel user it found or
    made). The service's state moves only here (and in failure)."""
    action = ProvisioningAction.objects.select_for_update(of=("self",)).select_related("service").get(pk=action_id)
    _log_calls(action, calls)
    server = ProvisionedServer.objects.select_for_update().get(service_id=action.service_id)
    if panel_user_id is not None:
        panel_account_remember(
            connection_id=server.connection_id, customer_id=action.service.customer_id, remote_id=panel_user_id
        )
    now = clock.now()
    if action.kind == ActionKind.TERMINATE:
        server.state = ServerState.DELETED
        server.checked_at = now
        server.save(update_fields=["state", "checked_at"])
        return _finish(action, ActionStatus.SUCCEEDED)
    if remote is None:
        raise ValueError("only a terminate has no remote result")
    _store_server(server, remote)
    if action.kind == ActionKind.CREATE:
        if remote.state == RemoteState.READY:
            _finish(action, ActionStatus.SUCCEEDED)
            service = Service.objects.select_for_update().get(pk=action.service_id)
            if service.status == ServiceStatus.PROVISIONING:
                service_transition(
                    service_id=service.pk,
                    to=ServiceStatus.ACTIVE,
                    actor=SYSTEM_ACTOR,
                    reason=_("Created on the panel: %(address)s") % {"address": server.address or server.remote_id},
                )
                outbox_emit(
                    topic="service.created",
                    payload={"service_id": service.pk, "address": server.address, "remote_id": server.remote_id},
                )
            return action
        if remote.state in (RemoteState.INSTALLING, RemoteState.AWAITING_STAFF):
            if action.deadline is None:
                action.deadline = now + dt.timedelta(seconds=setting("INSTALL_TIMEOUT_SECONDS", 1800))
            if remote.state == RemoteState.AWAITING_STAFF:
                _manual_task(action, server)
                action.status = ActionStatus.WAITING
                action.next_run_at = None
                action.save(update_fields=["status", "next_run_at", "deadline"])
                return action
            if now >= action.deadline:
                return action_fail(action_id=action.pk, error=_("The installation did not finish in time."))
            action.status = ActionStatus.WAITING
            action.next_run_at = now + dt.timedelta(seconds=setting("POLL_SECONDS", 5))
            action.save(update_fields=["status", "next_run_at", "deadline"])
            _enqueue_after_commit(action.pk, action.next_run_at)
            return action
        if remote.state == RemoteState.INSTALL_FAILED:
            return action_fail(action_id=action.pk, error=_("The panel reports that the installation failed."))
        return action_fail(action_id=action.pk, error=_("The panel lost the server while creating it."))
    if remote.state == RemoteState.AWAITING_STAFF:
        _manual_task(action, server, kind=TaskKind.MANUAL_CHANGE)
        server.state = ServerState.SUSPENDED if action.kind == ActionKind.SUSPEND else ServerState.READY
        server.save(update_fields=["state"])
    return _finish(action, ActionStatus.SUCCEEDED)


def _finish(action: ProvisioningAction, status: str, error: str = "") -> ProvisioningAction:
    action.status = status
    action.finished_at = clock.now()
    action.next_run_at = None
    action.last_error = error or action.last_error
    action.save(update_fields=["status", "finished_at", "next_run_at", "last_error"])
    return action


def _manual_task(action: ProvisioningAction, server: ProvisionedServer, *, kind: str = TaskKind.MANUAL_SETUP) -> None:
    service = action.service
    titles = {
        ActionKind.CREATE: _("Set up %(service)s by hand, then confirm it"),
        ActionKind.SUSPEND: _("Suspend %(service)s by hand"),
        ActionKind.UNSUSPEND: _("Unsuspend %(service)s by hand"),
        ActionKind.TERMINATE: _("Remove %(service)s by hand"),
        ActionKind.CHANGE_PACKAGE: _("Change the package of %(service)s by hand"),
    }
    task_create(
        service=service,
        action=action,
        kind=kind,
        title=titles[ActionKind(action.kind)] % {"service": f"{service} (#{service.pk})"},
        detail=str(server.details.get("instructions", "")),
    )


def task_create(
    *, service: Service, action: ProvisioningAction | None, kind: str, title: str, detail: str = ""
) -> ProvisioningTask | None:
    """Open a task for staff (once per action and kind) and tell the engineers."""
    try:
        with transaction.atomic():
            task = ProvisioningTask.objects.create(
                service=service, action=action, kind=kind, title=title[:300], detail=detail, created_at=clock.now()
            )
    except IntegrityError:
        return None
    outbox_emit(topic="provisioning.task_created", payload={"task_id": task.pk, "service_id": service.pk})
    return task


@transaction.atomic
def action_retry_later(
    *, action_id: int, error: str, calls: list[CallRecord], ambiguous: bool, retry_after: float | None
) -> ProvisioningAction:
    """A retryable failure: log it and schedule the next attempt with back-off, or give up."""
    from hostkeep.core.jobs import backoff_seconds

    action = ProvisioningAction.objects.select_for_update().get(pk=action_id)
    _log_calls(action, calls)
    action.last_error = error[:2000]
    if action.attempt >= action.max_attempts:
        return action_fail(action_id=action.pk, error=error)
    delay = (
        retry_after
        if retry_after is not None
        else backoff_seconds(
            action.attempt, base=setting("RETRY_BASE_SECONDS", 10), cap=setting("RETRY_CAP_SECONDS", 900)
        )
    )
    action.status = ActionStatus.UNKNOWN if (ambiguous or action.reached_panel) else ActionStatus.PENDING
    action.next_run_at = clock.now() + dt.timedelta(seconds=delay)
    action.save(update_fields=["status", "next_run_at", "last_error"])
    _enqueue_after_commit(action.pk, action.next_run_at)
    return action


@transaction.atomic
def action_fail(*, action_id: int, error: str, calls: list[CallRecord] | None = None) -> ProvisioningAction:
    """Give up for good: visible failure, a staff task, the customer told; for a create the
    service becomes FAILED and what was paid for it goes back to the balance."""
    action = (
        ProvisioningAction.objects.select_for_update(of=("self",)).select_related("service__product").get(pk=action_id)
    )
    if calls:
        _log_calls(action, calls)
    if action.status in (ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.SUPERSEDED):
        return action
    _finish(action, ActionStatus.FAILED, error[:2000])
    service = action.service
    if action.kind == ActionKind.CREATE:
        if service.status == ServiceStatus.PROVISIONING:
            service_transition(service_id=service.pk, to=ServiceStatus.FAILED, actor=SYSTEM_ACTOR, reason=error[:1000])
        note = _credit_paid_lines(service, action)
        if note is not None:
            action.credit_note = note
            action.save(update_fields=["credit_note"])
        outbox_emit(
            topic="provisioning.failed",
            payload={"service_id": service.pk, "action_id": action.pk, "credited": str(-note.total) if note else "0"},
        )
    task_create(
        service=service,
        action=action,
        kind=TaskKind.FAILED_ACTION,
        title=_("%(kind)s failed for %(service)s")
        % {"kind": ActionKind(action.kind).label, "service": f"{service} (#{service.pk})"},
        detail=error,
    )
    audit_record(
        actor=SYSTEM_ACTOR.audit(),
        action=f"provisioning.{action.kind}.failed",
        customer_id=service.customer_id,
        object_type="service",
        object_id=service.pk,
        detail={"action_id": action.pk, "error": error[:500]},
    )
    return action


def _credit_paid_lines(service: Service, action: ProvisioningAction) -> Invoice | None:
    """Put what the customer paid for this service's first period back on their balance: a
    credit note for the service's lines of its paid order invoice (other lines untouched)."""
    lines = list(
        InvoiceLine.objects.select_related("invoice__legal_entity")
        .filter(
            service=service,
            invoice__kind=InvoiceKind.INVOICE,
            invoice__status=InvoiceStatus.PAID,
            invoice__source_key__startswith="order:",
        )
        .order_by("pk")
    )
    if not lines:
        return None
    original = lines[0].invoice
    planned = [
        PlannedLine(
            kind=line.kind,
            description=_("Refund to balance: %(line)s (not provisioned)") % {"line": line.description},
            service_id=service.pk,
            amount=Money(-(line.gross if original.legal_entity.prices_include_tax else line.net), original.currency),
            tax_rate=line.tax_rate,
            quantity=line.quantity,
        )
        for line in lines
        if line.invoice_id == original.pk and line.gross > 0
    ]
    if not planned:
        return None
    return invoice_create(
        customer=service.customer,
        currency=original.currency,
        lines=planned,
        source_key=f"provisioning-failed:{service.pk}:{action.pk}",
        kind=InvoiceKind.CREDIT_NOTE,
        credit_note_for=original,
    )


@transaction.atomic
def action_supersede(*, action_id: int, reason: str) -> None:
    action = ProvisioningAction.objects.select_for_update().get(pk=action_id)
    _finish(action, ActionStatus.SUPERSEDED, reason)


@transaction.atomic
def server_observe(*, service_id: int, remote: RemoteServer) -> None:
    """Record what a panel reported outside an action (reconciliation, a page refresh)."""
    server = ProvisionedServer.objects.select_for_update().filter(service_id=service_id).first()
    if server is not None:
        _store_server(server, remote)


# -- staff ----------------------------------------------------------------------------------------


def _staff_service(actor: Actor, service_id: object) -> Service:
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    return get_scoped(Service.objects.select_related("product", "customer"), service_id)


@transaction.atomic
def service_provisioning_retry(*, actor: Actor, service_id: object) -> ProvisioningAction:
    """Staff try again: a failed creation starts over (charging again from the balance what
    the failure credited), a failed suspend/unsuspend/terminate/change runs again."""
    service = _staff_service(actor, service_id)
    service = Service.objects.select_for_update(of=("self",)).select_related("product", "customer").get(pk=service.pk)
    last = (
        ProvisioningAction.objects.select_for_update()
        .filter(service=service, status=ActionStatus.FAILED)
        .order_by("-pk")
        .first()
    )
    if last is None:
        raise Conflict(_("Nothing failed here to retry."), code="invalid_state")
    if ProvisioningAction.objects.filter(service=service, status__in=UNFINISHED_ACTION_STATUSES).exists():
        raise Conflict(_("An action is already under way for this service."), code="invalid_state")
    count = ProvisioningAction.objects.filter(service=service).count() + 1
    key = f"{last.kind}:{service.pk}:retry:{count}"
    if last.kind == ActionKind.CREATE:
        if service.status != ServiceStatus.FAILED:
            raise Conflict(_("Only a failed service can be created again."), code="invalid_state")
        if last.credit_note_id is not None:
            _charge_again(service, last)
        action = _start_create(service, key=key, actor=actor, reason=_("Retry by staff"))
    else:
        action = action_request(service=service, kind=last.kind, key=key, actor_label=actor.audit().label, force=True)
    if action is None:
        raise Conflict(_("The retry could not be started."), code="invalid_state")
    ProvisioningTask.objects.filter(service=service, status=TaskStatus.OPEN, kind=TaskKind.FAILED_ACTION).update(
        status=TaskStatus.DONE, resolved_at=clock.now(), resolved_by=actor.audit().label[:254]
    )
    audit_record(
        actor=actor.audit(),
        action="provisioning.retry",
        customer_id=service.customer_id,
        object_type="service",
        object_id=service.pk,
        detail={"kind": last.kind, "action_id": action.pk},
    )
    return action


def _charge_again(service: Service, failed: ProvisioningAction) -> None:
    note = failed.credit_note
    if note is None:
        return
    lines = [
        PlannedLine(
            kind=line.kind,
            description=_("Provisioning retried: %(line)s") % {"line": line.description},
            service_id=service.pk,
            amount=Money(-(line.gross if note.legal_entity.prices_include_tax else line.net), note.currency),
            tax_rate=line.tax_rate,
            quantity=line.quantity,
        )
        for line in note.lines.all()
    ]
    invoice_create(
        customer=service.customer, currency=note.currency, lines=lines, source_key=f"provisioning-retry:{failed.pk}"
    )


@transaction.atomic
def service_provisioning_refund(*, actor: Actor, service_id: object, reason: str) -> Service:
    """Staff give up on a failed service: it is cancelled, and what the failure credited to the
    balance is paid back out. Paying money out is billing's decision, so this needs the billing
    permission besides the provisioning one (an admin; an engineer retries, an accountant
    refunds from the customer's balance); without it nothing is touched."""
    if not actor.can(StaffPermission.MANAGE_BILLING):
        raise PermissionRefused(
            _("Refunding needs the billing permission as well; ask an accountant or an administrator.")
        )
    service = _staff_service(actor, service_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), fields={"reason": [_("Give a reason.")]})
    if service.status != ServiceStatus.FAILED:
        raise Conflict(_("Only a failed service can be refunded here."), code="invalid_state")
    credited = (
        ProvisioningAction.objects.filter(service=service, credit_note__isnull=False)
        .select_related("credit_note")
        .order_by("-pk")
        .first()
    )
    if credited is not None and credited.credit_note is not None:
        already_charged_again = Invoice.objects.filter(source_key=f"provisioning-retry:{credited.pk}").exists()
        amount = -credited.credit_note.total
        if not already_charged_again and amount > Decimal(0):
            manual_refund(
                actor=actor,
                customer_id=service.customer_id,
                amount=str(amount),
                reason=reason,
                key=f"provisioning-refund:{service.pk}",
            )
    service = service_transition(service_id=service.pk, to=ServiceStatus.CANCELLED, actor=actor, reason=reason)
    ProvisioningTask.objects.filter(service=service, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, resolved_at=clock.now(), resolved_by=actor.audit().label[:254]
    )
    return service


@transaction.atomic
def task_resolve(*, actor: Actor, task_id: object) -> ProvisioningTask:
    """Staff mark a task done. For a manual set-up this confirms the service: it becomes active."""
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    task = get_scoped(ProvisioningTask.objects.select_for_update(of=("self",)).select_related("action"), task_id)
    if task.status == TaskStatus.DONE:
        return task
    task.status = TaskStatus.DONE
    task.resolved_at = clock.now()
    task.resolved_by = actor.audit().label[:254]
    task.save(update_fields=["status", "resolved_at", "resolved_by"])
    action = task.action
    if task.kind == TaskKind.MANUAL_SETUP and action is not None and action.status == ActionStatus.WAITING:
        remote = RemoteServer(remote_id=f"manual-{task.service_id}", state=RemoteState.READY)
        action_apply(action_id=action.pk, remote=remote, calls=[])
    audit_record(
        actor=actor.audit(),
        action="provisioning.task_resolve",
        customer_id=task.service.customer_id,
        object_type="provisioning_task",
        object_id=task.pk,
    )
    return task


@transaction.atomic
def connection_save(
    *,
    actor: Actor,
    module: str,
    name: str,
    settings: dict[str, Any],
    secrets: dict[str, Any] | None = None,
    connection_id: object = None,
    timeout_seconds: float = 10.0,
) -> ModuleConnection:
    """Add or change a panel connection; secrets left empty keep their stored value."""
    import jsonschema

    actor.require(StaffPermission.MANAGE_PROVISIONING)
    implementation = module_class(module)
    validator = jsonschema.Draft202012Validator(implementation.connection_settings_schema)
    problems: dict[str, list[str]] = {}
    for error in validator.iter_errors(settings):
        problems.setdefault(".".join(str(p) for p in error.path) or "settings", []).append(error.message)
    if problems:
        raise ValidationFailed(_("The connection settings are not valid."), fields=problems)
    if connection_id:
        connection = get_scoped(ModuleConnection.objects.select_for_update(), connection_id)
    else:
        connection = ModuleConnection(module=module)
    connection.name = name.strip()[:120] or module
    connection.module = module
    connection.settings = settings
    connection.timeout_seconds = timeout_seconds
    connection.secrets = {**(connection.secrets or {}), **{k: v for k, v in (secrets or {}).items() if v}}
    missing = [field for field in implementation.sensitive_fields if not connection.secrets.get(field)]
    if missing:
        raise ValidationFailed(
            _("The connection needs its secrets."), fields={field: [_("Required.")] for field in missing}
        )
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        raise ValidationFailed(
            _("A connection with this name exists."), fields={"name": [_("Already used.")]}
        ) from None
    audit_record(
        actor=actor.audit(),
        action="provisioning.connection_save",
        object_type="module_connection",
        object_id=connection.pk,
        detail={"module": module, "name": connection.name},
    )
    return connection


@transaction.atomic
def connection_test_record(*, connection_id: int, ok: bool, message: str) -> None:
    ModuleConnection.objects.filter(pk=connection_id).update(
        last_test_at=clock.now(), last_test_ok=ok, last_test_message=message[:2000]
    )


def owner_contact(service: Service) -> Contact | None:
    return (
        Contact.objects.select_related("user")
        .filter(customer_id=service.customer_id, role=ContactRole.OWNER)
        .order_by("pk")
        .first()
    )
