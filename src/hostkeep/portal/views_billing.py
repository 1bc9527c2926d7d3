"""Portal pages for billing: the balance with its history and the promised payment, invoices
and an invoice's page, and the top-up page. Thin views over billing's selectors and actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import CustomerPermission
from hostkeep.billing import actions, selectors
from hostkeep.billing.choices import OPEN_STATUSES, InvoiceKind
from hostkeep.catalog.templatetags.catalog_display import money
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.portal.forms_billing import PromisedPaymentForm
from hostkeep.portal.views import customer_page


def _billing_page(request: ActorRequest, form: PromisedPaymentForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor
    context = {
        "summary": selectors.billing_summary_for_customer(actor),
        "page": Paginator(selectors.balance_history_for_customer(actor), 25).get_page(request.GET.get("page")),
        "can_pay": actor.can(CustomerPermission.PAY),
        "form": form or PromisedPaymentForm(),
    }
    return render(request, "portal/billing.html", context, status=status)


@customer_page
def billing(request: ActorRequest) -> HttpResponse:
    return _billing_page(request)


@customer_page
@require_POST
def promised_payment_take(request: ActorRequest) -> HttpResponse:
    form = PromisedPaymentForm(request.POST)
    if form.is_valid():
        try:
            promise = actions.promised_payment_take(actor=request.actor, amount=form.cleaned_data["amount"])
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            amount = money(promise.amount, promise.currency)
            messages.success(request, _("%(amount)s is credited to your balance for now.") % {"amount": amount})
            return redirect("portal:billing")
    return _billing_page(request, form, status=422)


@customer_page
def invoices(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.invoices_for_customer(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "portal/invoices.html", {"page": page})


@customer_page
def invoice_detail(request: ActorRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_for_customer(request.actor, invoice_id)
    can_pay = (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.status in OPEN_STATUSES
        and request.actor.can(CustomerPermission.PAY)
    )
    return render(request, "portal/invoice_detail.html", {"invoice": invoice, "can_pay": can_pay})


@customer_page
def top_up(request: ActorRequest) -> HttpResponse:
    """The balance, and the way to the payments page where a top-up is started."""
    return render(request, "portal/top_up.html", {"summary": selectors.billing_summary_for_customer(request.actor)})
