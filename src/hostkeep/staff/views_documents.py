"""Staff pages of documents: every document with download, regenerate (byte for byte from
the stored snapshot) and translate; statements for a customer; CSV exports for accountants;
and each provider legal entity's document settings (stamp, signature, signer)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.accounts.selectors import get_scoped
from hostkeep.core import clock
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.documents import actions, exports, selectors
from hostkeep.documents.choices import DOCUMENT_LANGUAGES, DocumentKind
from hostkeep.staff.views import staff_page


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))


class StatementForm(PeriodForm):
    customer_id = forms.IntegerField(label=gettext_lazy("Customer id"), min_value=1)


class EntityDocumentsForm(forms.ModelForm[ProviderLegalEntity]):
    class Meta:
        model = ProviderLegalEntity
        fields = [
            "name_ru", "address_ru", "bank_details_ru", "logo", "stamp", "signature",
            "signer_name", "signer_position", "signer_name_ru", "signer_position_ru", "offer_version",
        ]  # fmt: skip


def pdf_download(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _month_start() -> dt.date:
    return clock.today().replace(day=1)


@staff_page
def documents(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    kind = request.GET.get("kind", "")
    kind = kind if kind in DocumentKind.values else ""
    search = request.GET.get("q", "").strip()[:60]
    page = Paginator(selectors.documents_for_staff(actor, kind=kind, search=search), 50).get_page(
        request.GET.get("page")
    )
    today = clock.today()
    context = {
        "page": page,
        "kind": kind,
        "q": search,
        "kinds": DocumentKind.choices,
        "languages": DOCUMENT_LANGUAGES,
        "can_manage": actor.can(StaffPermission.MANAGE_BILLING),
        "export_form": PeriodForm(initial={"start": _month_start(), "end": today}),
        "statement_form": StatementForm(initial={"start": _month_start(), "end": today}),
        "exports": exports.EXPORTS,
    }
    return render(request, "staff/documents.html", context)


@staff_page
@require_GET
def document_download(request: ActorRequest, document_id: int) -> HttpResponse:
    document = selectors.document_for_staff(request.actor, document_id)
    file = selectors.document_file(document)
    return pdf_download(file.filename, file.content)


@staff_page
@require_POST
def document_regenerate(request: ActorRequest, document_id: int) -> HttpResponse:
    """Draw the PDF again from the snapshot; it is served only if byte-for-byte identical."""
    try:
        result = actions.document_regenerate(actor=request.actor, document_id=document_id)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("staff:documents")
    return pdf_download(result.document.filename, result.pdf)


@staff_page
@require_POST
def document_translate(request: ActorRequest, document_id: int) -> HttpResponse:
    try:
        document = actions.document_translate(
            actor=request.actor, document_id=document_id, language=request.POST.get("language", "")
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(number)s is issued in %(language)s.") % {
            "number": document.number, "language": document.language.upper()
        })  # fmt: skip
    return redirect("staff:documents")


@staff_page
@require_POST
def statement_issue(request: ActorRequest) -> HttpResponse:
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a customer id and a period."))
        return redirect("staff:documents")
    try:
        document = actions.statement_issue(actor=request.actor, **form.cleaned_data)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Statement %(number)s is issued.") % {"number": document.number})
    return redirect("staff:documents")


@staff_page  # type: ignore[arg-type]  # a streamed CSV is an HttpResponseBase, not an HttpResponse
@require_GET
def export(request: ActorRequest, name: str) -> HttpResponse | StreamingHttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid() or name not in exports.EXPORTS:
        messages.error(request, _("Choose a period to export."))
        return redirect("staff:documents")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        lines = exports.export_csv(actor=request.actor, name=name, start=start, end=end)
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("staff:documents")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{start.isoformat()}-{end.isoformat()}.csv"'
    return response


@staff_page
def entities(request: ActorRequest) -> HttpResponse:
    return render(
        request, "staff/documents_entities.html", {"entities": selectors.provider_entities_for_staff(request.actor)}
    )


@staff_page
def entity_edit(request: ActorRequest, entity_id: int) -> HttpResponse:
    entity = get_scoped(selectors.provider_entities_for_staff(request.actor), entity_id)
    form = EntityDocumentsForm(request.POST or None, request.FILES or None, instance=entity)
    if request.method == "POST" and form.is_valid():
        actions.provider_entity_documents_save(
            actor=request.actor, entity=form.save(commit=False), changed=form.changed_data
        )
        messages.success(request, _("The document settings of %(entity)s are saved.") % {"entity": entity.name})
        return redirect("staff:documents_entities")
    status = 422 if form.errors else 200
    return render(request, "staff/documents_entity_edit.html", {"entity": entity, "form": form}, status=status)
