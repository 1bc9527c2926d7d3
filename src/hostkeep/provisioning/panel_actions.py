"""Actions that ask a panel for something now, on behalf of a person: the log-in-to-panel
link, a new panel password, a connection test. They run outside any transaction (a remote
call never holds one open); what they learn is written afterwards, audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import Conflict, HostkeepError
from hostkeep.provisioning import actions, selectors
from hostkeep.provisioning.choices import ServerState
from hostkeep.provisioning.interface import CallLog, Capability
from hostkeep.provisioning.registry import module_class
from hostkeep.provisioning.runner import connection_for_module, module_for, server_record, service_spec
from hostkeep.services.choices import ServiceStatus

LIVE = (ServerState.READY, ServerState.SUSPENDED, ServerState.INSTALLING)


def _live_server(actor: Actor, service_id: object, permission: CustomerPermission):  # type: ignore[no-untyped-def]
    if actor.is_customer:
        service = selectors.service_for_customer(actor, service_id, permission)
    else:
        service = selectors.service_for_staff(actor, service_id)
    server = selectors.server_for_service(service)
    if server is None or server.state not in LIVE or not server.remote_id:
        raise Conflict(_("This service has no server on a panel yet."), code="no_server")
    if service.status not in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED):
        raise Conflict(_("This service is not running."), code="invalid_state")
    return service, server


def service_panel_link(*, actor: Actor, service_id: object) -> str:
    """Where the customer logs in to manage this server in the panel."""
    service, server = _live_server(actor, service_id, CustomerPermission.VIEW_SERVICES)
    module = module_for(server, log=CallLog())
    if Capability.SINGLE_SIGN_ON not in module.capabilities:
        raise Conflict(_("This service has no control panel to log in to."), code="not_supported")
    return module.single_sign_on(service_spec(service), server_record(server, service))


def service_panel_password_reset(*, actor: Actor, service_id: object) -> str:
    """A new password for the customer's panel user; returned once, never stored."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("a panel call must not run inside a transaction")
    service, server = _live_server(actor, service_id, CustomerPermission.MANAGE_SERVICES)
    log = CallLog()
    module = module_for(server, log=log)
    if Capability.PASSWORD_RESET not in module.capabilities:
        raise Conflict(_("The panel of this service has no password to reset."), code="not_supported")
    password = module.password_reset(service_spec(service), server_record(server, service))
    with transaction.atomic():
        audit_record(
            actor=actor.audit(),
            action="provisioning.password_reset",
            customer_id=service.customer_id,
            object_type="service",
            object_id=service.pk,
        )
    return password


def connection_test(*, actor: Actor, connection_id: object) -> tuple[bool, str]:
    """Ask the panel who it is with the stored credentials; the outcome is kept on the row."""
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    connection = selectors.connection_for_staff(actor, connection_id)
    implementation = module_class(connection.module)
    try:
        if Capability.TEST_CONNECTION not in implementation.capabilities:
            ok, message = True, _("This module has nothing to connect to.")
        else:
            message = implementation(connection_for_module(connection), CallLog()).test_connection()
            ok = True
    except HostkeepError as error:
        ok, message = False, error.message
    actions.connection_test_record(connection_id=connection.pk, ok=ok, message=message)
    return ok, message
