"""Provisioning's data: panel connections (secrets encrypted), the remote server behind each
service, every action (an intent recorded before any remote call), every call and answer,
staff tasks, the customer's panel account per connection, and reconciliation drift."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer
from hostkeep.core.fields import EncryptedJSONField
from hostkeep.provisioning.choices import (
    ActionKind,
    ActionStatus,
    DriftKind,
    ServerState,
    TaskKind,
    TaskStatus,
)
from hostkeep.services.models import Service


class ModuleConnection(models.Model):
    """A panel (a Pterodactyl panel, a Proxmox cluster) that services of a module are made on.
    ``settings`` follows the module's connection schema; ``secrets`` (API keys, tokens) are
    stored encrypted and never shown back."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    module = models.CharField(_("module"), max_length=40)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = EncryptedJSONField(_("secrets"), default=dict, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    timeout_seconds = models.FloatField(_("timeout, seconds"), default=10.0)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["module", "name"]
        verbose_name = _("panel connection")
        verbose_name_plural = _("panel connections")

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        """Where the panel is, for people (never the secrets)."""
        settings = self.settings or {}
        if "base_url" in settings:
            return str(settings["base_url"])
        return f"{settings.get('host', '')}:{settings.get('port', '')}".strip(":")


class ProvisionedServer(models.Model):
    """The remote object behind a service, as last confirmed by its panel."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="provisioned_server")
    connection = models.ForeignKey(ModuleConnection, on_delete=models.PROTECT, related_name="servers")
    module = models.CharField(max_length=40)
    remote_id = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=20, choices=ServerState.choices, default=ServerState.NONE)
    address = models.CharField(max_length=255, blank=True)
    panel_url = models.CharField(max_length=500, blank=True)
    resources = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("provisioned server")
        verbose_name_plural = _("provisioned servers")
        indexes = [models.Index(fields=["connection", "state"])]

    def __str__(self) -> str:
        return f"{self.module}:{self.remote_id or '-'} for {self.service_id}"


class ProvisioningAction(models.Model):
    """One thing to do on a panel for a service, recorded before any call is made. The job that
    carries it out is idempotent and may run many times; ``attempt`` counts real attempts
    (polling an installation does not count)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="provisioning_actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.PENDING)
    attempt = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=6)
    key = models.CharField(max_length=120, unique=True)
    force = models.BooleanField(default=False)
    reached_panel = models.BooleanField(default=False)
    next_run_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    credit_note = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("provisioning action")
        verbose_name_plural = _("provisioning actions")
        indexes = [models.Index(fields=["status", "next_run_at"]), models.Index(fields=["service", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.service_id} ({self.status})"


class ProvisioningCall(models.Model):
    """One call to a panel and its answer, kept against the service (append-only log)."""

    action = models.ForeignKey(ProvisioningAction, on_delete=models.CASCADE, related_name="calls")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    attempt = models.PositiveIntegerField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True)
    duration_ms = models.PositiveIntegerField(default=0)
    request = models.JSONField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("panel call")
        verbose_name_plural = _("panel calls")

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status_code}"


class ProvisioningTask(models.Model):
    """Work for staff: a failed action to look at, or a manual set-up to do and confirm."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="provisioning_tasks")
    action = models.ForeignKey(ProvisioningAction, null=True, on_delete=models.SET_NULL, related_name="tasks")
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("provisioning task")
        verbose_name_plural = _("provisioning tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "kind"], condition=Q(action__isnull=False), name="provisioning_task_once_per_action"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PanelAccount(models.Model):
    """The customer's user on a panel, found or made once and reused for every service."""

    connection = models.ForeignKey(ModuleConnection, on_delete=models.CASCADE, related_name="accounts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=120)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("panel account")
        verbose_name_plural = _("panel accounts")
        constraints = [models.UniqueConstraint(fields=["connection", "customer"], name="panel_account_once")]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.connection_id}: {self.remote_id}"


class ReconciliationDrift(models.Model):
    """A difference between what billing thinks and what a panel reports, found by the
    periodic reconciliation; cleared when a later run no longer sees it."""

    connection = models.ForeignKey(ModuleConnection, on_delete=models.CASCADE, related_name="drift")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=DriftKind.choices)
    remote_id = models.CharField(max_length=120, blank=True)
    billing_state = models.CharField(max_length=20, blank=True)
    remote_state = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-found_at", "id"]
        verbose_name = _("reconciliation drift")
        verbose_name_plural = _("reconciliation drift")

    def __str__(self) -> str:
        return f"{self.kind} {self.service_id or self.remote_id}"
