"""Portal pages of payments: pay an invoice or top up with any enabled gateway, follow a
payment (and come back from the gateway's page), manage saved methods. Thin views over
payments' selectors and actions; the invoice amount comes from billing's selectors."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import CustomerPermission
from hostkeep.billing import selectors as billing_selectors
from hostkeep.billing.choices import OPEN_STATUSES
from hostkeep.core.errors import HostkeepError, NotFound, PermissionRefused
from hostkeep.core.money import Money
from hostkeep.payments import actions, selectors
from hostkeep.portal.views import customer_page


class PayForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=32, required=False)
    account = forms.IntegerField(label=gettext_lazy("Pay with"))
    invoice = forms.IntegerField(required=False, widget=forms.HiddenInput)
    save_method = forms.BooleanField(label=gettext_lazy("Save this method for auto-pay"), required=False)
    key = forms.CharField(max_length=64, widget=forms.HiddenInput)


def _open_invoices(request: ActorRequest) -> list[tuple[object, Money]]:
    invoices = billing_selectors.invoices_for_customer(request.actor).filter(status__in=OPEN_STATUSES)
    return [(invoice, Money(invoice.total - invoice.amount_paid, invoice.currency)) for invoice in invoices[:50]]


def _payments_page(request: ActorRequest, form: PayForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor
    can_pay = actor.can(CustomerPermission.PAY)
    context = {
        "page": Paginator(selectors.payments_for_customer(actor), 25).get_page(request.GET.get("page")),
        "options": selectors.payment_options_for_customer(actor) if can_pay else [],
        "methods": selectors.saved_methods_for_customer(actor),
        "invoices": _open_invoices(request),
        "can_pay": can_pay,
        "form": form or PayForm(initial={"key": uuid.uuid4().hex}),
        "currency": actor.customer.currency if actor.customer else "",
    }
    return render(request, "portal/payments.html", context, status=status)


@customer_page
def payments(request: ActorRequest) -> HttpResponse:
    return _payments_page(request)


@customer_page
def payment_pay(request: ActorRequest) -> HttpResponse:
    """GET ?invoice=ID: choose how to pay that invoice. POST: start the payment and go pay."""
    actor = request.actor
    if request.method != "POST":
        invoice = billing_selectors.invoice_for_customer(actor, request.GET.get("invoice"))
        due = Money(invoice.total - invoice.amount_paid, invoice.currency)
        context = {
            "invoice": invoice,
            "due": due,
            "options": selectors.payment_options_for_customer(actor),
            "form": PayForm(initial={"key": uuid.uuid4().hex, "invoice": invoice.pk, "amount": due.display_amount()}),
        }
        return render(request, "portal/payments_pay.html", context)
    form = PayForm(request.POST)
    if not form.is_valid():
        return _payments_page(request, form, status=422)
    data = form.cleaned_data
    if data.get("invoice"):
        invoice = billing_selectors.invoice_for_customer(actor, data["invoice"])
        amount: object = Money(invoice.total - invoice.amount_paid, invoice.currency)
        reference, description = f"invoice:{invoice.pk}", _("Invoice %(number)s") % {"number": invoice.number}
    else:
        amount = (data.get("amount") or "").strip() or Decimal(0)
        reference, description = "top-up", _("Balance top-up")
    try:
        payment = actions.payment_start(
            actor=actor,
            account_id=data["account"],
            amount=amount,
            reference=reference,
            description=description,
            idempotency_key=data["key"],
            save_method=data.get("save_method") or False,
        )
    except (PermissionRefused, NotFound):
        raise
    except HostkeepError as error:
        form.add_error(None, error.message)
        for problems in error.fields.values():
            for problem in problems:
                form.add_error(None, problem)
        return _payments_page(request, form, status=422)
    if payment.redirect_form:
        return render(request, "portal/payments_redirect.html", {"payment": payment})
    if payment.redirect_url:
        return redirect(payment.redirect_url)
    return redirect("portal:payment_detail", payment_id=payment.pk)


@customer_page
def payment_detail(request: ActorRequest, payment_id: int) -> HttpResponse:
    payment = selectors.payment_for_customer(request.actor, payment_id)
    return render(request, "portal/payments_detail.html", {"payment": payment})


@customer_page
def payment_return(request: ActorRequest, payment_id: int) -> HttpResponse:
    """The buyer is back from the gateway's page: ask the gateway (PayPal captures here)."""
    payment = selectors.payment_for_customer(request.actor, payment_id)
    try:
        payment = actions.payment_confirm(payment_id=payment.pk)
    except HostkeepError:
        messages.info(request, _("Your payment is being confirmed; this page updates when it is."))
    else:
        if payment.status == "succeeded":
            messages.success(request, _("Thank you: your payment is received."))
    return redirect("portal:payment_detail", payment_id=payment.pk)


@customer_page
@require_POST
def method_default(request: ActorRequest, method_id: int) -> HttpResponse:
    actions.saved_method_make_default(actor=request.actor, method_id=method_id)
    messages.success(request, _("Auto-pay tries this method first now."))
    return redirect("portal:payments")


@customer_page
@require_POST
def method_remove(request: ActorRequest, method_id: int) -> HttpResponse:
    actions.saved_method_remove(actor=request.actor, method_id=method_id)
    messages.success(request, _("The method is removed."))
    return redirect("portal:payments")
