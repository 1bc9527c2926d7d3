"""Writes of services: the cart, checkout, the state machine, plan changes and cancellation."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.catalog.choices import PeriodUnit, PricingModel, RefundPolicy
from hostkeep.catalog.models import Plan, Product, PromoCode
from hostkeep.catalog.pricing import ItemQuote, order_period, quote_item
from hostkeep.catalog.selectors import plan_for_ordering, promo_by_code
from hostkeep.catalog.tax import quote_tax_context
from hostkeep.core import clock
from hostkeep.core.actions import audit_record, outbox_emit, sequence_next
from hostkeep.core.errors import Conflict, PermissionRefused, ValidationFailed
from hostkeep.core.money import Money
from hostkeep.services import periods
from hostkeep.services.choices import SERVICE_TRANSITIONS, CancelWhen, ChangeKind, OrderStatus, ServiceStatus
from hostkeep.services.models import (
    CartItem,
    Order,
    OrderLine,
    PromoRedemption,
    Service,
    ServiceAddon,
    ServiceChange,
    ServiceEvent,
)

MAX_QUANTITY = 20
MAX_CART_ITEMS = 50


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _refuse("quantity", _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY})
    try:
        quantity = int(value)
    except ValueError:
        raise _refuse("quantity", _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY}) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise _refuse("quantity", _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY})
    return quantity


@transaction.atomic
def cart_add(
    *,
    actor: Actor,
    plan_id: object,
    period_unit: str = PeriodUnit.MONTH,
    period_count: Any = 1,
    option_values: dict[str, Any] | None = None,
    addon_codes: list[str] | None = None,
    quantity: Any = 1,
) -> tuple[CartItem, ItemQuote]:
    """Put a plan with its choices in the cart, after pricing it to prove the choices are valid."""
    customer = actor.require_customer(CustomerPermission.ORDER)
    count = _quantity(quantity)
    if not isinstance(option_values or {}, dict) or not isinstance(addon_codes or [], list):
        raise _refuse("options", _("Options must be an object and add-ons a list."))
    plan = plan_for_ordering(plan_id)
    unit, length = order_period(plan, period_unit, period_count)
    quote = quote_item(
        plan=plan,
        currency=customer.currency,
        period_unit=unit,
        period_count=length,
        option_values=option_values,
        addon_codes=[str(code) for code in addon_codes or []],
        at=clock.now(),
    )
    if CartItem.objects.filter(customer=customer).count() >= MAX_CART_ITEMS:
        raise Conflict(_("The cart is full."))
    item = CartItem.objects.create(
        customer=customer,
        plan=plan,
        period_unit=unit,
        period_count=length,
        option_values=quote.option_values,
        addon_codes=quote.addon_codes,
        quantity=count,
    )
    return item, quote


@transaction.atomic
def cart_remove(*, actor: Actor, item_id: object) -> None:
    actor.require_customer(CustomerPermission.ORDER)
    get_scoped(customer_scope(CartItem.objects.all(), actor, CustomerPermission.ORDER), item_id).delete()


@dataclass(frozen=True)
class CheckoutLine:
    item: CartItem
    quote: ItemQuote
    tax_rate: Decimal
    net: Money
    tax: Money
    gross: Money


@dataclass(frozen=True)
class CheckoutQuote:
    currency: str
    lines: list[CheckoutLine]
    net: Money
    discount: Money
    tax: Money
    total: Money
    promo: PromoCode | None


def checkout_quote(
    *, customer: Customer, items: list[CartItem], promo: PromoCode | None, at: dt.datetime
) -> CheckoutQuote:
    """Price the cart from the catalogue, with tax per line rounded half-up, then summed."""
    lines = []
    currency = customer.currency
    taxes = quote_tax_context(customer)
    promo_used = False
    for item in items:
        for _unit in range(item.quantity):
            apply_promo = promo if promo is not None and not promo_used else None
            quote = quote_item(
                plan=item.plan,
                currency=currency,
                period_unit=item.period_unit,
                period_count=item.period_count,
                option_values=item.option_values,
                addon_codes=item.addon_codes,
                promo=apply_promo,
                at=at,
            )
            if apply_promo is not None:
                promo_used = True
            rate, net, tax, gross = taxes.split(quote.first_payment, item.plan.product.tax_class_id)
            lines.append(CheckoutLine(item=item, quote=quote, tax_rate=rate, net=net, tax=tax, gross=gross))
    zero = Money.zero(currency)
    net_total = sum((line.net for line in lines), zero)
    tax_total = sum((line.tax for line in lines), zero)
    discount = sum((line.quote.discount_first for line in lines), zero).rounded()
    return CheckoutQuote(
        currency=currency,
        lines=lines,
        net=net_total,
        discount=discount,
        tax=tax_total,
        total=net_total + tax_total,
        promo=promo,
    )


def _record_event(
    service: Service, *, from_status: str, to_status: str, actor: Actor, reason: str, at: dt.datetime
) -> None:
    ServiceEvent.objects.create(
        service=service,
        occurred_at=at,
        from_status=from_status,
        to_status=to_status,
        actor_label=actor.audit().label[:254],
        actor_user=actor.user if actor.user else None,
        reason=reason,
    )


@transaction.atomic
def checkout(*, actor: Actor, promo_code: str = "", idempotency_key: str = "") -> Order:
    """Turn the cart into an order with one pending service per unit.

    Products (for stock) and the promo code (for its limits) are locked in a fixed order, so
    concurrent checkouts queue and limits hold. The same idempotency key returns the same order.
    """
    customer = actor.require_customer(CustomerPermission.ORDER)
    key = (idempotency_key or "").strip()[:100] or uuid.uuid4().hex
    existing = Order.objects.filter(customer=customer, idempotency_key=key).first()
    if existing is not None:
        return existing
    now = clock.now()
    items = list(
        CartItem.objects.select_for_update()
        .filter(customer=customer)
        .select_related("plan__product__group")
        .order_by("pk")
    )
    if not items:
        raise _refuse("cart", _("The cart is empty."))
    wanted: dict[int, int] = {}
    for item in items:
        wanted[item.plan.product_id] = wanted.get(item.plan.product_id, 0) + item.quantity
    products = {p.pk: p for p in Product.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    for product_id, count in wanted.items():
        product = products[product_id]
        if product.stock_limit is not None and product.stock_used + count > product.stock_limit:
            raise Conflict(_("%(product)s is out of stock.") % {"product": product.name}, code="out_of_stock")
    promo = promo_by_code(promo_code, lock=True)
    if promo is not None:
        if promo.max_uses is not None and promo.times_used >= promo.max_uses:
            raise Conflict(_("This promo code has been used up."), code="promo_used_up")
        if promo.max_uses_per_customer is not None and (
            PromoRedemption.objects.filter(promo_code=promo, customer=customer).count() >= promo.max_uses_per_customer
        ):
            raise Conflict(_("You have already used this promo code."), code="promo_used_up")
    quote = checkout_quote(customer=customer, items=items, promo=promo, at=now)
    requires_approval = any(products[pid].requires_approval for pid in wanted)
    order = Order(
        customer=customer,
        currency=quote.currency,
        net_total=quote.net.amount,
        discount_total=quote.discount.amount,
        tax_total=quote.tax.amount,
        total=quote.total.amount,
        promo_code=promo,
        idempotency_key=key,
        placed_by=actor.user,
        created_at=now,
        status=OrderStatus.AWAITING_APPROVAL if requires_approval else OrderStatus.PLACED,
        number=f"ORD-{now.year}-{sequence_next(scope=f'order:{now.year}'):06d}",
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        return Order.objects.get(customer=customer, idempotency_key=key)
    for line in quote.lines:
        _create_service(order=order, line=line, customer=customer, actor=actor, now=now)
    for product_id, count in wanted.items():
        Product.objects.filter(pk=product_id).update(stock_used=F("stock_used") + count)
    if promo is not None:
        PromoCode.objects.filter(pk=promo.pk).update(times_used=F("times_used") + 1)
        PromoRedemption.objects.create(promo_code=promo, customer=customer, order=order, redeemed_at=now)
    CartItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    audit_record(
        actor=actor.audit(),
        action="order.place",
        customer_id=customer.pk,
        object_type="order",
        object_id=order.pk,
        detail={"number": order.number, "total": str(order.total), "currency": order.currency},
    )
    outbox_emit(topic="order.placed", payload={"order_id": order.pk, "customer_id": customer.pk})
    return order


def _create_service(*, order: Order, line: CheckoutLine, customer: Customer, actor: Actor, now: dt.datetime) -> None:
    quote = line.quote
    plan = quote.plan
    description = f"{plan.product.name} — {plan.name}"
    order_line = OrderLine.objects.create(
        order=order,
        product=plan.product,
        plan=plan,
        description=description[:300],
        period_unit=quote.period_unit,
        period_count=quote.period_count,
        option_values=quote.option_values,
        addon_codes=quote.addon_codes,
        recurring_amount=quote.recurring_amount.amount,
        first_amount=quote.first_payment.amount,
        discount=quote.discount_first.amount,
        tax_rate=line.tax_rate,
        net=line.net.amount,
        tax=line.tax.amount,
        gross=line.gross.amount,
        breakdown=[
            {
                "kind": p.kind,
                "code": p.code,
                "description": p.description,
                "amount": str(p.amount.amount),
                "recurring": p.recurring,
            }
            for p in quote.lines
        ],
    )
    start, end, anchor = periods.first_period(now, unit=quote.period_unit, count=quote.period_count)
    if plan.trial_days:
        end = periods.local_midnight(
            start.astimezone(clock.provider_zone()).date() + dt.timedelta(days=plan.trial_days)
        )
    setup_total = sum((p.amount for p in quote.lines if p.kind == "setup"), Money.zero(quote.currency))
    paid_rate = Decimal(0) if plan.trial_days else (quote.first_payment - setup_total).amount
    service = Service.objects.create(
        customer=customer,
        order_line=order_line,
        product=plan.product,
        plan=plan,
        status=ServiceStatus.PENDING,
        status_changed_at=now,
        currency=quote.currency,
        period_unit=quote.period_unit,
        period_count=quote.period_count,
        anchor_day=anchor or 1,
        current_period_start=start,
        current_period_end=end,
        next_due_date=end.astimezone(clock.provider_zone()).date(),
        recurring_amount=quote.recurring_amount.amount,
        paid_rate=max(paid_rate, Decimal(0)),
        option_values=quote.option_values,
        module_limits=quote.module_limits,
        promo_code=order.promo_code if quote.discount_recurring.amount else None,
        auto_renew=plan.product.auto_renew_default and plan.pricing_model != PricingModel.ONE_TIME,
        created_at=now,
    )
    for code, amount in quote.addon_amounts.items():
        addon = next(a for a in plan.product.addons.all() if a.code == code)
        ServiceAddon.objects.create(service=service, addon=addon, recurring_amount=amount.amount, created_at=now)
    _record_event(
        service,
        from_status="",
        to_status=ServiceStatus.PENDING,
        actor=actor,
        reason=_("Ordered in %(number)s") % {"number": order.number},
        at=now,
    )


@transaction.atomic
def service_transition(*, service_id: int, to: str, actor: Actor, reason: str = "") -> Service:
    """Move a service to another state: lock, check the table, save, record, announce."""
    service = Service.objects.select_for_update().get(pk=service_id)
    if to not in SERVICE_TRANSITIONS.get(service.status, frozenset()):
        raise Conflict(
            _("A service that is %(status)s cannot become %(target)s.")
            % {"status": service.get_status_display(), "target": ServiceStatus(to).label},
            code="invalid_transition",
        )
    now = clock.now()
    previous = service.status
    service.status = to
    service.status_changed_at = now
    service.save(update_fields=["status", "status_changed_at"])
    _record_event(service, from_status=previous, to_status=to, actor=actor, reason=reason, at=now)
    audit_record(
        actor=actor.audit(),
        action=f"service.{to}",
        customer_id=service.customer_id,
        object_type="service",
        object_id=service.pk,
        detail={"from": previous, "reason": reason},
    )
    outbox_emit(topic=f"service.{to}", payload={"service_id": service.pk, "from": previous, "reason": reason})
    return service


def _staff_service(actor: Actor, service_id: object) -> Service:
    actor.require(StaffPermission.MANAGE_SERVICES)
    return get_scoped(Service.objects.all(), service_id)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("reason", _("Give a reason; it is kept in the service's history."))
    return reason[:1000]


def service_suspend(*, actor: Actor, service_id: object, reason: str) -> Service:
    service = _staff_service(actor, service_id)
    return service_transition(service_id=service.pk, to=ServiceStatus.SUSPENDED, actor=actor, reason=_reason(reason))


def service_unsuspend(*, actor: Actor, service_id: object, reason: str) -> Service:
    service = _staff_service(actor, service_id)
    return service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=actor, reason=_reason(reason))


def service_terminate(*, actor: Actor, service_id: object, reason: str) -> Service:
    service = _staff_service(actor, service_id)
    return service_transition(service_id=service.pk, to=ServiceStatus.TERMINATED, actor=actor, reason=_reason(reason))


@transaction.atomic
def service_set_due_date(*, actor: Actor, service_id: object, due_date: dt.date, reason: str) -> Service:
    """Staff move the end of the current period (a goodwill extension, a correction)."""
    reason = _reason(reason)
    service = _staff_service(actor, service_id)
    service = Service.objects.select_for_update().get(pk=service.pk)
    new_end = periods.local_midnight(due_date)
    if new_end <= service.current_period_start:
        raise _refuse("due_date", _("The due date must be after the start of the current period."))
    previous = service.next_due_date
    service.current_period_end = new_end
    service.next_due_date = due_date
    service.anchor_day = due_date.day
    service.save(update_fields=["current_period_end", "next_due_date", "anchor_day"])
    audit_record(
        actor=actor.audit(),
        action="service.due_date",
        customer_id=service.customer_id,
        object_type="service",
        object_id=service.pk,
        detail={"from": previous.isoformat(), "to": due_date.isoformat(), "reason": reason},
    )
    return service


@dataclass(frozen=True)
class ChangeQuote:
    """The price of changing a service now: ``amount`` > 0 to pay, < 0 credited."""

    service: Service
    plan: Plan
    quote: ItemQuote
    old_rate: Money
    new_rate: Money
    seconds_left: int
    seconds_total: int
    amount: Money

    @property
    def kind(self) -> str:
        return ChangeKind.UPGRADE if self.amount.amount >= 0 else ChangeKind.DOWNGRADE


def service_change_quote(
    *, service: Service, plan_id: object = None, option_values: dict[str, Any] | None = None, at: dt.datetime
) -> ChangeQuote:
    """Prorate a change of plan or options from what was actually paid for this period."""
    if service.status != ServiceStatus.ACTIVE:
        raise Conflict(_("Only an active service can be changed."), code="invalid_state")
    plan = service.plan if plan_id in (None, "") else plan_for_ordering(plan_id)
    if plan.product_id != service.product_id:
        raise _refuse("plan", _("Choose a plan of the same product."))
    if plan.pricing_model == PricingModel.ONE_TIME or service.period_unit == PeriodUnit.ONCE:
        raise _refuse("plan", _("A one-time purchase cannot be changed."))
    values = {**service.option_values, **(option_values or {})}
    addon_codes = [sa.addon.code for sa in service.addons.filter(cancelled_at__isnull=True).select_related("addon")]
    quote = quote_item(
        plan=plan,
        currency=service.currency,
        period_unit=service.period_unit,
        period_count=service.period_count,
        option_values=values,
        addon_codes=[],
        at=at,
    )
    if plan.pk == service.plan_id and quote.option_values == service.option_values:
        raise _refuse("plan", _("That is what the service has now."))
    del addon_codes  # add-ons are billed as their own items and keep their price
    new_rate = quote.recurring_amount
    old_rate = Money(service.paid_rate, service.currency)
    left, total = periods.share_left(at, service.current_period_start, service.current_period_end)
    # The difference is prorated once and rounded once, so an upgrade and the matching
    # downgrade are exact opposites.
    amount = periods.prorate(new_rate - old_rate, seconds_left=left, seconds_total=total)
    return ChangeQuote(
        service=service,
        plan=plan,
        quote=quote,
        old_rate=old_rate,
        new_rate=new_rate,
        seconds_left=left,
        seconds_total=total,
        amount=amount,
    )


def _service_for(actor: Actor, service_id: object, *, lock: bool = False, as_staff: bool = False) -> Service:
    """A service the actor may change: its own account's (customer) or any (staff).

    ``as_staff`` is for the staff area: a staff member who is also some account's contact
    acts there as staff, not as that account."""
    queryset = Service.objects.select_related("plan__product", "customer")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    if as_staff:
        actor.require(StaffPermission.MANAGE_SERVICES)
        return get_scoped(queryset, service_id)
    if actor.is_customer:
        return get_scoped(customer_scope(queryset, actor, CustomerPermission.MANAGE_SERVICES), service_id)
    if actor.can(StaffPermission.MANAGE_SERVICES):
        return get_scoped(queryset, service_id)
    raise PermissionRefused(_("You do not have permission to do this."))


def service_change_preview(
    *,
    actor: Actor,
    service_id: object,
    plan_id: object = None,
    option_values: dict[str, Any] | None = None,
    as_staff: bool = False,
) -> ChangeQuote:
    """What a change would cost now, without making it (shown before the customer confirms)."""
    service = _service_for(actor, service_id, as_staff=as_staff)
    return service_change_quote(service=service, plan_id=plan_id, option_values=option_values, at=clock.now())


@transaction.atomic
def service_change_apply(
    *,
    actor: Actor,
    service_id: object,
    plan_id: object = None,
    option_values: dict[str, Any] | None = None,
    reason: str = "",
    as_staff: bool = False,
) -> ServiceChange:
    """Change plan or options now; the prorated difference is recorded for billing to post."""
    service = _service_for(actor, service_id, lock=True, as_staff=as_staff)
    now = clock.now()
    change_quote = service_change_quote(service=service, plan_id=plan_id, option_values=option_values, at=now)
    change = ServiceChange.objects.create(
        service=service,
        kind=change_quote.kind,
        occurred_at=now,
        from_plan_id=service.plan_id,
        to_plan=change_quote.plan,
        from_options=service.option_values,
        to_options=change_quote.quote.option_values,
        old_rate=change_quote.old_rate.amount,
        new_rate=change_quote.new_rate.amount,
        seconds_left=change_quote.seconds_left,
        seconds_total=change_quote.seconds_total,
        amount=change_quote.amount.amount,
        currency=service.currency,
        actor_label=actor.audit().label[:254],
        reason=(reason or "").strip()[:1000],
    )
    service.plan = change_quote.plan
    service.option_values = change_quote.quote.option_values
    service.module_limits = change_quote.quote.module_limits
    service.paid_rate = change_quote.new_rate.amount
    service.recurring_amount = change_quote.new_rate.amount
    service.promo_code = None
    service.save(
        update_fields=["plan", "option_values", "module_limits", "paid_rate", "recurring_amount", "promo_code"]
    )
    audit_record(
        actor=actor.audit(),
        action=f"service.{change.kind}",
        customer_id=service.customer_id,
        object_type="service",
        object_id=service.pk,
        detail={"amount": str(change.amount), "currency": change.currency, "to_plan": change.to_plan_id},
    )
    outbox_emit(topic="service.changed", payload={"service_id": service.pk, "change_id": change.pk})
    return change


def service_change_plan(
    *, actor: Actor, service_id: object, plan_id: object, option_values: dict[str, Any] | None = None, reason: str
) -> ServiceChange:
    """Staff change a service's plan or options (a goodwill upgrade, a correction), prorated
    like the customer's own change; the reason is required and kept with the change."""
    actor.require(StaffPermission.MANAGE_SERVICES)
    return service_change_apply(
        actor=actor,
        service_id=service_id,
        plan_id=plan_id,
        option_values=option_values,
        reason=_reason(reason),
        as_staff=True,
    )


@transaction.atomic
def service_cancel(*, actor: Actor, service_id: object, when: str, reason: str = "") -> Service:
    """Cancel at the end of the paid period, or now with the product's refund rule."""
    if when not in CancelWhen.values:
        raise _refuse("when", _("Choose when to cancel."))
    service = _service_for(actor, service_id, lock=True)
    reason = (reason or "").strip()[:1000]
    if service.status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED):
        raise Conflict(_("This service has already ended."), code="invalid_state")
    if when == CancelWhen.PERIOD_END:
        if service.status not in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED):
            raise Conflict(_("Only a running service can be cancelled at the end of its period."), code="invalid_state")
        service.cancel_at_period_end = True
        service.auto_renew = False
        service.save(update_fields=["cancel_at_period_end", "auto_renew"])
        audit_record(
            actor=actor.audit(),
            action="service.cancel_at_period_end",
            customer_id=service.customer_id,
            object_type="service",
            object_id=service.pk,
            detail={"reason": reason},
        )
        return service
    now = clock.now()
    if service.status in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED) and service.period_unit != PeriodUnit.ONCE:
        left, total = periods.share_left(now, service.current_period_start, service.current_period_end)
        paid = Money(service.paid_rate, service.currency)
        refund = periods.prorate(paid, seconds_left=left, seconds_total=total)
        if service.product.refund_policy != RefundPolicy.PRORATED:
            refund = Money.zero(service.currency)
        ServiceChange.objects.create(
            service=service,
            kind=ChangeKind.CANCELLATION,
            occurred_at=now,
            from_plan_id=service.plan_id,
            to_plan_id=service.plan_id,
            from_options=service.option_values,
            to_options=service.option_values,
            old_rate=service.paid_rate,
            new_rate=Decimal(0),
            seconds_left=left,
            seconds_total=total,
            amount=-refund.amount,
            currency=service.currency,
            actor_label=actor.audit().label[:254],
            reason=reason,
        )
    return service_transition(
        service_id=service.pk, to=ServiceStatus.CANCELLED, actor=actor, reason=reason or _("Cancelled")
    )


@transaction.atomic
def order_approve(*, actor: Actor, order_id: object) -> Order:
    """Staff accept an order of a product that needs approval."""
    actor.require(StaffPermission.MANAGE_SERVICES)
    order = get_scoped(Order.objects.select_for_update(), order_id)
    if order.status != OrderStatus.AWAITING_APPROVAL:
        raise Conflict(_("This order is not waiting for approval."), code="invalid_state")
    order.status = OrderStatus.APPROVED
    order.save(update_fields=["status"])
    audit_record(
        actor=actor.audit(),
        action="order.approve",
        customer_id=order.customer_id,
        object_type="order",
        object_id=order.pk,
    )
    outbox_emit(topic="order.approved", payload={"order_id": order.pk})
    return order
