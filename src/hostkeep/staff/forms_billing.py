"""Forms of the staff billing pages. Amounts are text and reasons may arrive empty: the
actions read and refuse them, so the pages and the API give the same answers. A money form
carries an idempotency key made when it is shown, so submitting it twice posts once."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.billing.choices import InvoiceStatus
from hostkeep.staff.forms import StaffActionForm


class BillingReasonForm(StaffActionForm):
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )


class ManualMoneyForm(BillingReasonForm):
    amount = forms.CharField(label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    field_order = ["amount", "reason", "key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *InvoiceStatus.choices])
    q = forms.CharField(label=_("Number or customer"), max_length=100, required=False)
