"""The YooKassa gateway against the YooKassa simulator over HTTP: unsigned notifications
believed only from YooKassa's networks and after re-fetching the payment, saved methods
charged with an Idempotence-Key, receipts, refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core.money import Money
from hostkeep.integrations.yookassa.simulator import YooKassaSimulator
from hostkeep.payments import actions
from hostkeep.payments.autopay import autopay_attempt_run, autopay_start
from hostkeep.payments.choices import AutopayStatus, NotificationVerdict, PaymentStatus, RefundStatus
from hostkeep.payments.models import NotificationLog, SavedMethod
from hostkeep.payments.tests.helpers import actor_of, balance, gateway_account, ledger_sound, payment_credits

pytestmark = pytest.mark.django_db(transaction=True)
SOURCE = "127.0.0.3"


def rub(value: str) -> Money:
    return Money(Decimal(value), "RUB")


@pytest.fixture
def sim(live_server, settings):
    settings.BASE_URL = live_server.url
    with YooKassaSimulator(auto_deliver=False, webhook_source_ip=SOURCE, receipts_required=True) as running:
        yield running


@pytest.fixture
def account(sim, live_server):
    created = gateway_account(
        "yookassa",
        label="YooKassa",
        currencies=("RUB",),
        credentials={"shop_id": sim.shop_id, "secret_key": sim.secret_key},
        settings={"api_base": sim.url, "notify_networks": [f"{SOURCE}/32"], "send_receipts": True, "timeout": 3},
    )
    sim.add_notification_url(f"{live_server.url}/payments/gateways/{created.pk}/notify/")
    return created


@pytest.fixture
def contact(db):
    return ContactFactory(customer__currency="RUB", customer__country="RU")


def test_paid_saved_and_charged_again_once_each(sim, account, contact, admin):
    payment = actions.payment_start(
        actor=actor_of(contact),
        account_id=account.pk,
        amount="1500.00",
        reference="top-up",
        idempotency_key="a",
        save_method=True,
    )
    assert payment.redirect_url.startswith(sim.url)
    assert sim.get_payment(payment.gateway_payment_id)["receipt_registration"] in ("pending", "succeeded", None)
    sim.confirm_payment(payment.gateway_payment_id)
    sim.duplicate_next_webhooks(5)
    sim.send_webhooks(order="reverse")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(contact, "RUB") == rub("1500.00")
    assert payment_credits(contact.customer_id) == 1
    method = SavedMethod.objects.get(customer=contact.customer)
    assert method.token == payment.gateway_payment_id
    attempt = autopay_start(
        customer_id=contact.customer_id, amount=rub("700.00"), reference="invoice:3", idempotency_key="invoice:3"
    )
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.SUCCEEDED
    sim.send_webhooks()
    assert balance(contact, "RUB") == rub("2200.00")
    assert payment_credits(contact.customer_id) == 2
    from hostkeep.accounts.selectors import actor_for_user

    staff = actor_for_user(admin.user)
    refund = actions.refund_request(actor=staff, payment_id=payment.pk, amount="500.00", reason="partial", key="r")
    assert refund.status == RefundStatus.SUCCEEDED
    with pytest.raises(actions.ValidationFailed):
        actions.refund_request(actor=staff, payment_id=payment.pk, amount="1000.01", reason="more", key="r2")
    assert balance(contact, "RUB") == rub("1700.00")
    ledger_sound()


def test_forged_notifications_change_nothing(sim, account, contact):
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="900.00", reference="top-up", idempotency_key="b"
    )
    # From anywhere: refused by source. From YooKassa's address but not true: refused by the API.
    sim.send_forged_notification(payment.gateway_payment_id, source_ip="127.0.0.1")
    sim.send_forged_notification(payment.gateway_payment_id, source_ip=SOURCE)
    sim.send_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert balance(contact, "RUB") == rub("0")
    assert list(NotificationLog.objects.order_by("id").values_list("verdict", flat=True)) == [
        NotificationVerdict.REJECTED,
        NotificationVerdict.REJECTED,
    ]
    sim.confirm_payment(payment.gateway_payment_id, succeeded=False, reason="insufficient_funds")
    sim.send_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.decline_reason == "insufficient_funds"
    assert balance(contact, "RUB") == rub("0")
