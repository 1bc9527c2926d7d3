"""Portal pages for buying: the catalogue, a product's order page with its price computed
on the server as the customer chooses, the cart and checkout (where the first order accepts
the offer, recorded with the contract by documents)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import Actor, CustomerPermission
from hostkeep.catalog import selectors as catalog_selectors
from hostkeep.core.errors import Conflict, HostkeepError, ValidationFailed
from hostkeep.documents import actions as document_actions
from hostkeep.documents import selectors as document_selectors
from hostkeep.portal.forms_ordering import CheckoutForm, OrderForm, PromoForm, problems_of
from hostkeep.portal.views import customer_page
from hostkeep.services import actions, selectors
from hostkeep.services.actions import CheckoutQuote


@customer_page
def catalogue(request: ActorRequest) -> HttpResponse:
    groups = catalog_selectors.catalogue_for_customer(request.actor)
    return render(request, "portal/catalogue.html", {"groups": groups})


@customer_page
def product_order(request: ActorRequest, slug: str) -> HttpResponse:
    actor = request.actor
    product = catalog_selectors.product_for_customer(actor, slug)
    form = OrderForm(product, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.cart_add(actor=actor, **form.cart_choices())
        except HostkeepError as error:
            form.refuse(error)
        else:
            messages.success(request, _("%(product)s is in your cart.") % {"product": product.name})
            return redirect("portal:cart")
    context = {"product": product, "form": form, "can_order": actor.can(CustomerPermission.ORDER)}
    return render(request, "portal/product_order.html", context, status=422 if form.errors else 200)


@customer_page
@require_GET
def product_quote(request: ActorRequest, slug: str) -> HttpResponse:
    """The price of the choices on the order page, drawn by htmx as they change."""
    actor = request.actor
    form = OrderForm(catalog_selectors.product_for_customer(actor, slug), request.GET)
    context: dict[str, object] = {"problems": [str(e) for errors in form.errors.values() for e in errors]}
    if form.is_valid():
        try:
            context["priced"] = catalog_selectors.item_quote_for_customer(actor, **form.item_choices())
        except ValidationFailed as error:
            context["problems"] = problems_of(error)
    return render(request, "portal/_item_quote.html", context)


def _priced_cart(actor: Actor, promo_code: str, form: PromoForm) -> CheckoutQuote | None:
    """The cart priced with the promo code, or without it when the code is refused."""
    for code in dict.fromkeys([promo_code, ""]):
        try:
            return selectors.cart_quote_for_customer(actor, promo_code=code)
        except ValidationFailed as error:
            form.refuse(error)
    return None


@customer_page
def cart(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = PromoForm(request.GET or None)
    promo_code = form.cleaned_data["promo_code"] if form.is_valid() else ""
    quote = _priced_cart(actor, promo_code, form)
    applied = quote.promo.code if quote is not None and quote.promo is not None else ""
    context = {
        "items": selectors.cart_for_customer(actor),
        "quote": quote,
        "form": form,
        "checkout_form": CheckoutForm(
            initial={"promo_code": applied, "idempotency_key": uuid.uuid4().hex},
            offer_needed=not document_selectors.offer_accepted(actor),
        ),
    }
    return render(request, "portal/cart.html", context)


@customer_page
@require_POST
def cart_remove(request: ActorRequest, item_id: int) -> HttpResponse:
    actions.cart_remove(actor=request.actor, item_id=item_id)
    messages.success(request, _("Removed from your cart."))
    return redirect("portal:cart")


@customer_page
@require_POST
def checkout(request: ActorRequest) -> HttpResponse:
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date; please check your cart and try again."))
        return redirect("portal:cart")
    try:
        order = document_actions.checkout_with_offer(actor=request.actor, **form.cleaned_data)
    except (ValidationFailed, Conflict) as error:
        for problem in problems_of(error):
            messages.error(request, problem)
        query = urlencode({"promo_code": form.cleaned_data["promo_code"]}) if form.cleaned_data["promo_code"] else ""
        return redirect(f"{reverse('portal:cart')}{'?' if query else ''}{query}")
    messages.success(request, _("Thank you: order %(number)s is placed.") % {"number": order.number})
    return redirect("portal:services")


@customer_page
def orders(request: ActorRequest) -> HttpResponse:
    page = Paginator(selectors.orders_for_customer(request.actor), 50).get_page(request.GET.get("page"))
    return render(request, "portal/orders.html", {"page": page})
