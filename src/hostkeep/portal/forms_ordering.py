"""Forms of the portal's catalogue, cart and services pages. They carry choices only (plan,
period, option values, add-ons, a promo code); prices come from the server. What the
catalogue refuses (an option out of range, a promo code that does not apply) comes back from
the action and is shown at the field it concerns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hostkeep.catalog.choices import OptionKind
from hostkeep.catalog.models import Product
from hostkeep.catalog.templatetags.catalog_display import period_label
from hostkeep.core.errors import HostkeepError, NotFound, PermissionRefused
from hostkeep.services.choices import CancelWhen
from hostkeep.services.models import Service

OPTION_PREFIX = "option_"


def problems_of(error: HostkeepError) -> list[str]:
    """Every message of a refusal, for a place that shows them all together."""
    return [str(problem) for problems in error.fields.values() for problem in problems] or [error.message]


class RefusalForm(forms.Form):
    """A form that shows an action's refusal at the fields it names."""

    def field_for(self, key: str) -> str | None:
        if key.startswith("options."):
            key = OPTION_PREFIX + key.removeprefix("options.")
        elif key in ("period", "period_unit", "period_count"):
            key = "period"
        return key if key in self.fields else None

    def refuse(self, error: HostkeepError) -> None:
        """Show ``error`` on the form; a refusal of the request itself (no permission, not
        found) is raised again for the page to answer as such."""
        if isinstance(error, PermissionRefused | NotFound):
            raise error
        for key, problems in error.fields.items():
            for problem in problems:
                self.add_error(self.field_for(key), str(problem))
        if not error.fields:
            self.add_error(None, error.message)


def _option_fields(product: Product, initial: dict[str, Any]) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for option in product.options.all():
        name = OPTION_PREFIX + option.code
        if option.kind == OptionKind.QUANTITY:
            fields[name] = forms.IntegerField(
                label=option.name,
                required=False,
                initial=initial.get(option.code, option.default_quantity),
                widget=forms.NumberInput(attrs={"min": option.minimum, "max": option.maximum, "step": option.step}),
                help_text=_("From %(min)s to %(max)s.") % {"min": option.minimum, "max": option.maximum},
            )
        else:
            choices = list(option.choices.all())
            default = next((c.code for c in choices if c.is_default), choices[0].code if choices else "")
            fields[name] = forms.ChoiceField(
                label=option.name,
                required=False,
                choices=[(choice.code, choice.label) for choice in choices],
                initial=initial.get(option.code, default),
            )
    return fields


class OrderForm(RefusalForm):
    """Order a product: a plan, a billing period, option values, add-ons and how many."""

    def __init__(self, product: Product, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = list(product.plans.all())
        periods = sorted(
            {(price.period_unit, price.period_count) for plan in plans for price in plan.prices.all()},
            key=lambda period: (period[0] != "month", period[1]),
        ) or [("month", 1)]
        self.fields["plan"] = forms.ChoiceField(
            label=_("Plan"),
            choices=[(str(plan.pk), plan.name) for plan in plans],
            initial=str(plans[0].pk) if plans else None,
            widget=forms.RadioSelect,
        )
        self.fields["period"] = forms.ChoiceField(
            label=_("Billing period"),
            choices=[(f"{unit}:{count}", period_label(unit, count)) for unit, count in periods],
        )
        self.fields.update(_option_fields(product, {}))
        addons = list(product.addons.all())
        if addons:
            self.fields["addons"] = forms.MultipleChoiceField(
                label=_("Add-ons"),
                required=False,
                choices=[(addon.code, addon.name) for addon in addons],
                widget=forms.CheckboxSelectMultiple,
            )
        self.fields["quantity"] = forms.IntegerField(
            label=_("How many"), initial=1, widget=forms.NumberInput(attrs={"min": 1, "max": 20})
        )

    def item_choices(self) -> dict[str, Any]:
        """The choices as ``catalog.selectors.item_quote_for_customer`` takes them."""
        unit, _sep, count = self.cleaned_data["period"].partition(":")
        return {
            "plan_id": self.cleaned_data["plan"],
            "period_unit": unit,
            "period_count": count,
            "option_values": {
                name.removeprefix(OPTION_PREFIX): value
                for name, value in self.cleaned_data.items()
                if name.startswith(OPTION_PREFIX) and value not in (None, "")
            },
            "addon_codes": list(self.cleaned_data.get("addons") or []),
        }

    def cart_choices(self) -> dict[str, Any]:
        """The choices as ``services.actions.cart_add`` takes them."""
        return {**self.item_choices(), "quantity": self.cleaned_data["quantity"]}


class PromoForm(RefusalForm):
    promo_code = forms.CharField(label=_("Promo code"), max_length=40, required=False)


class CheckoutForm(forms.Form):
    """Checkout of the cart as shown: the promo code applied there and a key made when the
    page was drawn, so submitting twice places one order."""

    promo_code = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    # Shown until the account has accepted the current offer; checkout refuses without it.
    accept_offer = forms.BooleanField(label=_("I accept the offer (contract)"), required=False)

    def __init__(self, *args: Any, offer_needed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not offer_needed:
            del self.fields["accept_offer"]


class ServiceChangeForm(RefusalForm):
    """Change a service's plan or options; the price is shown before the customer confirms."""

    def __init__(self, product: Product, service: Service, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"] = forms.ChoiceField(
            label=_("Plan"),
            choices=[(str(plan.pk), plan.name) for plan in product.plans.all()],
            initial=str(service.plan_id),
        )
        self.fields.update(_option_fields(product, service.option_values))

    def change_choices(self) -> dict[str, Any]:
        return {
            "plan_id": self.cleaned_data["plan"],
            "option_values": {
                name.removeprefix(OPTION_PREFIX): value
                for name, value in self.cleaned_data.items()
                if name.startswith(OPTION_PREFIX) and value not in (None, "")
            },
        }


class CancelForm(RefusalForm):
    when = forms.ChoiceField(
        label=_("When"), choices=CancelWhen.choices, initial=CancelWhen.PERIOD_END, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Why are you leaving? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
