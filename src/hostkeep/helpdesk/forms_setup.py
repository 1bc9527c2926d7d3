"""Forms of the helpdesk's set-up screens. They only shape the input; the set-up actions check
it (the API gives the same answers) and a refusal is shown on the field it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.core.errors import HostkeepError, NotFound, PermissionRefused
from hostkeep.core.money import MINOR_UNITS
from hostkeep.helpdesk.actions_setup import DepartmentCharging

CURRENCIES = [(code, code) for code in sorted(MINOR_UNITS)]


def _choices(rows: Iterable[Any], label: Any = str, empty: str | None = None) -> list[tuple[str, str]]:
    choices = [("", empty)] if empty is not None else []
    return choices + [(str(row.pk), label(row)) for row in rows]


class SetupForm(forms.Form):
    def refuse(self, error: HostkeepError) -> None:
        """Put an action's refusal on the field it names (or above the form)."""
        if isinstance(error, PermissionRefused | NotFound):
            raise error
        for key, problems in error.fields.items():
            for problem in problems:
                self.add_error(key if key in self.fields else None, str(problem))
        if not error.fields:
            self.add_error(None, error.message)


class DepartmentForm(SetupForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    email = forms.EmailField(label=_("Sends as (e-mail)"), required=False)
    is_public = forms.BooleanField(label=_("Customers may choose it"), required=False, initial=True)
    charging = forms.ChoiceField(
        label=_("Paid support"),
        choices=[
            (DepartmentCharging.FREE, _("Free")),
            (DepartmentCharging.FIXED, _("Fixed price per ticket")),
            (DepartmentCharging.TIME, _("By logged time")),
        ],
    )
    price_per_ticket = forms.CharField(
        label=_("Price per ticket"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    sort_order = forms.IntegerField(label=_("Position in lists"), min_value=0, max_value=100_000, initial=0)


class SlaPolicyForm(SetupForm):
    department = forms.ChoiceField(label=_("Department"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"), min_value=1)
    resolution_minutes = forms.IntegerField(label=_("Resolution within (minutes)"), min_value=1)

    def __init__(self, *args: Any, departments: Iterable[Any], plans: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments, empty=str(_("Every department")))  # type: ignore[attr-defined]
        self.fields["plan"].choices = _choices(  # type: ignore[attr-defined]
            plans, label=lambda plan: f"{plan.product.name} — {plan.name}", empty=str(_("Every plan"))
        )


class MailboxForm(SetupForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.EmailField(label=_("Support address"))
    host = forms.CharField(label=_("IMAP host"), max_length=200)
    port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    use_ssl = forms.BooleanField(label=_("TLS"), required=False, initial=True)
    username = forms.CharField(label=_("User"), max_length=200)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )
    folder = forms.CharField(label=_("Folder"), max_length=100, initial="INBOX")
    department = forms.ChoiceField(label=_("Department"))
    is_active = forms.BooleanField(label=_("Polled"), required=False, initial=True)

    def __init__(self, *args: Any, departments: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments)  # type: ignore[attr-defined]


class WidgetKeyForm(SetupForm):
    project = forms.ChoiceField(label=_("Project"))
    department = forms.ChoiceField(label=_("Department"))
    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, e.g. https://example.com"),
    )
    hourly_limit = forms.IntegerField(
        label=_("Tickets per hour from one address"),
        required=False,
        min_value=1,
        help_text=_("Empty: the site-wide default."),
    )

    def __init__(
        self, *args: Any, departments: Iterable[Any], projects: Iterable[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments)  # type: ignore[attr-defined]
        if projects is None:
            del self.fields["project"]
        else:
            self.fields["project"].choices = _choices(  # type: ignore[attr-defined]
                projects, label=lambda project: f"{project.customer.name} — {project.name}"
            )


class AgentRateForm(SetupForm):
    staff = forms.ChoiceField(label=_("Agent"))
    hourly_rate = forms.CharField(
        label=_("Hourly rate"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)

    def __init__(self, *args: Any, agents: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = _choices(  # type: ignore[attr-defined]
            agents, label=lambda member: f"{member.user} ({member.get_role_display()})"
        )


class CustomerRateForm(SetupForm):
    customer = forms.IntegerField(label=_("Customer number"), min_value=1)
    hourly_rate = forms.CharField(
        label=_("Hourly rate"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
