"""Endpoints for accounts: the caller's own account (customer-scoped) and staff views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from hostkeep.accounts import actions, selectors
from hostkeep.accounts.schemas import (
    AuditOut,
    ContactIn,
    ContactOut,
    ContactRoleIn,
    CustomerOut,
    LegalEntityIn,
    LegalEntityOut,
    MeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)

customer_router = Router()
staff_router = Router()


@customer_router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    actor = request.auth  # type: ignore[attr-defined]
    return {
        "email": actor.user.email,
        "full_name": actor.user.full_name,
        "language": actor.user.language,
        "kind": actor.kind,
        "customer_id": actor.customer.pk if actor.customer else None,
        "customer_name": actor.customer.name if actor.customer else None,
        "contact_role": actor.contact_role,
        "staff_role": actor.staff_role,
    }


@customer_router.get("/contacts", response=list[ContactOut])
def contacts(request: HttpRequest) -> Any:
    return selectors.contacts_for_customer(request.auth)  # type: ignore[attr-defined]


@customer_router.post("/contacts", response={201: ContactOut})
def contact_add(request: HttpRequest, payload: ContactIn) -> Any:
    return Status(201, actions.contact_add(actor=request.auth, **payload.dict()))  # type: ignore[attr-defined]


@customer_router.patch("/contacts/{contact_id}", response=ContactOut)
def contact_change_role(request: HttpRequest, contact_id: int, payload: ContactRoleIn) -> Any:
    return actions.contact_change_role(actor=request.auth, contact_id=contact_id, role=payload.role)  # type: ignore[attr-defined]


@customer_router.delete("/contacts/{contact_id}", response={204: None})
def contact_remove(request: HttpRequest, contact_id: int) -> Any:
    actions.contact_remove(actor=request.auth, contact_id=contact_id)  # type: ignore[attr-defined]
    return Status(204, None)


@customer_router.get("/legal-entities", response=list[LegalEntityOut])
def legal_entities(request: HttpRequest) -> Any:
    return selectors.legal_entities_for_customer(request.auth)  # type: ignore[attr-defined]


@customer_router.post("/legal-entities", response={201: LegalEntityOut})
def legal_entity_create(request: HttpRequest, payload: LegalEntityIn) -> Any:
    return Status(201, actions.legal_entity_save(actor=request.auth, values=payload.dict()))  # type: ignore[attr-defined]


@customer_router.put("/legal-entities/{entity_id}", response=LegalEntityOut)
def legal_entity_update(request: HttpRequest, entity_id: int, payload: LegalEntityIn) -> Any:
    return actions.legal_entity_save(actor=request.auth, entity_id=entity_id, values=payload.dict())  # type: ignore[attr-defined]


@customer_router.delete("/legal-entities/{entity_id}", response={204: None})
def legal_entity_delete(request: HttpRequest, entity_id: int) -> Any:
    actions.legal_entity_delete(actor=request.auth, entity_id=entity_id)  # type: ignore[attr-defined]
    return Status(204, None)


@customer_router.get("/tokens", response=list[TokenOut])
def tokens(request: HttpRequest) -> Any:
    return selectors.tokens_for_actor(request.auth)  # type: ignore[attr-defined]


@customer_router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    token, plain = actions.api_token_create(actor=request.auth, name=payload.name, expires_at=payload.expires_at)  # type: ignore[attr-defined]
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": plain})


@customer_router.delete("/tokens/{token_id}", response={204: None})
def token_revoke(request: HttpRequest, token_id: int) -> Any:
    actions.api_token_revoke(actor=request.auth, token_id=token_id)  # type: ignore[attr-defined]
    return Status(204, None)


@customer_router.get("/audit", response=list[AuditOut])
@paginate(LimitOffsetPagination)
def audit(request: HttpRequest) -> Any:
    return selectors.audit_for_customer(request.auth)  # type: ignore[attr-defined]


@staff_router.get("/customers", response=list[CustomerOut])
@paginate(LimitOffsetPagination)
def staff_customers(request: HttpRequest, search: str = "") -> Any:
    return selectors.customers_for_staff(request.auth, search=search)  # type: ignore[attr-defined]


@staff_router.get("/customers/{customer_id}", response=CustomerOut)
def staff_customer(request: HttpRequest, customer_id: int) -> Any:
    return selectors.customer_for_staff(request.auth, customer_id)  # type: ignore[attr-defined]


@staff_router.get("/audit", response=list[AuditOut])
@paginate(LimitOffsetPagination)
def staff_audit(request: HttpRequest, customer_id: int | None = None) -> Any:
    return selectors.audit_for_staff(request.auth, customer_id=customer_id)  # type: ignore[attr-defined]
