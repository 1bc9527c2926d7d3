"""Writes of documents: issuing PDFs (invoice, credit note, act, contract, statement),
translating an issued document, regenerating one from its snapshot, and recording the
customer's acceptance of the offer.

Every issue renders the PDF from a snapshot, stores it under its checksum and inserts the
Document row in one go: the row is append-only in the database, so a document is complete
from its first moment and never edited afterwards (a change is a new document). Numbers
come from ``core.actions.sequence_next`` inside the issuing transaction, so they are gapless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.billing.actions import billing_profile, default_legal_entity
from hostkeep.billing.choices import InvoiceKind, InvoiceStatus
from hostkeep.billing.models import Invoice
from hostkeep.core import clock
from hostkeep.core.actions import SYSTEM, AuditActor, audit_record, outbox_emit, sequence_next, sequence_reserve
from hostkeep.core.errors import Conflict, NotFound, ValidationFailed
from hostkeep.documents import snapshots, storage
from hostkeep.documents.choices import DOCUMENT_LANGUAGES, NUMBER_PREFIXES, DocumentKind
from hostkeep.documents.models import ContractAcceptance, Document
from hostkeep.documents.rendering import render_pdf
from hostkeep.documents.selectors import offer_entity, offer_pending
from hostkeep.services import actions as service_actions
from hostkeep.services.models import Order

ISSUED_TOPIC = "document.issued"


def document_language(language: str) -> str:
    """The language a customer's documents are issued in: theirs when a template exists."""
    return language if language in DOCUMENT_LANGUAGES else "en"


def document_number(entity: ProviderLegalEntity, kind: str, year: int, value: int) -> str:
    return f"{entity.short_code.upper()}-{NUMBER_PREFIXES[kind]}-{year}-{value:06d}"


def _next_number(entity: ProviderLegalEntity, kind: str, at: dt.datetime) -> str:
    year = at.astimezone(clock.provider_zone()).year
    return document_number(entity, kind, year, sequence_next(scope=f"document:{kind}:{entity.pk}:{year}"))


def _prepared(snapshot: dict[str, Any], **fields: Any) -> Document:
    """Render and store the PDF, and build (not save) its row."""
    pdf = render_pdf(snapshot)
    checksum = storage.sha256(pdf)
    at = dt.datetime.fromisoformat(snapshot["issued_at"].replace("Z", "+00:00"))
    path = storage.pdf_path(
        entity_code=snapshot["provider"]["code"],
        year=at.year,
        kind=snapshot["kind"],
        number=snapshot["number"],
        language=snapshot["language"],
        checksum=checksum,
    )
    storage.pdf_write(path, pdf)
    return Document(
        kind=snapshot["kind"],
        number=snapshot["number"],
        language=snapshot["language"],
        currency=snapshot.get("currency", ""),
        total=Decimal(snapshot.get("total") or 0),
        snapshot=snapshot,
        checksum=checksum,
        storage_path=path,
        issued_at=at,
        **fields,
    )


def _announce(document: Document, *, actor: AuditActor, action: str = "document.issue") -> None:
    audit_record(
        actor=actor,
        action=action,
        customer_id=document.customer_id,
        object_type="document",
        object_id=document.pk,
        detail={"kind": document.kind, "number": document.number, "language": document.language},
    )
    outbox_emit(topic=ISSUED_TOPIC, payload={"document_id": document.pk, "customer_id": document.customer_id})


# --- invoices and credit notes ---------------------------------------------------------------


@transaction.atomic
def invoice_document_issue(*, invoice_id: int, language: str = "", actor: AuditActor = SYSTEM) -> Document:
    """The PDF of an issued invoice or credit note, under billing's number; once per language
    (a second call returns the first document)."""
    invoice = (
        Invoice.objects.select_related("legal_entity", "customer", "credit_note_for")
        .prefetch_related("lines")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None or invoice.status == InvoiceStatus.DRAFT or not invoice.number:
        raise NotFound(_("Invoice not found."))
    language = document_language(language or invoice.customer.language)
    existing = Document.objects.filter(invoice=invoice, language=language).first()
    if existing is not None:
        return existing
    kind = DocumentKind.CREDIT_NOTE if invoice.kind == InvoiceKind.CREDIT_NOTE else DocumentKind.INVOICE
    at = invoice.issued_at or clock.now()
    snapshot = snapshots.base(
        kind=kind,
        number=invoice.number,
        language=language,
        at=at,
        provider=snapshots.provider_part(invoice.legal_entity),
        customer=snapshots.customer_part(invoice.customer, name=invoice.customer_name, tax_id=invoice.customer_tax_id),
    )
    snapshot.update(snapshots.invoice_part(invoice))
    document = _prepared(snapshot, legal_entity=invoice.legal_entity, customer=invoice.customer, invoice=invoice)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        return Document.objects.get(invoice=invoice, language=language)
    _announce(document, actor=actor)
    return document


# --- acts ------------------------------------------------------------------------------------


def _act_snapshot(
    *,
    entity: ProviderLegalEntity,
    provider: dict[str, Any],
    customer: Customer,
    number: str,
    language: str,
    at: dt.datetime,
    year: int,
    month: int,
    invoices: list[Invoice],
) -> dict[str, Any]:
    start, end = snapshots.month_bounds(year, month)
    snapshot = snapshots.base(
        kind=DocumentKind.ACT,
        number=number,
        language=language,
        at=at,
        provider=provider,
        customer=snapshots.customer_part(customer),
    )
    snapshot.update(snapshots.act_part(invoices, currency=invoices[0].currency))
    snapshot["period_start"] = start.date().isoformat()
    snapshot["period_end"] = (end - dt.timedelta(days=1)).date().isoformat()
    return snapshot


@transaction.atomic
def act_issue(
    *,
    customer_id: int,
    legal_entity_id: int,
    year: int,
    month: int,
    language: str = "",
    replaces_id: int | None = None,
    at: dt.datetime | None = None,
    actor: AuditActor = SYSTEM,
) -> Document | None:
    """The act for one customer, legal entity and month: every line of that month's issued
    invoices and credit notes. ``None`` when nothing was rendered. Issuing it again returns the
    act already issued; a correction (``replaces_id``) is a new act with a new number."""
    at = at or clock.now()
    customer = Customer.objects.get(pk=customer_id)
    entity = ProviderLegalEntity.objects.get(pk=legal_entity_id)
    language = document_language(language or customer.language)
    start, end = snapshots.month_bounds(year, month)
    if replaces_id is None:
        existing = Document.objects.filter(
            kind=DocumentKind.ACT,
            customer=customer,
            legal_entity=entity,
            period_start=start.date(),
            language=language,
            replaces__isnull=True,
        ).first()
        if existing is not None:
            return existing
    replaces = None
    if replaces_id is not None:
        replaces = Document.objects.filter(pk=replaces_id, kind=DocumentKind.ACT, customer=customer).first()
        if replaces is None:
            raise NotFound(_("Document not found."))
    invoices = snapshots.invoices_for_act(customer.pk, entity.pk, start, end)
    if not invoices:
        return None
    snapshot = _act_snapshot(
        entity=entity,
        provider=snapshots.provider_part(entity),
        customer=customer,
        number=_next_number(entity, DocumentKind.ACT, at),
        language=language,
        at=at,
        year=year,
        month=month,
        invoices=invoices,
    )
    if replaces is not None:
        snapshot["replaces"] = replaces.number
    document = _prepared(
        snapshot,
        legal_entity=entity,
        customer=customer,
        replaces=replaces,
        period_start=start.date(),
        period_end=(end - dt.timedelta(days=1)).date(),
    )
    document.save()
    _announce(document, actor=actor)
    return document


@dataclass(frozen=True)
class ActBatch:
    issued: int
    skipped: int


def acts_issue_month(*, year: int, month: int, at: dt.datetime | None = None, chunk: int = 100) -> ActBatch:
    """Issue the month's acts for every customer and legal entity with invoices that month
    that has no act yet. One transaction per chunk of acts: numbers for the chunk are reserved
    at once (one lock per legal entity), snapshots built from prefetched invoices, the rows
    inserted in bulk. Safe to run twice: already-acted customers are skipped, and the
    database's unique act per month backs that up."""
    at = at or clock.now()
    start, end = snapshots.month_bounds(year, month)
    pairs = list(
        Invoice.objects.filter(status__in=snapshots.ACTED_STATUSES, issued_at__gte=start, issued_at__lt=end)
        .values_list("customer_id", "legal_entity_id")
        .distinct()
        .order_by("legal_entity_id", "customer_id")
    )
    done = set(
        Document.objects.filter(kind=DocumentKind.ACT, period_start=start.date(), replaces__isnull=True).values_list(
            "customer_id", "legal_entity_id"
        )
    )
    todo = [pair for pair in pairs if pair not in done]
    issued = 0
    for first in range(0, len(todo), chunk):
        issued += _acts_issue_chunk(todo[first : first + chunk], year=year, month=month, at=at)
    return ActBatch(issued=issued, skipped=len(pairs) - len(todo))


@transaction.atomic
def _acts_issue_chunk(pairs: list[tuple[int, int]], *, year: int, month: int, at: dt.datetime) -> int:
    start, end = snapshots.month_bounds(year, month)
    customers = Customer.objects.in_bulk([customer_id for customer_id, _entity in pairs])
    entities = ProviderLegalEntity.objects.in_bulk({entity_id for _customer, entity_id in pairs})
    providers = {pk: snapshots.provider_part(entity) for pk, entity in entities.items()}
    invoices_by_pair: dict[tuple[int, int], list[Invoice]] = {}
    for invoice in (
        Invoice.objects.filter(
            customer_id__in=customers,
            status__in=snapshots.ACTED_STATUSES,
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .prefetch_related("lines")
        .order_by("issued_at", "id")
    ):
        invoices_by_pair.setdefault((invoice.customer_id, invoice.legal_entity_id), []).append(invoice)
    wanted = [pair for pair in pairs if invoices_by_pair.get(pair)]
    numbers: dict[int, int] = {}
    for entity_id in sorted({entity_id for _customer, entity_id in wanted}):
        count = sum(1 for _customer, pair_entity in wanted if pair_entity == entity_id)
        scope = f"document:{DocumentKind.ACT}:{entity_id}:{at.astimezone(clock.provider_zone()).year}"
        numbers[entity_id] = sequence_reserve(scope=scope, count=count)
    year_issued = at.astimezone(clock.provider_zone()).year
    rows = []
    for customer_id, entity_id in wanted:
        customer, entity = customers[customer_id], entities[entity_id]
        number = document_number(entity, DocumentKind.ACT, year_issued, numbers[entity_id])
        numbers[entity_id] += 1
        snapshot = _act_snapshot(
            entity=entity,
            provider=providers[entity_id],
            customer=customer,
            number=number,
            language=document_language(customer.language),
            at=at,
            year=year,
            month=month,
            invoices=invoices_by_pair[(customer_id, entity_id)],
        )
        rows.append(
            _prepared(
                snapshot,
                legal_entity=entity,
                customer=customer,
                period_start=start.date(),
                period_end=(end - dt.timedelta(days=1)).date(),
            )
        )
    Document.objects.bulk_create(rows)
    for document in rows:
        outbox_emit(topic=ISSUED_TOPIC, payload={"document_id": document.pk, "customer_id": document.customer_id})
    audit_record(
        actor=SYSTEM,
        action="document.acts_issue",
        object_type="document",
        detail={"period": start.date().isoformat(), "count": len(rows)},
    )
    return len(rows)


# --- statement of account ----------------------------------------------------------------------


@transaction.atomic
def statement_issue(
    *, actor: Actor, customer_id: object = None, start: dt.date, end: dt.date, language: str = ""
) -> Document:
    """A statement of account (reconciliation act) for [start, end], asked for by the customer
    (their own account) or by staff (any customer)."""
    if actor.is_customer and customer_id is None:
        customer = actor.require_customer(CustomerPermission.VIEW_BILLING)
    else:
        actor.require(StaffPermission.MANAGE_BILLING)
        found = Customer.objects.filter(pk=int(str(customer_id))).first() if str(customer_id).isdigit() else None
        if found is None:
            raise NotFound(_("Customer not found."))
        customer = found
    if end < start:
        raise ValidationFailed(_("The period ends before it starts."), fields={"end": [_("Before the start.")]})
    if end >= clock.today() + dt.timedelta(days=1):
        raise ValidationFailed(_("The period cannot end in the future."), fields={"end": [_("In the future.")]})
    entity = billing_profile(customer).legal_entity or default_legal_entity()
    at = clock.now()
    snapshot = snapshots.base(
        kind=DocumentKind.STATEMENT,
        number=_next_number(entity, DocumentKind.STATEMENT, at),
        language=document_language(language or customer.language),
        at=at,
        provider=snapshots.provider_part(entity),
        customer=snapshots.customer_part(customer),
    )
    snapshot.update(snapshots.statement_part(customer, currency=customer.currency, start=start, end=end))
    document = _prepared(snapshot, legal_entity=entity, customer=customer, period_start=start, period_end=end)
    document.save()
    _announce(document, actor=actor.audit())
    return document


# --- the offer (contract) ------------------------------------------------------------------------


@transaction.atomic
def offer_accept(*, actor: Actor, at: dt.datetime | None = None) -> ContractAcceptance:
    """Record that the acting contact accepts the current offer of the entity serving the
    account (who, when, IP, the version) and issue the contract PDF for it. Accepting the
    same version again returns the first acceptance."""
    customer = actor.require_customer(CustomerPermission.ORDER)
    entity = offer_entity(customer)
    if entity is None:
        raise Conflict(_("Set up the provider's legal entity before billing."), code="no_legal_entity")
    existing = ContractAcceptance.objects.filter(
        customer=customer, legal_entity=entity, offer_version=entity.offer_version
    ).first()
    if existing is not None:
        return existing
    at = at or clock.now()
    audit = actor.audit()
    snapshot = snapshots.base(
        kind=DocumentKind.CONTRACT,
        number=_next_number(entity, DocumentKind.CONTRACT, at),
        language=document_language(customer.language),
        at=at,
        provider=snapshots.provider_part(entity),
        customer=snapshots.customer_part(customer),
    )
    snapshot["offer_version"] = entity.offer_version
    snapshot["accepted_by"] = audit.label
    snapshot["ip_address"] = audit.ip_address or ""
    document = _prepared(snapshot, legal_entity=entity, customer=customer)
    document.save()
    acceptance = ContractAcceptance.objects.create(
        customer=customer,
        legal_entity=entity,
        offer_version=entity.offer_version,
        user_id=audit.user_id,
        user_label=audit.label,
        ip_address=audit.ip_address,
        accepted_at=at,
        document=document,
    )
    _announce(document, actor=audit, action="document.offer_accept")
    return acceptance


@transaction.atomic
def checkout_with_offer(*, actor: Actor, accept_offer: bool, promo_code: str = "", idempotency_key: str = "") -> Order:
    """Checkout in the portal: the first order needs the current offer accepted, and the
    acceptance is recorded in the same transaction as the order it came with."""
    customer = actor.require_customer(CustomerPermission.ORDER)
    accepted = not offer_pending(customer)
    if not accepted and not accept_offer:
        message = _("Please accept the offer (contract) to place the order.")
        raise ValidationFailed(message, fields={"accept_offer": [message]})
    order = service_actions.checkout(actor=actor, promo_code=promo_code, idempotency_key=idempotency_key)
    if not accepted:
        offer_accept(actor=actor)
    return order


def _document(document_id: object) -> Document | None:
    return Document.objects.filter(pk=int(str(document_id))).first() if str(document_id).isdigit() else None


# --- translating and regenerating --------------------------------------------------------------


@transaction.atomic
def document_translate(*, actor: Actor, document_id: object, language: str) -> Document:
    """The same document (number, figures, date) in another language: a new row and PDF."""
    actor.require(StaffPermission.MANAGE_BILLING)
    if language not in DOCUMENT_LANGUAGES:
        raise ValidationFailed(_("Documents are drawn in English and Russian only."))
    original = _document(document_id)
    if original is None:
        raise NotFound(_("Document not found."))
    existing = Document.objects.filter(
        legal_entity_id=original.legal_entity_id, kind=original.kind, number=original.number, language=language
    ).first()
    if existing is not None:
        return existing
    snapshot = {**original.snapshot, "language": language}
    document = _prepared(
        snapshot,
        legal_entity_id=original.legal_entity_id,
        customer_id=original.customer_id,
        invoice_id=original.invoice_id,
        replaces_id=original.replaces_id,
        period_start=original.period_start,
        period_end=original.period_end,
    )
    document.save()
    _announce(document, actor=actor.audit(), action="document.translate")
    return document


@dataclass(frozen=True)
class Regenerated:
    document: Document
    pdf: bytes
    identical: bool


def document_regenerate(*, actor: Actor, document_id: object) -> Regenerated:
    """Draw a document's PDF again from its stored snapshot and compare it with the issued
    checksum. When identical, a missing or damaged stored file is restored; when not (the
    templates changed since), nothing is written and the caller is told."""
    actor.require(StaffPermission.MANAGE_BILLING)
    document = _document(document_id)
    if document is None:
        raise NotFound(_("Document not found."))
    pdf = render_pdf(document.snapshot)
    identical = storage.sha256(pdf) == document.checksum
    if identical:
        try:
            intact = storage.sha256(storage.pdf_read(document.storage_path)) == document.checksum
        except FileNotFoundError:
            intact = False
        if not intact:
            storage.pdf_restore(document.storage_path, pdf)
    audit_record(
        actor=actor.audit(),
        action="document.regenerate",
        customer_id=document.customer_id,
        object_type="document",
        object_id=document.pk,
        detail={"identical": identical},
    )
    if not identical:
        raise Conflict(
            _("The PDF drawn again differs from the issued one (the templates changed); the issued PDF is kept."),
            code="document_differs",
        )
    return Regenerated(document=document, pdf=pdf, identical=identical)


@transaction.atomic
def provider_entity_documents_save(*, actor: Actor, entity: ProviderLegalEntity, changed: list[str]) -> None:
    """Save a legal entity's document settings (validated by the caller's form). Documents
    already issued keep the images and names they were drawn with."""
    actor.require(StaffPermission.MANAGE_BILLING)
    entity.save()
    audit_record(
        actor=actor.audit(),
        action="provider_entity.documents_save",
        object_type="provider_legal_entity",
        object_id=entity.pk,
        detail={"changed": sorted(changed)},
    )
