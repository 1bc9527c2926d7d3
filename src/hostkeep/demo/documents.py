# ruff: noqa: RUF001 - Russian document wording
"""Demo data for documents (seeded by ``seed_demo``; every step finds what an earlier run made):
the demo provider's logo, stamp and signature drawn with Pillow, its signer and Russian
details, and the demo customer's documents in English and Russian: the contract (offer
accepted at its first order), an invoice PDF and last month's act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction

from hostkeep.accounts.models import Contact, ProviderLegalEntity
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.billing.models import Invoice
from hostkeep.core import clock
from hostkeep.documents import actions
from hostkeep.documents.models import ContractAcceptance, Document
from hostkeep.documents.placeholders import draw_logo, draw_signature, draw_stamp


@transaction.atomic
def _provider_documents_settings() -> ProviderLegalEntity | None:
    entity = ProviderLegalEntity.objects.filter(short_code="tvp").first()
    if entity is None:
        return None
    if not entity.stamp:
        entity.stamp.save("tvp-stamp.png", ContentFile(draw_stamp(entity.name, entity.short_code)), save=False)
        entity.signature.save("tvp-signature.png", ContentFile(draw_signature()), save=False)
        entity.logo.save("tvp-logo.png", ContentFile(draw_logo("Villager People")), save=False)
        entity.name_ru = "ООО «Вилладжер Пипл» (The Villager People (Pty) Ltd)"
        entity.address_ru = "ЮАР, 8001, Кейптаун, Лун-стрит, 1"
        entity.bank_details_ru = "Банк FNB, счёт 62000000001, код отделения 250655"
        entity.signer_name = "Anele Dlamini"
        entity.signer_position = "Director"
        entity.signer_name_ru = "Анеле Дламини"
        entity.signer_position_ru = "Директор"
        entity.save()
    return entity


def _both_languages(document: Document | None) -> None:
    if document is None:
        return
    for language in ("en", "ru"):
        actions.document_translate(actor=SYSTEM_ACTOR, document_id=document.pk, language=language)


def seed() -> None:
    """Documents of Thabo Mokoena (the demo customer): contract, invoice and act, en + ru."""
    if _provider_documents_settings() is None:
        return
    contact = Contact.objects.filter(user__email="thabo@example.co.za").select_related("user", "customer").first()
    if contact is None:
        return
    customer = contact.customer
    if not ContractAcceptance.objects.filter(customer=customer).exists():
        acceptance = actions.offer_accept(actor=actor_for_user(contact.user, ip_address="127.0.0.1"))
        _both_languages(acceptance.document)
    else:
        _both_languages(ContractAcceptance.objects.filter(customer=customer).first().document)  # type: ignore[union-attr]
    invoice = Invoice.objects.filter(customer=customer, number__isnull=False).order_by("issued_at", "id").first()
    if invoice is None:
        invoice = _demo_invoice(customer.pk)
    if invoice is not None:
        for language in ("en", "ru"):
            actions.invoice_document_issue(invoice_id=invoice.pk, language=language)
        local = invoice.issued_at.astimezone(clock.provider_zone()) if invoice.issued_at else clock.local_now()
        act = actions.act_issue(
            customer_id=customer.pk, legal_entity_id=invoice.legal_entity_id, year=local.year, month=local.month
        )
        _both_languages(act)


def _demo_invoice(customer_id: int) -> Invoice | None:
    """One paid invoice for the demo customer, if the demo made none yet: a month of its
    server, charged from the balance topped up by the main seed."""
    from decimal import Decimal

    from hostkeep.accounts.models import Customer
    from hostkeep.billing.actions import PlannedLine, invoice_create
    from hostkeep.billing.choices import LineKind
    from hostkeep.catalog.models import TaxClass
    from hostkeep.core.money import Money

    customer = Customer.objects.get(pk=customer_id)
    tax_class = TaxClass.objects.filter(code="za-vat").first()
    start = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return invoice_create(
        customer=customer,
        currency=customer.currency,
        source_key=f"demo-documents:{customer_id}",
        lines=[
            PlannedLine(
                kind=LineKind.SERVICE_PERIOD,
                description="Minecraft server, Iron plan (4 GB RAM, 20 player slots)",
                amount=Money(Decimal("229.00"), customer.currency),
                tax_class_id=tax_class.pk if tax_class else None,
                period_start=start,
                period_end=start + dt.timedelta(days=30),
            ),
            PlannedLine(
                kind=LineKind.ADDON,
                description="Daily backups",
                amount=Money(Decimal("35.00"), customer.currency),
                tax_class_id=tax_class.pk if tax_class else None,
            ),
        ],
    )


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Documents talk to no outside system; nothing to start."""
    del site_url
    return []
