"""Staff pages of payments: the payments list, a payment with its refunds (refund part or all),
the review queue (payments held because the amount or currency differed), bank statement
import with the lines waiting for staff, manual payments, the gateway accounts and the log of
incoming notifications. Thin views over payments' selectors and actions."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.payments import actions, selectors, statements
from hostkeep.payments.choices import PaymentStatus
from hostkeep.payments.interface import Capability, gateways
from hostkeep.staff.views import staff_page


class RefundForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=32)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReviewForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    decision = forms.ChoiceField(choices=[("accept", gettext_lazy("Accept")), ("reject", gettext_lazy("Reject"))])


class ManualPaymentForm(forms.Form):
    customer_id = forms.IntegerField(label=gettext_lazy("Customer number"))
    account_id = forms.IntegerField(label=gettext_lazy("Method"))
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=32)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class StatementForm(forms.Form):
    account_id = forms.IntegerField(label=gettext_lazy("Bank account"))
    file = forms.FileField(label=gettext_lazy("Statement (CSV)"))


class AssignForm(forms.Form):
    customer_id = forms.IntegerField(label=gettext_lazy("Customer number"))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class GatewayAccountForm(forms.Form):
    gateway = forms.ChoiceField(label=gettext_lazy("Gateway"), choices=())
    label = forms.CharField(label=gettext_lazy("Label"), max_length=100)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)
    currencies = forms.CharField(label=gettext_lazy("Currencies"), help_text=gettext_lazy("e.g. ZAR, USD"))
    countries = forms.CharField(
        label=gettext_lazy("Customer countries"), required=False, help_text=gettext_lazy("empty: every country")
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, initial=0)
    settings = forms.CharField(
        label=gettext_lazy("Settings (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    credentials = forms.CharField(
        label=gettext_lazy("Credentials (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=gettext_lazy("Stored encrypted and never shown again; keys left out keep their value."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gateway_field = self.fields["gateway"]
        if isinstance(gateway_field, forms.ChoiceField):
            gateway_field.choices = gateways.choices()

    def _json(self, name: str) -> dict[str, Any]:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object."))
        return value

    def clean_settings(self) -> dict[str, Any]:
        return self._json("settings")

    def clean_credentials(self) -> dict[str, Any]:
        return self._json("credentials")


def _refuse(form: forms.Form, error: ValidationFailed | Conflict) -> None:
    form.add_error(None, error.message)
    for problems in error.fields.values():
        for problem in problems:
            form.add_error(None, problem)


@staff_page
def payments(request: ActorRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = selectors.payments_for_staff(request.actor, status=status if status in PaymentStatus.values else "")
    context = {
        "page": Paginator(queryset, 50).get_page(request.GET.get("page")),
        "statuses": PaymentStatus.choices,
        "status": status,
        "held": selectors.review_queue_for_staff(request.actor).count(),
    }
    return render(request, "staff/payments.html", context)


def _payment_page(request: ActorRequest, payment_id: int, form: Any = None, status: int = 200) -> HttpResponse:
    payment = selectors.payment_for_staff(request.actor, payment_id)
    context = {
        "payment": payment,
        "refundable": payment.amount_received - payment.amount_refunded,
        "can_manage": request.actor.can(StaffPermission.MANAGE_BILLING),
        "form": form or RefundForm(initial={"key": uuid.uuid4().hex}),
        "review_form": ReviewForm(),
    }
    return render(request, "staff/payments_detail.html", context, status=status)


@staff_page
def payment_detail(request: ActorRequest, payment_id: int) -> HttpResponse:
    return _payment_page(request, payment_id)


@staff_page
@require_POST
def payment_refund(request: ActorRequest, payment_id: int) -> HttpResponse:
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            refund = actions.refund_request(actor=request.actor, payment_id=payment_id, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            _refuse(form, error)
        else:
            if refund.status == "failed":
                messages.error(
                    request, _("The gateway refused the refund: %(reason)s") % {"reason": refund.failure_reason}
                )
            else:
                messages.success(request, _("The refund is recorded."))
            return redirect("staff:payment_detail", payment_id)
    return _payment_page(request, payment_id, form, status=422)


@staff_page
@require_POST
def payment_review(request: ActorRequest, payment_id: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.payment_review_decide(
                actor=request.actor,
                payment_id=payment_id,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, Conflict) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The review is recorded."))
    else:
        messages.error(request, _("Give a reason."))
    return redirect("staff:payment_detail", payment_id)


@staff_page
def review_queue(request: ActorRequest) -> HttpResponse:
    queryset = selectors.review_queue_for_staff(request.actor)
    return render(request, "staff/payments_review.html", {"payments": queryset[:200]})


def _bank_page(request: ActorRequest, status: int = 200, **forms_given: Any) -> HttpResponse:
    actor = request.actor
    offline = selectors.offline_accounts_for_staff(actor)
    context = {
        "lines": selectors.statement_lines_waiting_for_staff(actor)[:200],
        "statements": selectors.statements_for_staff(actor)[:20],
        "bank_accounts": [a for a in offline if a.gateway == "bank"],
        "offline_accounts": offline,
        "can_manage": actor.can(StaffPermission.MANAGE_BILLING),
        "statement_form": forms_given.get("statement_form") or StatementForm(),
        "manual_form": forms_given.get("manual_form") or ManualPaymentForm(initial={"key": uuid.uuid4().hex}),
        "assign_form": AssignForm(),
    }
    return render(request, "staff/payments_bank.html", context, status=status)


@staff_page
def bank(request: ActorRequest) -> HttpResponse:
    return _bank_page(request)


@staff_page
@require_POST
def statement_upload(request: ActorRequest) -> HttpResponse:
    form = StatementForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = statements.statement_import(
                actor=request.actor,
                account_id=form.cleaned_data["account_id"],
                filename=upload.name,
                content=upload.read().decode("utf-8-sig", "replace"),
            )
        except (ValidationFailed, Conflict) as error:
            _refuse(form, error)
        else:
            counts = ", ".join(f"{key}: {value}" for key, value in sorted(statement.counts.items()))
            messages.success(request, _("Statement imported (%(counts)s).") % {"counts": counts or "0"})
            return redirect("staff:payments_bank")
    return _bank_page(request, status=422, statement_form=form)


@staff_page
@require_POST
def statement_line_assign(request: ActorRequest, line_id: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            statements.statement_line_assign(actor=request.actor, line_id=line_id, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The line is credited to the customer."))
    else:
        messages.error(request, _("Give the customer number and a reason."))
    return redirect("staff:payments_bank")


@staff_page
@require_POST
def manual_payment(request: ActorRequest) -> HttpResponse:
    form = ManualPaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = actions.payment_record_manual(actor=request.actor, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            _refuse(form, error)
        else:
            messages.success(request, _("The payment is recorded."))
            return redirect("staff:payment_detail", payment.pk)
    return _bank_page(request, status=422, manual_form=form)


@staff_page
def gateway_accounts(request: ActorRequest) -> HttpResponse:
    accounts = selectors.gateway_accounts_for_staff(request.actor)
    rows = [
        {
            "account": account,
            "gateway": gateways.get(account.gateway) if account.gateway in gateways else None,
            "capabilities": sorted(gateways.get(account.gateway).capabilities) if account.gateway in gateways else [],
        }
        for account in accounts
    ]
    log = selectors.notification_log_for_staff(request.actor)[:50]
    return render(
        request,
        "staff/payments_gateways.html",
        {"rows": rows, "log": log, "offline": Capability.OFFLINE, "available": gateways.choices()},
    )


def _account_page(
    request: ActorRequest, account_id: int | None, form: GatewayAccountForm | None, status: int = 200
) -> HttpResponse:
    account = selectors.gateway_accounts_for_staff(request.actor).filter(pk=account_id).first() if account_id else None
    if form is None:
        initial: dict[str, Any] = {"enabled": True, "position": 0}
        if account is not None:
            initial = {
                "gateway": account.gateway,
                "label": account.label,
                "enabled": account.enabled,
                "currencies": ", ".join(account.currencies),
                "countries": ", ".join(account.countries),
                "position": account.position,
                "settings": json.dumps(account.settings, indent=1) if account.settings else "",
            }
        form = GatewayAccountForm(initial=initial)
    context = {
        "form": form,
        "account": account,
        "stored_keys": sorted((account.credentials or {}).keys()) if account else [],
    }
    return render(request, "staff/payments_gateway_edit.html", context, status=status)


@staff_page
def gateway_account_edit(request: ActorRequest, account_id: int | None = None) -> HttpResponse:
    """Add or change a gateway account (staff who manage billing)."""
    request.actor.require(StaffPermission.MANAGE_BILLING)
    if request.method != "POST":
        return _account_page(request, account_id, None)
    form = GatewayAccountForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.gateway_account_save(
                actor=request.actor,
                account_id=account_id,
                gateway=data["gateway"],
                label=data["label"],
                currencies=data["currencies"].split(","),
                countries=(data["countries"] or "").split(","),
                gateway_settings=data["settings"],
                credentials=data["credentials"],
                enabled=data["enabled"],
                position=data["position"] or 0,
            )
        except (ValidationFailed, Conflict) as error:
            _refuse(form, error)
        else:
            messages.success(request, _("The gateway account is saved."))
            return redirect("staff:payments_gateways")
    return _account_page(request, account_id, form, status=422)
