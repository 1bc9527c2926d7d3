"""Reads of orders and services; customer-facing ones start from ``customer_scope``."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.services.models import CartItem, Order, OrderLine, Service, ServiceAddon, ServiceEvent

SERVICE_RELATED = ("plan__product", "customer", "order_line__order")


def cart_for_customer(actor: Actor) -> QuerySet[CartItem]:
    return customer_scope(CartItem.objects.select_related("plan__product"), actor, CustomerPermission.ORDER)


def orders_for_customer(actor: Actor) -> QuerySet[Order]:
    return customer_scope(
        Order.objects.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("plan"))),
        actor,
        CustomerPermission.VIEW_SERVICES,
    )


def services_for_customer(actor: Actor) -> QuerySet[Service]:
    return customer_scope(
        Service.objects.select_related(*SERVICE_RELATED), actor, CustomerPermission.VIEW_SERVICES
    ).order_by("-created_at", "-id")


def service_for_customer(actor: Actor, service_id: object) -> Service:
    queryset = services_for_customer(actor).prefetch_related(
        Prefetch("addons", queryset=ServiceAddon.objects.select_related("addon")),
        Prefetch("events", queryset=ServiceEvent.objects.order_by("occurred_at", "id")),
        "changes",
    )
    return get_scoped(queryset, service_id)


def services_for_staff(
    actor: Actor, *, status: str = "", customer_id: int | None = None, search: str = ""
) -> QuerySet[Service]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = Service.objects.select_related(*SERVICE_RELATED).order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if search:
        queryset = queryset.filter(customer__name__icontains=search) | queryset.filter(label__icontains=search)
    return queryset


def service_for_staff(actor: Actor, service_id: object) -> Service:
    queryset = services_for_staff(actor).prefetch_related(
        Prefetch("addons", queryset=ServiceAddon.objects.select_related("addon")),
        Prefetch("events", queryset=ServiceEvent.objects.order_by("occurred_at", "id")),
        "changes",
    )
    return get_scoped(queryset, service_id)


def orders_for_staff(actor: Actor, *, status: str = "") -> QuerySet[Order]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = Order.objects.select_related("customer").order_by("-created_at", "-id")
    return queryset.filter(status=status) if status else queryset
