"""Staff pages for billing: a customer's balance, ledger and invoices with manual credit,
charge and refund; invoices with void and credit note; receivables by age; billing runs.
Thin views over billing's selectors and actions; every money action needs a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.billing import actions, selectors
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.staff.forms_billing import BillingReasonForm, InvoiceFilterForm, ManualMoneyForm
from hostkeep.staff.views import staff_page

MONEY_ACTIONS: dict[str, Callable[..., Any]] = {
    "credit": actions.manual_credit,
    "charge": actions.manual_charge,
    "refund": actions.manual_refund,
}
INVOICE_ACTIONS: dict[str, Callable[..., Any]] = {
    "void": actions.invoice_void,
    "credit-note": actions.credit_note_for_invoice,
}
DONE = {
    "credit": _("The balance is credited."),
    "charge": _("The charge is invoiced."),
    "refund": _("The refund is recorded."),
    "void": _("The invoice is void."),
    "credit-note": _("The credit note is issued."),
}


def _customer_page(request: ActorRequest, customer_id: int, status: int = 200, **forms: Any) -> HttpResponse:
    actor = request.actor
    context = {
        "billing": selectors.customer_billing_for_staff(actor, customer_id),
        "page": Paginator(selectors.ledger_for_staff(actor, customer_id), 25).get_page(request.GET.get("page")),
        "invoices": selectors.invoices_for_staff(actor, customer_id=customer_id)[:50],
        "can_manage": actor.can(StaffPermission.MANAGE_BILLING),
        **{verb: forms.get(verb) or ManualMoneyForm(prefix=verb) for verb in MONEY_ACTIONS},
    }
    return render(request, "staff/customer_billing.html", context, status=status)


@staff_page
def customer_billing(request: ActorRequest, customer_id: int) -> HttpResponse:
    return _customer_page(request, customer_id)


@staff_page
@require_POST
def customer_money(request: ActorRequest, customer_id: int, verb: str) -> HttpResponse:
    """Manual credit, charge or refund with a reason, once per the form's idempotency key."""
    if verb not in MONEY_ACTIONS:
        raise Http404
    form = ManualMoneyForm(request.POST, prefix=verb)
    if form.is_valid():
        try:
            MONEY_ACTIONS[verb](actor=request.actor, customer_id=customer_id, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            messages.success(request, DONE[verb])
            return redirect("staff:customer_billing", customer_id)
    return _customer_page(request, customer_id, status=422, **{verb: form})


@staff_page
def invoices(request: ActorRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {"status": "", "q": ""}
    queryset = selectors.invoices_for_staff(request.actor, status=filters["status"], search=filters["q"].strip())
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "staff/invoices.html", {"page": page, "form": form, "q": filters["q"]})


def _invoice_page(request: ActorRequest, invoice_id: int, form: Any = None, status: int = 200) -> HttpResponse:
    context = {
        "invoice": selectors.invoice_for_staff(request.actor, invoice_id),
        "can_manage": request.actor.can(StaffPermission.MANAGE_BILLING),
        "form": form or BillingReasonForm(),
    }
    return render(request, "staff/invoice_detail.html", context, status=status)


@staff_page
def invoice_detail(request: ActorRequest, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, invoice_id)


@staff_page
@require_POST
def invoice_action(request: ActorRequest, invoice_id: int, verb: str) -> HttpResponse:
    """Void an unpaid invoice or credit a paid one, with the reason given."""
    if verb not in INVOICE_ACTIONS:
        raise Http404
    form = BillingReasonForm(request.POST)
    if form.is_valid():
        try:
            document = INVOICE_ACTIONS[verb](actor=request.actor, invoice_id=invoice_id, **form.cleaned_data)
        except (ValidationFailed, Conflict) as error:
            form.refuse(error)
        else:
            messages.success(request, DONE[verb])
            return redirect("staff:invoice_detail", document.pk)
    return _invoice_page(request, invoice_id, form, status=422)


@staff_page
def receivables(request: ActorRequest) -> HttpResponse:
    return render(request, "staff/receivables.html", {"report": selectors.receivables_by_age(request.actor)})


@staff_page
def billing_runs(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.billing_runs_for_staff(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "staff/billing_runs.html", {"page": page})
