"""Forms of the portal's billing pages. The amount is text: the action reads and refuses it,
so the page and the API answer a bad amount the same way."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.portal.forms_ordering import RefusalForm


class PromisedPaymentForm(RefusalForm):
    amount = forms.CharField(label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
