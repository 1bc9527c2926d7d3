"""Writes of payments: start a payment, apply what a gateway says (once), refunds, staff
review and manual payments, saved methods. Auto-pay lives in ``autopay.py`` and the bank
statement import in ``statements.py``.

The rule of every remote step (STYLE 11): record the intent and commit, call the gateway
outside any transaction, apply the typed result in a new transaction under the payment's row
lock. Crediting is idempotent twice over: the gateway event id is unique per account (inserted
first), and the ledger posting's key is derived from the payment.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import Contact, Customer
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.core import clock
from hostkeep.core.actions import SYSTEM, AuditActor, audit_record, outbox_emit
from hostkeep.core.errors import Conflict, HostkeepError, NotFound, RetryableError, ValidationFailed
from hostkeep.core.money import MINOR_UNITS, Money
from hostkeep.ledger.actions import Posting, ledger_account, ledger_post, ledger_reverse
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.payments.choices import (
    PAYMENT_TRANSITIONS,
    NotificationVerdict,
    PaymentKind,
    PaymentStatus,
    RefundStatus,
)
from hostkeep.payments.interface import (
    Capability,
    Gateway,
    GatewayContext,
    GatewayDeclined,
    GatewayEvent,
    IncomingRequest,
    Outcome,
    PaymentRequest,
    PaymentState,
    SavedMethodData,
    WebhookRejected,
    gateways,
)
from hostkeep.payments.models import (
    GatewayAccount,
    GatewayCustomer,
    GatewayEventRecord,
    NotificationLog,
    Payment,
    Refund,
    SavedMethod,
)

logger = logging.getLogger(__name__)


# -- gateways ------------------------------------------------------------------------------------


def gateway_for(account: GatewayAccount) -> Gateway:
    """The registered implementation of an account's gateway, with its decrypted settings."""
    implementation = gateways.get(account.gateway)
    context = GatewayContext(
        account_id=account.pk,
        credentials=dict(account.credentials or {}),
        settings=dict(account.settings or {}),
        site_url=settings.BASE_URL,
    )
    return implementation(context)


def gateway_account_save(
    *,
    actor: Actor,
    gateway: str,
    label: str,
    currencies: list[str],
    countries: list[str] | None = None,
    gateway_settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    enabled: bool = True,
    position: int = 0,
    account_id: int | None = None,
) -> GatewayAccount:
    """Staff add or change a gateway account; credentials are stored encrypted. Blank
    credential values keep what is stored, so a form never has to show a secret."""
    actor.require(StaffPermission.MANAGE_BILLING)
    if gateway not in gateways:
        raise ValidationFailed(_("Unknown gateway."), fields={"gateway": [_("Not available.")]})
    currencies = [code.strip().upper() for code in currencies if code.strip()]
    unknown = [code for code in currencies if code not in MINOR_UNITS]
    if not currencies or unknown:
        raise ValidationFailed(_("List the currencies it accepts."), fields={"currencies": [_("Not valid.")]})
    with transaction.atomic():
        account = GatewayAccount.objects.select_for_update().get(pk=account_id) if account_id else GatewayAccount()
        merged = dict(account.credentials or {}) if account_id else {}
        merged.update({key: value for key, value in (credentials or {}).items() if value not in ("", None)})
        account.gateway = gateway
        account.label = label.strip()[:100] or str(gateways.get(gateway).label)
        account.currencies = currencies
        account.countries = [code.strip().upper() for code in countries or [] if code.strip()]
        account.settings = gateway_settings or {}
        account.credentials = merged
        account.enabled = enabled
        account.position = position
        account.save()
        audit_record(
            actor=actor.audit(),
            action="payments.gateway_account_saved",
            object_type="gateway_account",
            object_id=account.pk,
            detail={"gateway": gateway, "enabled": enabled, "currencies": currencies},
        )
    return account


def billing_email(customer_id: int) -> str:
    """Where a gateway's receipt goes: the first owner's or billing contact's login."""
    contact = (
        Contact.objects.filter(customer_id=customer_id, role__in=(ContactRole.OWNER, ContactRole.BILLING))
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    return contact.user.email if contact else ""


def _available_accounts(customer: Customer, currency: str, capability: str) -> list[GatewayAccount]:
    chosen = []
    for account in GatewayAccount.objects.filter(enabled=True).order_by("position", "id"):
        if account.gateway not in gateways:
            continue
        if currency not in account.currencies:
            continue
        if account.countries and customer.country.upper() not in account.countries:
            continue
        if capability not in gateways.get(account.gateway).capabilities:
            continue
        chosen.append(account)
    return chosen


# -- starting a payment --------------------------------------------------------------------------


def _amount(value: object, currency: str) -> Money:
    try:
        amount = value if isinstance(value, Money) else Money(Decimal(str(value)), currency)
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationFailed(_("Enter an amount."), fields={"amount": [_("Not a number.")]}) from None
    if amount.currency != currency:
        raise ValidationFailed(_("Pay in the account's currency."), fields={"amount": [_("Wrong currency.")]})
    if amount.amount <= 0 or amount.amount != amount.rounded().amount or amount.amount.adjusted() > 9:
        raise ValidationFailed(
            _("Enter a positive amount with at most %(places)s decimals.") % {"places": MINOR_UNITS[currency]},
            fields={"amount": [_("Not a valid amount.")]},
        )
    return amount


def _site(path: str) -> str:
    return settings.BASE_URL.rstrip("/") + path


def bank_reference_for(payment_id: int) -> str:
    """A reference people can type: the payment number and a check digit (mod 11 weights)."""
    digits = f"{payment_id:07d}"
    check = sum((index + 2) * int(digit) for index, digit in enumerate(reversed(digits))) % 11 % 10
    return f"HK{digits}{check}"


def payment_start(
    *,
    actor: Actor,
    account_id: object,
    amount: object,
    reference: str,
    idempotency_key: str,
    save_method: bool = False,
    description: str = "",
) -> Payment:
    """A customer starts paying ``amount`` through an enabled gateway account. Returns the
    payment with where to send the buyer (``redirect_url``/``redirect_form``, or bank
    instructions). The same key returns the same payment."""
    customer = actor.require_customer(CustomerPermission.PAY)
    money = _amount(amount, customer.currency)
    accounts = {account.pk: account for account in _available_accounts(customer, money.currency, Capability.CHECKOUT)}
    account = accounts.get(int(str(account_id))) if str(account_id).isdigit() else None
    if account is None:
        raise NotFound(_("This payment method is not available."))
    gateway = gateway_for(account)
    now = clock.now()
    key = f"start:{customer.pk}:{idempotency_key}"[:160]
    with transaction.atomic():
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    customer=customer,
                    account=account,
                    kind=PaymentKind.BANK_TRANSFER
                    if Capability.OFFLINE in gateway.capabilities
                    else PaymentKind.CHECKOUT,
                    currency=money.currency,
                    amount=money.amount,
                    reference=reference[:120],
                    description=(description or reference)[:200],
                    idempotency_key=key,
                    save_method=save_method and Capability.SAVED_METHODS in gateway.capabilities,
                    actor_label=actor.audit().label,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            return Payment.objects.get(idempotency_key=key, customer=customer)
        if payment.kind == PaymentKind.BANK_TRANSFER:
            payment.bank_reference = bank_reference_for(payment.pk)
            payment.save(update_fields=["bank_reference"])
        audit_record(
            actor=actor.audit(),
            action="payments.payment_started",
            customer_id=customer.pk,
            object_type="payment",
            object_id=payment.pk,
            detail={"amount": str(money.amount), "currency": money.currency, "gateway": account.gateway},
        )
    remote_customer = GatewayCustomer.objects.filter(account=account, customer=customer).first()
    request = PaymentRequest(
        payment_id=payment.pk,
        amount=money,
        description=payment.description,
        customer_id=customer.pk,
        customer_email=actor.user.email if actor.user else "",
        return_url=_site(reverse("portal:payment_return", args=[payment.pk])),
        cancel_url=_site(reverse("portal:payment_detail", args=[payment.pk])),
        save_method=payment.save_method,
        gateway_customer_id=remote_customer.remote_id if remote_customer else "",
        idempotency_key=f"hk-start-{payment.pk}",
    )
    try:
        redirect = gateway.start_payment(request)
    except HostkeepError as error:
        _transition(payment.pk, PaymentStatus.CANCELLED, reason=error.message)
        raise
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            redirect_url=redirect.url,
            redirect_form=[list(pair) for pair in redirect.form_fields],
            gateway_payment_id=redirect.gateway_payment_id,
            updated_at=clock.now(),
        )
        if redirect.gateway_customer_id and remote_customer is None:
            try:
                with transaction.atomic():
                    GatewayCustomer.objects.create(
                        account=account, customer=customer, remote_id=redirect.gateway_customer_id
                    )
            except IntegrityError:
                pass
    payment.refresh_from_db()
    return payment


def payment_abandon(*, payment_id: int) -> None:
    """A checkout nobody paid for days: stop asking the gateway (a late success still counts)."""
    _transition(payment_id, PaymentStatus.CANCELLED, reason=_("Not paid in time."))


def _transition(payment_id: int, to: str, *, reason: str = "") -> None:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if to in PAYMENT_TRANSITIONS[payment.status]:
            payment.status = to
            payment.decline_reason = reason[:300]
            payment.updated_at = clock.now()
            payment.save(update_fields=["status", "decline_reason", "updated_at"])


# -- applying what the gateway says --------------------------------------------------------------


def _payload(payment: Payment, amount: Money) -> dict[str, Any]:
    return {
        "payment_id": payment.pk,
        "customer_id": payment.customer_id,
        "amount": str(amount.amount),
        "currency": amount.currency,
        "reference": payment.reference,
    }


def _credit(payment: Payment, amount: Money, *, key: str, actor: AuditActor = SYSTEM) -> None:
    """Post the money to the customer's balance (debit gateway clearing) and announce it.
    Caller holds the payment's row lock; the ledger key makes a repeat a no-op."""
    clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency=amount.currency)
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=amount.currency, customer=payment.customer_id)
    posted = ledger_post(
        Posting(
            kind=TransactionKind.PAYMENT,
            description=_("Payment %(number)s via %(gateway)s")
            % {"number": payment.number, "gateway": payment.account},
            idempotency_key=key,
            lines=[(clearing, amount), (balance, -amount)],
            customer_id=payment.customer_id,
            reference_type="payment",
            reference_id=str(payment.pk),
            actor_label=actor.label,
        )
    )
    payment.ledger_transaction = posted
    payment.amount_received += amount.amount
    payment.received_currency = amount.currency
    outbox_emit(topic="payment.received", payload=_payload(payment, amount))
    audit_record(
        actor=actor,
        action="payments.payment_received",
        customer_id=payment.customer_id,
        object_type="payment",
        object_id=payment.pk,
        detail={"amount": str(amount.amount), "currency": amount.currency, "transaction": posted.pk},
    )


def _save_method(payment: Payment, data: SavedMethodData) -> SavedMethod | None:
    now = clock.now()
    try:
        with transaction.atomic():
            first = not SavedMethod.objects.filter(customer_id=payment.customer_id, removed_at__isnull=True).exists()
            method = SavedMethod.objects.create(
                customer_id=payment.customer_id,
                account=payment.account,
                token=data.token,
                gateway_customer_id=data.gateway_customer_id,
                label=data.label[:100],
                is_default=first,
                position=SavedMethod.objects.filter(customer_id=payment.customer_id).count(),
                created_at=now,
            )
    except IntegrityError:
        return SavedMethod.objects.filter(account=payment.account, token=data.token).first()
    if data.gateway_customer_id:
        try:
            with transaction.atomic():
                GatewayCustomer.objects.get_or_create(
                    account=payment.account,
                    customer_id=payment.customer_id,
                    defaults={"remote_id": data.gateway_customer_id},
                )
        except IntegrityError:
            pass
    return method


def _apply(payment: Payment, state: PaymentState) -> str:
    """Move a locked payment by what the gateway says; returns the verdict. A success whose
    amount or currency differs from what was asked is held for staff, not credited."""
    now = clock.now()
    if state.gateway_payment_id and not payment.gateway_payment_id:
        payment.gateway_payment_id = state.gateway_payment_id
    if state.outcome == Outcome.SUCCEEDED:
        if payment.status == PaymentStatus.SUCCEEDED:
            return NotificationVerdict.DUPLICATE
        if PaymentStatus.SUCCEEDED not in PAYMENT_TRANSITIONS[payment.status]:
            return NotificationVerdict.IGNORED
        asked = Money(payment.amount, payment.currency)
        received = state.amount or asked
        payment.gateway_transaction_id = state.transaction_id or payment.gateway_transaction_id or None
        payment.updated_at = now
        if received != asked:
            payment.status = PaymentStatus.HELD
            payment.amount_received = Decimal(0)
            payment.received_currency = received.currency
            payment.decline_reason = (
                _("Asked %(asked)s, the gateway reports %(received)s.") % {"asked": asked, "received": received}
            )[:300]
            payment.staff_reason = f"{received.amount} {received.currency}"
            _save_payment(payment)
            outbox_emit(
                topic="payment.held_for_review",
                payload={
                    **_payload(payment, asked),
                    "received": str(received.amount),
                    "received_currency": received.currency,
                },
            )
            return NotificationVerdict.HELD
        if state.saved_method is not None and payment.save_method:
            payment.saved_method = _save_method(payment, state.saved_method)
        payment.status = PaymentStatus.SUCCEEDED
        payment.succeeded_at = now
        payment.decline_reason = ""
        _credit(payment, received, key=f"payment:{payment.pk}")
        _save_payment(payment)
        return NotificationVerdict.APPLIED
    if state.outcome == Outcome.FAILED:
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
            return NotificationVerdict.IGNORED
        payment.status = PaymentStatus.FAILED
        payment.decline_reason = state.reason[:300]
        payment.updated_at = now
        _save_payment(payment)
        outbox_emit(
            topic="payment.declined",
            payload={**_payload(payment, Money(payment.amount, payment.currency)), "reason": payment.decline_reason},
        )
        return NotificationVerdict.APPLIED
    if state.outcome == Outcome.PENDING and payment.status == PaymentStatus.UNKNOWN:
        payment.status = PaymentStatus.PENDING
        payment.updated_at = now
        _save_payment(payment)
        return NotificationVerdict.APPLIED
    if state.outcome in (Outcome.REFUNDED, Outcome.REFUND_FAILED) and state.refund_id:
        refund = Refund.objects.filter(payment=payment, gateway_refund_id=state.refund_id).first()
        if refund is not None and refund.status == RefundStatus.PENDING:
            _refund_finish(refund, succeeded=state.outcome == Outcome.REFUNDED, reason=state.reason)
            return NotificationVerdict.APPLIED
    if payment.gateway_payment_id and state.gateway_payment_id:
        _save_payment(payment)
    return NotificationVerdict.IGNORED


def _save_payment(payment: Payment) -> None:
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # The gateway's transaction id already paid another payment: never credit it twice.
        raise Conflict(_("This gateway transaction is already recorded."), code="duplicate_transaction") from None


def _find_payment(account: GatewayAccount, state: PaymentState) -> Payment | None:
    queryset = Payment.objects.select_for_update().filter(account=account)
    if state.payment_id is not None:
        found = queryset.filter(pk=state.payment_id).first()
        if found is not None:
            return found
    if state.gateway_payment_id:
        found = queryset.filter(gateway_payment_id=state.gateway_payment_id).order_by("pk").first()
        if found is not None:
            return found
    if state.transaction_id:
        return queryset.filter(gateway_transaction_id=state.transaction_id).first()
    return None


def payment_state_apply(*, account_id: int, state: PaymentState, event: GatewayEvent | None = None) -> str:
    """Apply one gateway statement about a payment, once. With an event, its id is inserted
    first: a duplicate (in parallel, replayed, redelivered) stops there."""
    with transaction.atomic():
        account = GatewayAccount.objects.get(pk=account_id)
        payment = _find_payment(account, state)
        if event is not None:
            try:
                with transaction.atomic():
                    GatewayEventRecord.objects.create(
                        account=account,
                        event_id=event.event_id[:200],
                        event_type=event.event_type[:80],
                        payment=payment,
                        received_at=clock.now(),
                    )
            except IntegrityError:
                return NotificationVerdict.DUPLICATE
        if payment is None:
            return (
                NotificationVerdict.UNKNOWN_PAYMENT if state.outcome != Outcome.IGNORED else NotificationVerdict.IGNORED
            )
        return _apply(payment, state)


_VERDICT_RANK = [
    NotificationVerdict.APPLIED,
    NotificationVerdict.HELD,
    NotificationVerdict.UNKNOWN_PAYMENT,
    NotificationVerdict.DUPLICATE,
    NotificationVerdict.IGNORED,
]


def notification_receive(*, account_id: int, request: IncomingRequest) -> tuple[int, str]:
    """A gateway's webhook/ITN/notification: verify it (outside any transaction, since
    verification may call the gateway), apply each event once, log the request with its
    verdict. Returns the HTTP status and body to answer."""
    account = GatewayAccount.objects.filter(pk=account_id).first()
    log = NotificationLog(
        account=account,
        received_at=clock.now(),
        source_ip=request.source_ip[:64],
        headers=dict(request.headers),
        body=request.body.decode("utf-8", "replace")[:20000],
    )
    if account is None or account.gateway not in gateways:
        log.verdict, log.detail = NotificationVerdict.REJECTED, "no such gateway account"
        log.save()
        return 404, "unknown"
    gateway = gateway_for(account)
    try:
        events = gateway.parse_notification(request)
    except WebhookRejected as error:
        log.verdict, log.detail = NotificationVerdict.REJECTED, error.message[:500]
        log.save()
        logger.warning("rejected notification for gateway account %s: %s", account.pk, error.message)
        return 400, "rejected"
    except RetryableError as error:
        # The gateway's own validation could not be reached: ask it to send again later.
        log.verdict, log.detail = NotificationVerdict.ERROR, error.message[:500]
        log.save()
        return 503, "retry"
    verdicts: list[str] = []
    try:
        for event in events:
            verdicts.append(payment_state_apply(account_id=account.pk, state=event.state, event=event))  # noqa: PERF401 - stops at a conflict
    except Conflict as error:
        verdicts.append(NotificationVerdict.DUPLICATE)
        log.detail = error.message[:500]
    log.event_ids = [event.event_id for event in events]
    log.verdict = next((v for v in _VERDICT_RANK if v in verdicts), NotificationVerdict.IGNORED)
    log.detail = log.detail or ", ".join(f"{e.event_type}:{v}" for e, v in zip(events, verdicts, strict=False))[:500]
    log.save()
    return gateway.notification_answer()


def payment_confirm(*, payment_id: int) -> Payment:
    """Ask the gateway where a pending payment stands and apply the answer (the buyer's
    return, reconciliation). PayPal captures an approved order here."""
    payment = Payment.objects.select_related("account").get(pk=payment_id)
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN, PaymentStatus.FAILED):
        return payment
    gateway = gateway_for(payment.account)
    if Capability.QUERY not in gateway.capabilities or not payment.gateway_payment_id:
        return payment
    state = gateway.complete_payment(
        gateway_payment_id=payment.gateway_payment_id,
        payment_id=payment.pk,
        idempotency_key=f"hk-complete-{payment.pk}",
    )
    if state.outcome != Outcome.IGNORED:
        payment_state_apply(
            account_id=payment.account_id,
            state=PaymentState(**{**state.__dict__, "payment_id": payment.pk}),
        )
    payment.refresh_from_db()
    return payment


# -- staff: manual payments, review, refunds ----------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), fields={"reason": [_("Required.")]})
    return reason[:500]


def payment_record_manual(
    *, actor: Actor, customer_id: object, account_id: object, amount: object, reason: str, key: str
) -> Payment:
    """Staff record money received outside any gateway (cash, a transfer they matched by hand),
    with a reason; it credits the balance like any payment."""
    actor.require(StaffPermission.MANAGE_BILLING)
    customer = get_scoped(Customer.objects.all(), customer_id)
    reason = _reason(reason)
    money = _amount(amount, customer.currency)
    account = get_scoped(GatewayAccount.objects.all(), account_id)
    if Capability.OFFLINE not in gateways.get(account.gateway).capabilities:
        raise ValidationFailed(_("Choose an offline method (manual or bank transfer)."))
    now = clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    customer=customer,
                    account=account,
                    kind=PaymentKind.MANUAL,
                    currency=money.currency,
                    amount=money.amount,
                    reference="manual",
                    description=reason[:200],
                    idempotency_key=f"manual:{key}"[:160],
                    staff_reason=reason,
                    actor_label=actor.audit().label,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            return Payment.objects.get(idempotency_key=f"manual:{key}"[:160])
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.status = PaymentStatus.SUCCEEDED
        payment.succeeded_at = now
        _credit(payment, money, key=f"payment:{payment.pk}", actor=actor.audit())
        payment.save()
    return payment


def payment_review_decide(*, actor: Actor, payment_id: object, accept: bool, reason: str) -> Payment:
    """Staff decide a payment held for review: accept credits what actually arrived; reject
    credits nothing (the money is returned at the gateway)."""
    actor.require(StaffPermission.MANAGE_BILLING)
    reason = _reason(reason)
    with transaction.atomic():
        payment = get_scoped(Payment.objects.select_for_update(), payment_id)
        if payment.status != PaymentStatus.HELD:
            raise Conflict(_("This payment is not waiting for review."), code="not_held")
        amount_text, _space, currency = payment.staff_reason.partition(" ")
        received = Money(Decimal(amount_text or payment.amount), currency or payment.currency)
        payment.staff_reason = reason
        payment.updated_at = clock.now()
        if accept:
            if received.currency != payment.currency:
                raise Conflict(_("Money in another currency cannot be credited; reject it and refund."))
            payment.status = PaymentStatus.SUCCEEDED
            payment.succeeded_at = payment.updated_at
            _credit(payment, received, key=f"payment:{payment.pk}", actor=actor.audit())
        else:
            payment.status = PaymentStatus.REJECTED
        payment.save()
        audit_record(
            actor=actor.audit(),
            action="payments.review_accepted" if accept else "payments.review_rejected",
            customer_id=payment.customer_id,
            object_type="payment",
            object_id=payment.pk,
            detail={"reason": reason, "received": str(received)},
        )
    return payment


def refund_request(*, actor: Actor, payment_id: object, amount: object, reason: str, key: str) -> Refund:
    """Staff refund part or all of a payment. Never more than it brought in, less what was
    already refunded; the balance is debited at once (refused if it does not cover it), then
    the gateway is asked outside the transaction."""
    actor.require(StaffPermission.MANAGE_BILLING)
    reason = _reason(reason)
    with transaction.atomic():
        payment = get_scoped(Payment.objects.select_for_update().select_related("account"), payment_id)
        money = _amount(amount, payment.currency)
        existing = Refund.objects.filter(idempotency_key=f"refund:{key}"[:160]).first()
        if existing is not None:
            return existing
        if payment.status != PaymentStatus.SUCCEEDED:
            raise Conflict(_("Only a completed payment can be refunded."), code="not_refundable")
        refundable = payment.amount_received - payment.amount_refunded
        if money.amount > refundable:
            raise ValidationFailed(
                _("At most %(amount)s can be refunded.") % {"amount": Money(refundable, payment.currency)},
                fields={"amount": [_("More than was paid.")]},
            )
        refund = Refund.objects.create(
            payment=payment,
            currency=money.currency,
            amount=money.amount,
            reason=reason,
            idempotency_key=f"refund:{key}"[:160],
            actor_label=actor.audit().label,
            created_at=clock.now(),
        )
        balance = ledger_account(
            kind=AccountKind.CUSTOMER_BALANCE, currency=money.currency, customer=payment.customer_id
        )
        clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency=money.currency)
        refund.ledger_transaction = ledger_post(
            Posting(
                kind=TransactionKind.REFUND,
                description=_("Refund of payment %(number)s: %(reason)s")
                % {"number": payment.number, "reason": reason},
                idempotency_key=f"refund:{refund.pk}",
                lines=[(balance, money), (clearing, -money)],
                customer_id=payment.customer_id,
                reference_type="payment",
                reference_id=str(payment.pk),
                actor_label=actor.audit().label,
            )
        )
        refund.save(update_fields=["ledger_transaction"])
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + money.amount)
        audit_record(
            actor=actor.audit(),
            action="payments.refund_requested",
            customer_id=payment.customer_id,
            object_type="payment",
            object_id=payment.pk,
            detail={"amount": str(money.amount), "reason": reason},
        )
    return refund_execute(refund_id=refund.pk)


def refund_execute(*, refund_id: int) -> Refund:
    """Ask the gateway to pay a pending refund back (outside any transaction) and record the
    answer. Offline payments are refunded by hand, so the refund is done when recorded."""
    refund = Refund.objects.select_related("payment__account").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    gateway = gateway_for(payment.account)
    if Capability.REFUND not in gateway.capabilities:
        with transaction.atomic():
            _refund_finish(Refund.objects.select_for_update().get(pk=refund.pk), succeeded=True)
        refund.refresh_from_db()
        return refund
    try:
        result = gateway.refund(
            transaction_id=payment.gateway_transaction_id or "",
            gateway_payment_id=payment.gateway_payment_id,
            amount=Money(refund.amount, refund.currency),
            idempotency_key=f"hk-refund-{refund.pk}",
            reason=refund.reason,
            customer_email=billing_email(payment.customer_id),
        )
    except GatewayDeclined as error:
        with transaction.atomic():
            _refund_finish(Refund.objects.select_for_update().get(pk=refund.pk), succeeded=False, reason=error.message)
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        locked.gateway_refund_id = result.refund_id
        locked.save(update_fields=["gateway_refund_id"])
        if result.outcome != Outcome.PENDING:
            _refund_finish(locked, succeeded=result.outcome == Outcome.REFUNDED, reason=result.reason)
    refund.refresh_from_db()
    return refund


def _refund_finish(refund: Refund, *, succeeded: bool, reason: str = "") -> None:
    """Close a refund: announce it, or undo its ledger posting and give the amount back."""
    refund.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    refund.completed_at = clock.now()
    refund.failure_reason = reason[:300]
    refund.save(update_fields=["status", "completed_at", "failure_reason"])
    payment = refund.payment
    if succeeded:
        outbox_emit(
            topic="payment.refunded",
            payload={
                "refund_id": refund.pk,
                "payment_id": payment.pk,
                "customer_id": payment.customer_id,
                "amount": str(refund.amount),
                "currency": refund.currency,
                "reference": payment.reference,
            },
        )
        return
    if refund.ledger_transaction_id:
        ledger_reverse(
            transaction_id=refund.ledger_transaction_id,
            idempotency_key=f"refund-failed:{refund.pk}",
            description=_("Refund of payment %(number)s failed") % {"number": payment.number},
        )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") - refund.amount)


# -- saved methods ------------------------------------------------------------------------------


def saved_method_make_default(*, actor: Actor, method_id: object) -> SavedMethod:
    """The customer's chosen first method for auto-pay."""
    customer = actor.require_customer(CustomerPermission.PAY)
    with transaction.atomic():
        methods = customer_scope(SavedMethod.objects.select_for_update(), actor, CustomerPermission.PAY)
        method = get_scoped(methods.filter(removed_at__isnull=True), method_id)
        SavedMethod.objects.filter(customer=customer).exclude(pk=method.pk).update(is_default=False)
        method.is_default = True
        method.save(update_fields=["is_default"])
        audit_record(
            actor=actor.audit(), action="payments.method_default", customer_id=customer.pk, object_id=method.pk
        )
    return method


def saved_method_remove(*, actor: Actor, method_id: object) -> SavedMethod:
    """Stop using a saved method (the token stays at the gateway's side until it expires)."""
    customer = actor.require_customer(CustomerPermission.PAY)
    with transaction.atomic():
        methods = customer_scope(SavedMethod.objects.select_for_update(), actor, CustomerPermission.PAY)
        method = get_scoped(methods.filter(removed_at__isnull=True), method_id)
        method.removed_at = clock.now()
        method.is_default = False
        method.save(update_fields=["removed_at", "is_default"])
        following = SavedMethod.objects.filter(customer=customer, removed_at__isnull=True).order_by("position", "id")
        if not following.filter(is_default=True).exists() and (successor := following.first()) is not None:
            SavedMethod.objects.filter(pk=successor.pk).update(is_default=True)
        audit_record(
            actor=actor.audit(), action="payments.method_removed", customer_id=customer.pk, object_id=method.pk
        )
    return method
