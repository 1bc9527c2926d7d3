"""Reads of documents. A customer sees only their own account's documents and only with the
billing permission (billing contacts and owners); staff with the billing permission see all.
Someone else's id is simply not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.billing.models import BillingProfile
from hostkeep.core.errors import NotFound
from hostkeep.documents import storage
from hostkeep.documents.models import ContractAcceptance, Document


def documents_for_customer(actor: Actor, *, kind: str = "") -> QuerySet[Document]:
    queryset = customer_scope(Document.objects.all(), actor, CustomerPermission.VIEW_BILLING).select_related(
        "legal_entity"
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-issued_at", "-id")


def document_for_customer(actor: Actor, document_id: object) -> Document:
    return get_scoped(documents_for_customer(actor), document_id)


def documents_for_staff(
    actor: Actor, *, kind: str = "", customer_id: int | None = None, search: str = ""
) -> QuerySet[Document]:
    actor.require(StaffPermission.VIEW_BILLING)
    queryset = Document.objects.select_related("customer", "legal_entity")
    if kind:
        queryset = queryset.filter(kind=kind)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if search:
        queryset = queryset.filter(number__icontains=search)
    return queryset.order_by("-issued_at", "-id")


def document_for_staff(actor: Actor, document_id: object) -> Document:
    return get_scoped(documents_for_staff(actor), document_id)


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content: bytes


def document_file(document: Document) -> DocumentFile:
    """The stored PDF of a document, checked against its checksum (a damaged file is not
    served; staff can restore it by regenerating)."""
    try:
        content = storage.pdf_read(document.storage_path)
    except FileNotFoundError:
        raise NotFound(_("The PDF of this document is missing; staff can regenerate it.")) from None
    if storage.sha256(content) != document.checksum:
        raise NotFound(_("The PDF of this document is damaged; staff can regenerate it."))
    return DocumentFile(filename=document.filename, content=content)


def offer_entity(customer: Customer) -> ProviderLegalEntity | None:
    """The legal entity whose offer a customer accepts: the one serving it (its billing
    profile's, else the default); ``None`` before the provider has set one up. Reads only."""
    profile = BillingProfile.objects.filter(customer=customer).select_related("legal_entity").first()
    if profile is not None and profile.legal_entity is not None:
        return profile.legal_entity
    return ProviderLegalEntity.objects.order_by("-is_default", "pk").first()


def offer_pending(customer: Customer) -> bool:
    """Whether the account must still accept the current offer before ordering."""
    entity = offer_entity(customer)
    if entity is None:
        return False
    return not ContractAcceptance.objects.filter(
        customer=customer, legal_entity=entity, offer_version=entity.offer_version
    ).exists()


def offer_accepted(actor: Actor) -> bool:
    """Whether the acting account has accepted the current offer of the entity serving it."""
    return not offer_pending(actor.require_customer(CustomerPermission.VIEW_ACCOUNT))


def offer_acceptances_for_staff(actor: Actor) -> QuerySet[ContractAcceptance]:
    actor.require(StaffPermission.VIEW_BILLING)
    return ContractAcceptance.objects.select_related("customer", "document").order_by("-accepted_at", "-id")


def provider_entities_for_staff(actor: Actor) -> QuerySet[ProviderLegalEntity]:
    actor.require(StaffPermission.MANAGE_BILLING)
    return ProviderLegalEntity.objects.order_by("-is_default", "name")


def period_of(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}..{end.isoformat()}"
