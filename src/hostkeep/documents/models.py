"""Issued documents and the customers' acceptances of the offer.

Both are append-only: the database refuses UPDATE and DELETE (triggers on SQLite and
PostgreSQL, migration 0002), so an issued PDF can only be superseded by a new document.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.billing.models import Invoice
from hostkeep.core.fields import AmountField
from hostkeep.documents.choices import DocumentKind


class Document(models.Model):
    """One issued PDF in one language. ``snapshot`` is every value the template drew, frozen
    at issue, so the PDF can be rendered again byte for byte (its sha256 is ``checksum``).

    Numbers are gapless per kind, legal entity and year; the translations of one document
    share its number (unique per language). An invoice's PDF carries billing's number.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    legal_entity = models.ForeignKey(ProviderLegalEntity, on_delete=models.PROTECT, related_name="documents")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("corrects")
    )
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    total = AmountField(_("total"), default=0)
    snapshot = models.JSONField(default=dict)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    storage_path = models.CharField(max_length=300)
    issued_at = models.DateTimeField(_("issued"), db_index=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["customer", "-issued_at"]), models.Index(fields=["kind", "issued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "kind", "number", "language"], name="document_number_unique_per_language"
            ),
            models.UniqueConstraint(
                fields=["invoice", "language"], condition=Q(invoice__isnull=False), name="document_once_per_invoice"
            ),
            # The monthly job issues one act per customer, entity and month; a correction
            # (``replaces`` set) is the only other act for that month.
            models.UniqueConstraint(
                fields=["customer", "legal_entity", "period_start", "language"],
                condition=Q(kind="act", replaces__isnull=True),
                name="one_monthly_act_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.language})"

    @property
    def filename(self) -> str:
        return f"{self.number}-{self.language}.pdf"


class ContractAcceptance(models.Model):
    """A customer accepted a version of a legal entity's offer: who, when, from where, and the
    contract document issued for it. Once per customer, legal entity and offer version."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contract_acceptances")
    legal_entity = models.ForeignKey(ProviderLegalEntity, on_delete=models.PROTECT, related_name="+")
    offer_version = models.CharField(_("offer version"), max_length=20)
    # A plain column, not a foreign key: the row is append-only, so it must not depend on the
    # login still existing; ``user_label`` keeps who it was.
    user_id = models.BigIntegerField(null=True, blank=True)
    user_label = models.CharField(_("accepted by"), max_length=254)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"))
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("offer acceptance")
        verbose_name_plural = _("offer acceptances")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "legal_entity", "offer_version"], name="offer_accepted_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} v{self.offer_version} @ {self.accepted_at:%Y-%m-%d}"
