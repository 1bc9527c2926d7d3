"""Forms of the staff area's services pages. A reason is asked for every action on a service;
the action itself refuses an empty one, so the API and the pages give the same answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.core.errors import HostkeepError, NotFound, PermissionRefused
from hostkeep.services.choices import OrderStatus, ServiceStatus


class StaffActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the service's history)"),
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )

    def refuse(self, error: HostkeepError) -> None:
        if isinstance(error, PermissionRefused | NotFound):
            raise error
        for key, problems in error.fields.items():
            field = key.removeprefix("options.") if key.startswith("options.") else key
            for problem in problems:
                self.add_error(field if field in self.fields else None, str(problem))
        if not error.fields:
            self.add_error(None, error.message)


class ChangePlanForm(StaffActionForm):
    def __init__(self, plans: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"] = forms.ChoiceField(label=_("New plan"), choices=[(str(p.pk), p.name) for p in plans])
        self.order_fields(["plan", "reason"])


class DueDateForm(StaffActionForm):
    due_date = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["due_date", "reason"]


class ServiceFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any")), *ServiceStatus.choices])
    q = forms.CharField(label=_("Customer name or e-mail"), max_length=100, required=False)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *OrderStatus.choices])
