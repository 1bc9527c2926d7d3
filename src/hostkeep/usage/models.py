"""Metered usage of services (server hours, RAM GB-hours, players), as reported by panels
or imported in bulk. Each record carries the reporter's id, unique, so a record sent twice
is stored once; billing rates the records of a period when it closes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.services.models import Service


class UsageRecord(models.Model):
    # The (service, period_start) index serves lookups by service; no second index on it.
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="usage_records", db_index=False)
    resource = models.SlugField(_("resource"), max_length=40, db_index=False)
    quantity = models.DecimalField(_("quantity"), max_digits=19, decimal_places=4)
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    source_id = models.CharField(_("record id"), max_length=120)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        indexes = [models.Index(fields=["service", "period_start"])]
        constraints = [
            # A plain unique index (no extra LIKE index as unique=True adds on PostgreSQL):
            # each index costs every one of tens of thousands of inserts per second.
            models.UniqueConstraint(fields=["source_id"], name="usage_record_once"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_quantity_not_negative"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="usage_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.resource} {self.quantity}"
