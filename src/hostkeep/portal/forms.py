from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.choices import ContactRole


class ContactForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ContactRole.choices)


class LegalEntityForm(forms.Form):
    name = forms.CharField(label=_("Legal name"), max_length=300)
    tax_id = forms.CharField(label=_("Tax id"), max_length=64, required=False)
    registration_number = forms.CharField(label=_("Registration number"), max_length=64, required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, required=False)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=200, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=64, required=False)
    bank_code = forms.CharField(label=_("Bank code (BIC, branch)"), max_length=32, required=False)
    is_default = forms.BooleanField(label=_("Default for documents"), required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
