"""Auto-pay: charge the customer's saved methods without them, default first, then the next.

``autopay_start`` records one attempt per idempotency key (billing passes ``invoice:<id>``), so
one invoice is never charged twice however often it is asked. The attempt runs in a job
(``tasks.autopay_run``): for each method a Payment is inserted first with a key derived from
the attempt and the method, and that key goes to the gateway, so a retried charge replays the
gateway's first answer instead of charging again. A timeout leaves the payment UNKNOWN and the
attempt waits: trying the next method then could take the money twice; reconciliation repeats
the same charge with the same key and settles it.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hostkeep.core import clock
from hostkeep.core.errors import HostkeepError, RetryableError
from hostkeep.core.money import Money
from hostkeep.payments.actions import billing_email, gateway_for, payment_state_apply
from hostkeep.payments.choices import AutopayStatus, PaymentKind, PaymentStatus
from hostkeep.payments.interface import Capability, GatewayDeclined, Outcome, PaymentState, SavedMethodData, gateways
from hostkeep.payments.models import AutopayAttempt, Payment, SavedMethod

logger = logging.getLogger(__name__)


def autopay_start(*, customer_id: int, amount: Money, reference: str, idempotency_key: str) -> AutopayAttempt:
    """Record an auto-pay attempt once per key and run it in the background after commit."""
    now = clock.now()
    try:
        with transaction.atomic():
            attempt = AutopayAttempt.objects.create(
                customer_id=customer_id,
                idempotency_key=idempotency_key[:160],
                reference=reference[:120],
                currency=amount.currency,
                amount=amount.amount,
                created_at=now,
            )
    except IntegrityError:
        return AutopayAttempt.objects.get(idempotency_key=idempotency_key[:160])

    def enqueue() -> None:
        from hostkeep.payments.tasks import autopay_run

        autopay_run.enqueue(attempt_id=attempt.pk)

    transaction.on_commit(enqueue)
    return attempt


def _methods(attempt: AutopayAttempt) -> list[SavedMethod]:
    methods = (
        SavedMethod.objects.filter(customer_id=attempt.customer_id, removed_at__isnull=True, account__enabled=True)
        .select_related("account")
        .order_by("-is_default", "position", "id")
    )
    return [
        method
        for method in methods
        if method.account.gateway in gateways
        and Capability.SAVED_METHODS in gateways.get(method.account.gateway).capabilities
        and attempt.currency in method.account.currencies
    ]


def _finish(attempt_id: int, status: str) -> None:
    AutopayAttempt.objects.filter(pk=attempt_id, status=AutopayStatus.PENDING).update(
        status=status, finished_at=clock.now()
    )


def autopay_attempt_run(*, attempt_id: int) -> str:
    """Try the saved methods in order until one pays. Returns the attempt's status."""
    attempt = AutopayAttempt.objects.get(pk=attempt_id)
    if attempt.status != AutopayStatus.PENDING:
        return attempt.status
    methods = _methods(attempt)
    if not methods:
        _finish(attempt.pk, AutopayStatus.NO_METHOD)
        return AutopayStatus.NO_METHOD
    amount = Money(attempt.amount, attempt.currency)
    for method in methods:
        key = f"autopay:{attempt.pk}:{method.pk}"
        now = clock.now()
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    customer_id=attempt.customer_id,
                    account=method.account,
                    kind=PaymentKind.AUTOPAY,
                    currency=amount.currency,
                    amount=amount.amount,
                    reference=attempt.reference,
                    description=_("Auto-pay of %(reference)s") % {"reference": attempt.reference},
                    idempotency_key=key,
                    saved_method=method,
                    autopay=attempt,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            payment = Payment.objects.get(idempotency_key=key)
        if payment.status == PaymentStatus.SUCCEEDED:
            _finish(attempt.pk, AutopayStatus.SUCCEEDED)
            return AutopayStatus.SUCCEEDED
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.REJECTED):
            continue
        if payment.status == PaymentStatus.HELD:
            return AutopayStatus.PENDING  # money moved at the gateway; staff decide
        status = autopay_charge(payment_id=payment.pk)
        if status == PaymentStatus.SUCCEEDED:
            _finish(attempt.pk, AutopayStatus.SUCCEEDED)
            return AutopayStatus.SUCCEEDED
        if status != PaymentStatus.FAILED:
            return AutopayStatus.PENDING  # unknown or pending: reconciliation finishes it
    _finish(attempt.pk, AutopayStatus.FAILED)
    return AutopayStatus.FAILED


def autopay_charge(*, payment_id: int) -> str:
    """Charge one auto-pay payment's saved method with its own idempotency key (outside any
    transaction) and apply the answer. Safe to repeat: the gateway replays its first answer."""
    payment = Payment.objects.select_related("account", "saved_method").get(pk=payment_id)
    method = payment.saved_method
    if method is None:
        return payment.status
    gateway = gateway_for(payment.account)
    try:
        state = gateway.charge_saved_method(
            method=SavedMethodData(
                token=method.token, label=method.label, gateway_customer_id=method.gateway_customer_id
            ),
            amount=Money(payment.amount, payment.currency),
            payment_id=payment.pk,
            description=payment.description,
            idempotency_key=f"hk-{payment.idempotency_key.replace(':', '-')}",
            customer_email=billing_email(payment.customer_id),
        )
    except RetryableError as error:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
                status=PaymentStatus.UNKNOWN, decline_reason=error.message[:300], updated_at=clock.now()
            )
        return PaymentStatus.UNKNOWN
    except GatewayDeclined as error:
        state = PaymentState(outcome=Outcome.FAILED, payment_id=payment.pk, reason=error.message)
    except HostkeepError as error:
        state = PaymentState(outcome=Outcome.FAILED, payment_id=payment.pk, reason=error.message)
    payment_state_apply(
        account_id=payment.account_id, state=PaymentState(**{**state.__dict__, "payment_id": payment.pk})
    )
    payment.refresh_from_db()
    return payment.status
