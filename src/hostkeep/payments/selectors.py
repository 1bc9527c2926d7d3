"""Reads of payments for the portal, the staff area and the API. Customer reads start from
``customer_scope``, so another customer's payments and saved methods are simply not there;
staff reads check the permission first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.payments.actions import _available_accounts
from hostkeep.payments.choices import PaymentStatus, StatementLineStatus
from hostkeep.payments.interface import Capability, gateways
from hostkeep.payments.models import (
    GatewayAccount,
    NotificationLog,
    Payment,
    SavedMethod,
    StatementImport,
    StatementLine,
)


@dataclass(frozen=True)
class PaymentOption:
    """An enabled gateway account the customer may pay with, and whether it can save the method."""

    account: GatewayAccount
    can_save_method: bool
    offline: bool


def payment_options_for_customer(actor: Actor) -> list[PaymentOption]:
    customer = actor.require_customer(CustomerPermission.PAY)
    return [
        PaymentOption(
            account=account,
            can_save_method=Capability.SAVED_METHODS in gateways.get(account.gateway).capabilities,
            offline=Capability.OFFLINE in gateways.get(account.gateway).capabilities,
        )
        for account in _available_accounts(customer, customer.currency, Capability.CHECKOUT)
    ]


def payments_for_customer(actor: Actor) -> QuerySet[Payment]:
    return customer_scope(
        Payment.objects.select_related("account", "saved_method"), actor, CustomerPermission.VIEW_BILLING
    ).order_by("-created_at", "-id")


def payment_for_customer(actor: Actor, payment_id: object) -> Payment:
    return get_scoped(payments_for_customer(actor), payment_id)


def saved_methods_for_customer(actor: Actor) -> QuerySet[SavedMethod]:
    return customer_scope(SavedMethod.objects.select_related("account"), actor, CustomerPermission.VIEW_BILLING).filter(
        removed_at__isnull=True
    )


def payments_for_staff(
    actor: Actor, *, status: str = "", customer_id: int | None = None, gateway: str = ""
) -> QuerySet[Payment]:
    actor.require(StaffPermission.VIEW_BILLING)
    queryset = Payment.objects.select_related("account", "customer").order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if gateway:
        queryset = queryset.filter(account__gateway=gateway)
    return queryset


def payment_for_staff(actor: Actor, payment_id: object) -> Payment:
    actor.require(StaffPermission.VIEW_BILLING)
    return get_scoped(
        Payment.objects.select_related("account", "customer", "saved_method").prefetch_related("refunds", "events"),
        payment_id,
    )


def review_queue_for_staff(actor: Actor) -> QuerySet[Payment]:
    return payments_for_staff(actor, status=PaymentStatus.HELD)


def gateway_accounts_for_staff(actor: Actor) -> QuerySet[GatewayAccount]:
    actor.require(StaffPermission.VIEW_BILLING)
    return GatewayAccount.objects.order_by("position", "id")


def offline_accounts_for_staff(actor: Actor) -> list[GatewayAccount]:
    return [
        account
        for account in gateway_accounts_for_staff(actor)
        if account.gateway in gateways and Capability.OFFLINE in gateways.get(account.gateway).capabilities
    ]


def statement_lines_waiting_for_staff(actor: Actor) -> QuerySet[StatementLine]:
    actor.require(StaffPermission.VIEW_BILLING)
    return (
        StatementLine.objects.filter(status__in=(StatementLineStatus.UNMATCHED, StatementLineStatus.REVIEW))
        .select_related("statement__account", "payment")
        .order_by("booked_on", "id")
    )


def statements_for_staff(actor: Actor) -> QuerySet[StatementImport]:
    actor.require(StaffPermission.VIEW_BILLING)
    return StatementImport.objects.select_related("account").order_by("-imported_at", "-id")


def notification_log_for_staff(actor: Actor) -> QuerySet[NotificationLog]:
    actor.require(StaffPermission.VIEW_BILLING)
    return NotificationLog.objects.select_related("account").order_by("-received_at", "-id")
