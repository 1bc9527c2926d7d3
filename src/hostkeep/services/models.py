"""What customers bought: carts, orders and their lines, and the sold Service with its state
history, add-ons and the record of every plan change and its prorated amount."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer
from hostkeep.catalog.choices import PeriodUnit
from hostkeep.catalog.models import Addon, Plan, Product, PromoCode
from hostkeep.core.fields import AmountField
from hostkeep.services.choices import ChangeKind, OrderStatus, ServiceStatus


class CartItem(models.Model):
    """Something a customer means to order: only choices, never prices (those are computed)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cart_items")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    period_unit = models.CharField(max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField(default=1)
    option_values = models.JSONField(default=dict, blank=True)
    addon_codes = models.JSONField(default=list, blank=True)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.plan}"


class Order(models.Model):
    """A checkout: priced on the server at that instant, numbered, and never re-priced."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    currency = models.CharField(_("currency"), max_length=3)
    net_total = AmountField(_("net"))
    discount_total = AmountField(_("discount"))
    tax_total = AmountField(_("tax"))
    total = AmountField(_("total"))
    promo_code = models.ForeignKey(PromoCode, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    idempotency_key = models.CharField(max_length=100)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("placed"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["customer", "idempotency_key"], name="order_checkout_once"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """One ordered unit; it becomes exactly one Service. Amounts as priced at checkout."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    period_unit = models.CharField(max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField()
    option_values = models.JSONField(default=dict)
    addon_codes = models.JSONField(default=list)
    recurring_amount = AmountField()
    first_amount = AmountField()
    discount = AmountField()
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4)
    net = AmountField()
    tax = AmountField()
    gross = AmountField()
    breakdown = models.JSONField(default=list)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return self.description


class Service(models.Model):
    """A sold service and where it is in its life.

    ``paid_rate`` is the full-period price the current period was actually paid at (after
    discounts and earlier prorated changes); plan changes are prorated from it, never from the
    list price, so a second change in one period cannot overcharge. ``recurring_amount`` is
    what the next period will cost. The state only moves through ``actions.service_transition``.
    """

    # Indexed with the status, (customer, status).
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services", db_index=False)
    order_line = models.OneToOneField(
        OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="service"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="services")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="services")
    label = models.CharField(_("label"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.PENDING)
    status_changed_at = models.DateTimeField(_("status since"))
    currency = models.CharField(_("currency"), max_length=3)
    period_unit = models.CharField(_("period unit"), max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField(_("period length"), default=1)
    anchor_day = models.PositiveSmallIntegerField(_("renewal day"), default=1)
    current_period_start = models.DateTimeField(_("period start"))
    current_period_end = models.DateTimeField(_("period end"))
    # Not indexed: every renewal moves the period and the due date, and with none of the
    # columns it moves in an index (and room left on each page, see the migration setting the
    # fillfactor) PostgreSQL rewrites the row in place (a HOT update) without touching an index.
    next_due_date = models.DateField(_("next due date"))
    recurring_amount = AmountField(_("price per period"))
    paid_rate = AmountField(_("rate paid for this period"))
    option_values = models.JSONField(_("options"), default=dict, blank=True)
    module_limits = models.JSONField(_("module limits"), default=dict, blank=True)
    promo_code = models.ForeignKey(PromoCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [
            models.Index(fields=["status"], name="services_status"),
            models.Index(fields=["customer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_period_end__gt=models.F("current_period_start")), name="service_period_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(recurring_amount__gte=0) & Q(paid_rate__gte=0), name="service_amounts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.plan} #{self.pk}"


class ServiceAddon(models.Model):
    """An add-on billed as its own item, linked to the service it extends."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="addons")
    addon = models.ForeignKey(Addon, on_delete=models.PROTECT, related_name="+")
    recurring_amount = AmountField()
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("service add-on")
        verbose_name_plural = _("service add-ons")

    def __str__(self) -> str:
        return f"{self.addon} on {self.service_id}"


class ServiceEvent(models.Model):
    """One transition of a service's state, with who moved it and why (append-only history)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor_label = models.CharField(max_length=254)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("service event")
        verbose_name_plural = _("service events")

    def __str__(self) -> str:
        return f"{self.service_id}: {self.from_status} -> {self.to_status}"


class ServiceChange(models.Model):
    """A change of plan or options (or an early cancellation) and the money it moves:
    ``amount`` > 0 is charged, < 0 credited, prorated by seconds of the period left.
    Billing posts it to the ledger and marks ``billed_at``."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    occurred_at = models.DateTimeField()
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    from_options = models.JSONField(default=dict)
    to_options = models.JSONField(default=dict)
    old_rate = AmountField()
    new_rate = AmountField()
    seconds_left = models.PositiveIntegerField()
    seconds_total = models.PositiveIntegerField()
    amount = AmountField()
    currency = models.CharField(max_length=3)
    actor_label = models.CharField(max_length=254)
    reason = models.TextField(blank=True)
    billed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("service change")
        verbose_name_plural = _("service changes")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class PromoRedemption(models.Model):
    """A promo code used by a customer on an order (counted for per-customer limits)."""

    promo_code = models.ForeignKey(PromoCode, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="redemption")
    redeemed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("promo redemption")
        verbose_name_plural = _("promo redemptions")

    def __str__(self) -> str:
        return f"{self.promo_code} by {self.customer_id}"
