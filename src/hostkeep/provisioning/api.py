"""Provisioning endpoints: the caller's server, panel link and panel password (customer
router); panel connections and their test, a service's action log, retry and refund, and
reconciliation drift (staff router). Permissions are checked by the actions and selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from hostkeep.accounts.permissions import Actor, CustomerPermission
from hostkeep.provisioning import actions, panel_actions, selectors
from hostkeep.provisioning.schemas import (
    ActionOut,
    ConnectionOut,
    ConnectionTestOut,
    DriftOut,
    LinkOut,
    PasswordOut,
    ReasonIn,
    ServerOut,
)

customer_router = Router()
staff_router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined, no-any-return]


@customer_router.get("/services/{service_id}/server", response={200: ServerOut, 204: None})
def service_server(request: HttpRequest, service_id: int) -> Any:
    server = selectors.server_for_customer(_actor(request), service_id)
    return Status(200, server) if server is not None else Status(204, None)


@customer_router.post("/services/{service_id}/panel-link", response=LinkOut)
def service_panel_link(request: HttpRequest, service_id: int) -> Any:
    return {"url": panel_actions.service_panel_link(actor=_actor(request), service_id=service_id)}


@customer_router.post("/services/{service_id}/panel-password", response=PasswordOut)
def service_panel_password(request: HttpRequest, service_id: int) -> Any:
    _actor(request).require_customer(CustomerPermission.MANAGE_SERVICES)
    return {"password": panel_actions.service_panel_password_reset(actor=_actor(request), service_id=service_id)}


@staff_router.get("/connections", response=list[ConnectionOut])
def connections(request: HttpRequest) -> Any:
    return selectors.connections_for_staff(_actor(request))


@staff_router.post("/connections/{connection_id}/test", response=ConnectionTestOut)
def connection_test(request: HttpRequest, connection_id: int) -> Any:
    ok, message = panel_actions.connection_test(actor=_actor(request), connection_id=connection_id)
    return {"ok": ok, "message": message}


@staff_router.get("/services/{service_id}/actions", response=list[ActionOut])
def service_actions(request: HttpRequest, service_id: int) -> Any:
    actor = _actor(request)
    return selectors.actions_for_service_staff(actor, selectors.service_for_staff(actor, service_id))


@staff_router.post("/services/{service_id}/retry", response={202: ActionOut})
def service_retry(request: HttpRequest, service_id: int) -> Any:
    return Status(202, actions.service_provisioning_retry(actor=_actor(request), service_id=service_id))


@staff_router.post("/services/{service_id}/refund", response={200: None})
def service_refund(request: HttpRequest, service_id: int, payload: ReasonIn) -> Any:
    actions.service_provisioning_refund(actor=_actor(request), service_id=service_id, reason=payload.reason)
    return Status(200, None)


@staff_router.get("/drift", response=list[DriftOut])
def drift(request: HttpRequest) -> Any:
    return selectors.drift_for_staff(_actor(request))
