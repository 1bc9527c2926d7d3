"""Portal pages of documents: every document of the account with its download, and a
statement of account for a period on request. Billing contacts and owners only."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import CustomerPermission
from hostkeep.core.errors import ValidationFailed
from hostkeep.documents import actions, rendering, selectors
from hostkeep.documents.choices import DocumentKind
from hostkeep.portal.views import customer_page


class StatementForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))


def pdf_download(filename: str, content: bytes) -> HttpResponse:
    """A PDF as an attachment (never shown inline), not cached by shared caches."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _documents_page(request: ActorRequest, form: StatementForm | None = None) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in DocumentKind.values else ""
    page = Paginator(selectors.documents_for_customer(request.actor, kind=kind), 50).get_page(request.GET.get("page"))
    context = {"page": page, "kind": kind, "kinds": DocumentKind.choices, "form": form or StatementForm()}
    return render(request, "portal/documents.html", context, status=422 if form is not None else 200)


@customer_page
def documents(request: ActorRequest) -> HttpResponse:
    return _documents_page(request)


@customer_page
@require_GET
def document_download(request: ActorRequest, document_id: int) -> HttpResponse:
    document = selectors.document_for_customer(request.actor, document_id)
    file = selectors.document_file(document)
    return pdf_download(file.filename, file.content)


@customer_page
@require_POST
def statement_request(request: ActorRequest) -> HttpResponse:
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            document = actions.statement_issue(actor=request.actor, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Statement %(number)s is ready.") % {"number": document.number})
            return redirect("portal:documents")
    return _documents_page(request, form)


@customer_page
@require_GET
def offer(request: ActorRequest) -> HttpResponse:
    """The offer (contract) to read before accepting it at the first order."""
    customer = request.actor.require_customer(CustomerPermission.ORDER)
    return HttpResponse(rendering.offer_preview_html(customer))
