"""Reads of orders and services; customer-facing ones start from ``customer_scope``."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.catalog.selectors import pricing_prefetch, promo_by_code
from hostkeep.core import clock
from hostkeep.services.actions import CheckoutQuote, checkout_quote
from hostkeep.services.models import CartItem, Order, OrderLine, Service, ServiceAddon, ServiceChange, ServiceEvent

SERVICE_RELATED = ("product", "plan__product", "customer", "order_line__order")
SERVICE_HISTORY = (
    Prefetch("addons", queryset=ServiceAddon.objects.select_related("addon").order_by("id")),
    Prefetch("events", queryset=ServiceEvent.objects.order_by("occurred_at", "id")),
    Prefetch(
        "changes", queryset=ServiceChange.objects.select_related("from_plan", "to_plan").order_by("occurred_at", "id")
    ),
)


def cart_for_customer(actor: Actor) -> QuerySet[CartItem]:
    return customer_scope(CartItem.objects.select_related("plan__product"), actor, CustomerPermission.ORDER)


def cart_quote_for_customer(actor: Actor, *, promo_code: str = "") -> CheckoutQuote:
    """The cart priced exactly as checkout would price it now (promo code and tax included),
    without placing anything."""
    items = list(
        cart_for_customer(actor)
        .select_related("plan__product__group")
        .prefetch_related(*pricing_prefetch("plan__"))
        .order_by("pk")
    )
    customer = actor.require_customer(CustomerPermission.ORDER)
    return checkout_quote(customer=customer, items=items, promo=promo_by_code(promo_code), at=clock.now())


def orders_for_customer(actor: Actor) -> QuerySet[Order]:
    return customer_scope(
        Order.objects.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("plan"))),
        actor,
        CustomerPermission.VIEW_SERVICES,
    ).order_by("-created_at", "-id")


def order_for_customer(actor: Actor, order_id: object) -> Order:
    return get_scoped(orders_for_customer(actor), order_id)


def services_for_customer(actor: Actor) -> QuerySet[Service]:
    return customer_scope(
        Service.objects.select_related(*SERVICE_RELATED), actor, CustomerPermission.VIEW_SERVICES
    ).order_by("-created_at", "-id")


def service_for_customer(actor: Actor, service_id: object) -> Service:
    return get_scoped(services_for_customer(actor).prefetch_related(*SERVICE_HISTORY), service_id)


def services_for_staff(
    actor: Actor, *, status: str = "", customer_id: int | None = None, search: str = ""
) -> QuerySet[Service]:
    """Every customer's services, newest first; ``search`` matches the customer's name, a
    contact's e-mail or the service's label."""
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = Service.objects.select_related(*SERVICE_RELATED).order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if search:
        matching_customers = Customer.objects.filter(
            Q(name__icontains=search) | Q(contacts__user__email__icontains=search)
        ).values("pk")
        queryset = queryset.filter(Q(customer_id__in=matching_customers) | Q(label__icontains=search))
    return queryset


def service_for_staff(actor: Actor, service_id: object) -> Service:
    return get_scoped(services_for_staff(actor).prefetch_related(*SERVICE_HISTORY), service_id)


def orders_for_staff(actor: Actor, *, status: str = "") -> QuerySet[Order]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = (
        Order.objects.select_related("customer", "promo_code")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("plan")))
        .order_by("-created_at", "-id")
    )
    return queryset.filter(status=status) if status else queryset
