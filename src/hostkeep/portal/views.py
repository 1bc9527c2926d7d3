"""Customer portal pages: thin views over accounts' selectors and actions."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from hostkeep.accounts import actions, selectors
from hostkeep.accounts.middleware import CUSTOMER_SESSION_KEY, ActorRequest
from hostkeep.accounts.permissions import CustomerPermission
from hostkeep.core.errors import HostkeepError, NotFound, PermissionRefused
from hostkeep.portal.forms import ContactForm, LegalEntityForm, TokenForm

View = Callable[..., HttpResponse]


def customer_page(view: View) -> View:
    """A portal page: logged in, acting for a customer account; refusals become messages."""

    @login_required
    @wraps(view)
    def wrapper(request: ActorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_customer:
            if request.actor.is_staff:
                return redirect("staff:dashboard")
            return render(request, "portal/no_account.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            return render(request, "error.html", {"error": error}, status=404)
        except HostkeepError as error:
            return render(request, "error.html", {"error": error}, status=error.status)

    return wrapper


def home(request: ActorRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.actor.is_staff and not request.actor.is_customer:
        return redirect("staff:dashboard")
    return redirect("portal:dashboard")


def language_switch(request: ActorRequest) -> HttpResponse:
    """Django's set_language, and the choice is remembered on the login for messages."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        # An unknown language was already ignored by set_language; nothing to remember then.
        with contextlib.suppress(HostkeepError):
            actions.user_set_language(actor=request.actor, language=language)
    return response


def _form_errors(form: Any, error: HostkeepError) -> None:
    """Show a refused value on the form. A refusal of the action itself (no permission, not
    found) is raised again, for ``customer_page`` to render as an error page: the form may
    not even be shown to that role."""
    if isinstance(error, PermissionRefused | NotFound):
        raise error
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)


@customer_page
def dashboard(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    context = {
        "accounts": selectors.accounts_of_user(request.actor.user),
        "contact_count": selectors.contacts_for_customer(actor).count(),
        "recent": selectors.audit_for_customer(actor)[:5] if actor.can(CustomerPermission.VIEW_AUDIT) else [],
    }
    return render(request, "portal/dashboard.html", context)


@login_required
@require_POST
def switch_account(request: ActorRequest, customer_id: int) -> HttpResponse:
    if selectors.accounts_of_user(request.actor.user).filter(customer_id=customer_id).exists():
        request.session[CUSTOMER_SESSION_KEY] = customer_id
    return redirect("portal:dashboard")


@customer_page
def contacts(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.contact_add(actor=actor, **form.cleaned_data)
        except HostkeepError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Contact added."))
            return redirect("portal:contacts")
    context = {
        "contacts": selectors.contacts_for_customer(actor),
        "form": form,
        "can_manage": actor.can(CustomerPermission.MANAGE_CONTACTS),
    }
    return render(request, "portal/contacts.html", context, status=422 if form.errors else 200)


@customer_page
@require_POST
def contact_remove(request: ActorRequest, contact_id: int) -> HttpResponse:
    actions.contact_remove(actor=request.actor, contact_id=contact_id)
    messages.success(request, _("Contact removed."))
    return redirect("portal:contacts")


@customer_page
def legal_entities(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = LegalEntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.legal_entity_save(actor=actor, values=form.cleaned_data)
        except HostkeepError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Legal entity saved."))
            return redirect("portal:legal_entities")
    context = {
        "entities": selectors.legal_entities_for_customer(actor),
        "form": form,
        "can_manage": actor.can(CustomerPermission.MANAGE_LEGAL_ENTITIES),
    }
    return render(request, "portal/legal_entities.html", context, status=422 if form.errors else 200)


@customer_page
def legal_entity_edit(request: ActorRequest, entity_id: int) -> HttpResponse:
    actor = request.actor
    entity = selectors.get_scoped(selectors.legal_entities_for_customer(actor), entity_id)
    initial = {field: getattr(entity, field) for field in actions.LEGAL_ENTITY_FIELDS}
    form = LegalEntityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.legal_entity_save(actor=actor, entity_id=entity.pk, values=form.cleaned_data)
        except HostkeepError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Legal entity saved."))
            return redirect("portal:legal_entities")
    return render(request, "portal/legal_entity_edit.html", {"entity": entity, "form": form})


@customer_page
@require_POST
def legal_entity_delete(request: ActorRequest, entity_id: int) -> HttpResponse:
    actions.legal_entity_delete(actor=request.actor, entity_id=entity_id)
    messages.success(request, _("Legal entity deleted."))
    return redirect("portal:legal_entities")


@customer_page
def tokens(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = actions.api_token_create(actor=actor, name=form.cleaned_data["name"])
        except HostkeepError as error:
            _form_errors(form, error)
        else:
            form = TokenForm()
    can_manage = actor.can(CustomerPermission.MANAGE_OWN_TOKENS)
    context = {
        "tokens": selectors.tokens_for_actor(actor) if can_manage else [],
        "form": form,
        "created": created,
        "can_manage": can_manage,
    }
    return render(request, "portal/tokens.html", context)


@customer_page
@require_POST
def token_revoke(request: ActorRequest, token_id: int) -> HttpResponse:
    actions.api_token_revoke(actor=request.actor, token_id=token_id)
    messages.success(request, _("Token revoked."))
    return redirect("portal:tokens")


@customer_page
def activity(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.audit_for_customer(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "portal/activity.html", {"page": page})
