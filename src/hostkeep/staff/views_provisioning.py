"""Staff pages of provisioning: panel connections (add, test), open tasks, reconciliation
drift, and a service's action log with every call, retry and refund."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.core.errors import Conflict, PermissionRefused, ValidationFailed
from hostkeep.provisioning import actions, panel_actions, selectors
from hostkeep.provisioning.reconciliation import reconcile_all
from hostkeep.provisioning.registry import modules
from hostkeep.staff.views import staff_page


class ConnectionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    module = forms.ChoiceField(label=gettext_lazy("Module"), choices=())
    settings = forms.CharField(
        label=gettext_lazy("Settings (JSON)"), widget=forms.Textarea(attrs={"rows": 3}), initial="{}"
    )
    secrets = forms.CharField(
        label=gettext_lazy("Secrets (JSON, never shown again)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    timeout_seconds = forms.FloatField(label=gettext_lazy("Timeout, seconds"), initial=10, min_value=0.5)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = modules.choices()  # type: ignore[attr-defined]

    def _json(self, field: str) -> dict[str, Any]:
        raw = self.cleaned_data.get(field) or "{}"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("Enter a JSON object.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Enter a JSON object."))
        return value

    def clean_settings(self) -> dict[str, Any]:
        return self._json("settings")

    def clean_secrets(self) -> dict[str, Any]:
        return self._json("secrets")


@staff_page
def overview(request: ActorRequest, form: ConnectionForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor
    context = {
        "connections": selectors.connections_for_staff(actor),
        "tasks": selectors.tasks_for_staff(actor)[:100],
        "drift": selectors.drift_for_staff(actor)[:200],
        "form": form or ConnectionForm(),
    }
    return render(request, "staff/provisioning.html", context, status=status)


@staff_page
@require_POST
def connection_add(request: ActorRequest) -> HttpResponse:
    form = ConnectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.connection_save(
                actor=request.actor,
                module=data["module"],
                name=data["name"],
                settings=data["settings"],
                secrets=data["secrets"],
                timeout_seconds=data["timeout_seconds"],
            )
        except ValidationFailed as error:
            for field, problems in error.fields.items():
                form.add_error(field if field in form.fields else None, "; ".join(str(p) for p in problems))
        else:
            messages.success(request, _("The connection is saved; test it."))
            return redirect("staff:provisioning")
    return overview(request, form=form, status=422)


@staff_page
@require_POST
def connection_test(request: ActorRequest, connection_id: int) -> HttpResponse:
    ok, message = panel_actions.connection_test(actor=request.actor, connection_id=connection_id)
    (messages.success if ok else messages.error)(request, message)
    return redirect("staff:provisioning")


@staff_page
@require_POST
def reconcile(request: ActorRequest) -> HttpResponse:
    selectors.connections_for_staff(request.actor)  # the permission check
    found = reconcile_all()
    messages.success(request, _("Reconciled: %(found)s") % {"found": found})
    return redirect("staff:provisioning")


@staff_page
def service(request: ActorRequest, service_id: int) -> HttpResponse:
    actor = request.actor
    found = selectors.service_for_staff(actor, service_id)
    context = {
        "service": found,
        "server": selectors.server_for_service(found),
        "actions": selectors.actions_for_service_staff(actor, found),
        "tasks": selectors.tasks_for_service_staff(actor, found),
        # Retrying is provisioning's (whoever sees this page); paying money out is billing's.
        "can_refund": actor.can(StaffPermission.MANAGE_BILLING),
    }
    return render(request, "staff/provisioning_service.html", context)


@staff_page
@require_POST
def service_retry(request: ActorRequest, service_id: int) -> HttpResponse:
    try:
        actions.service_provisioning_retry(actor=request.actor, service_id=service_id)
    except (Conflict, PermissionRefused) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Retrying; the log below fills in as the panel answers."))
    return redirect("staff:provisioning_service", service_id)


@staff_page
@require_POST
def service_refund(request: ActorRequest, service_id: int) -> HttpResponse:
    try:
        actions.service_provisioning_refund(
            actor=request.actor, service_id=service_id, reason=request.POST.get("reason", "")
        )
    except (Conflict, PermissionRefused, ValidationFailed) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The service is cancelled and the money paid back."))
    return redirect("staff:provisioning_service", service_id)


@staff_page
@require_POST
def task_resolve(request: ActorRequest, task_id: int) -> HttpResponse:
    task = actions.task_resolve(actor=request.actor, task_id=task_id)
    messages.success(request, _("Task done."))
    return redirect("staff:provisioning_service", task.service_id)
