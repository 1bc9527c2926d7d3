"""The PayFast gateway against the PayFast simulator over HTTP: the signed form, ITNs checked
four ways (signature, source, amount, server validation), tokenization and ad hoc charges,
refunds. Hostkeep's notification URL runs on Django's live server."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import requests

from hostkeep.integrations.payfast.simulator import PayFastSimulator
from hostkeep.payments import actions
from hostkeep.payments.autopay import autopay_attempt_run, autopay_start
from hostkeep.payments.choices import AutopayStatus, NotificationVerdict, PaymentStatus, RefundStatus
from hostkeep.payments.models import NotificationLog, Payment, SavedMethod
from hostkeep.payments.tests.helpers import (
    actor_of,
    balance,
    gateway_account,
    ledger_sound,
    payment_credits,
    zar,
    zar_contact,
)

pytestmark = pytest.mark.django_db(transaction=True)
ITN_SOURCE = "127.0.0.2"


def make_account(sim: PayFastSimulator):
    return gateway_account(
        "payfast",
        label="PayFast",
        settings={"site_base": sim.url, "api_base": sim.url, "notify_networks": [f"{ITN_SOURCE}/32"], "timeout": 3},
        credentials={
            "merchant_id": sim.merchant_id,
            "merchant_key": sim.merchant_key,
            "passphrase": sim.passphrase or "",
        },
    )


@pytest.fixture
def sim(live_server, settings):
    settings.BASE_URL = live_server.url
    with PayFastSimulator(auto_deliver=False, webhook_source_ip=ITN_SOURCE) as running:
        yield running


@pytest.fixture
def contact(db):
    return zar_contact()


def submit_form(payment: Payment, **changes: str) -> str:
    fields = dict(payment.redirect_form)
    fields.update(changes)
    answer = requests.post(payment.redirect_url, data=fields, timeout=5, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"].rsplit("/", 1)[1]


def test_itn_credits_once_even_when_sent_twice_and_resent(sim, contact):
    account = make_account(sim)
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="150.00", reference="top-up", idempotency_key="a"
    )
    assert payment.redirect_url == f"{sim.url}/eng/process"
    sim.pay(submit_form(payment))
    sim.duplicate_next_webhooks(1)
    attempts = sim.send_webhooks()
    assert [a.status for a in attempts] == [200, 200]
    sim.redeliver_webhook(attempts[0].event_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_received == Decimal("150.0000")
    assert balance(contact) == zar("150.00")
    assert payment_credits(contact.customer_id) == 1
    assert list(NotificationLog.objects.order_by("id").values_list("verdict", flat=True)) == [
        NotificationVerdict.APPLIED,
        NotificationVerdict.DUPLICATE,
        NotificationVerdict.DUPLICATE,
    ]
    ledger_sound()


def test_forged_wrong_source_and_unvalidated_itns_are_refused(sim, contact, live_server):
    account = make_account(sim)
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="80.00", reference="top-up", idempotency_key="b"
    )
    sim.hold_webhooks()
    sim.pay(submit_form(payment))
    genuine = sim.itns[-1]
    url = f"{live_server.url}/payments/gateways/{account.pk}/notify/"
    pairs = parse_qsl(genuine["body"], keep_blank_values=True)
    # 1. a changed amount with the old signature
    tampered = [(k, "1.00" if k == "amount_gross" else v) for k, v in pairs]
    forged = requests.post(url, data=tampered, timeout=5)
    # 2. the genuine body, from an address outside PayFast's networks (127.0.0.1)
    wrong_source = requests.post(
        url, data=genuine["body"], headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5
    )
    # 3. unsigned
    unsigned = requests.post(url, data=[(k, v) for k, v in pairs if k != "signature"], timeout=5)
    assert (forged.status_code, wrong_source.status_code, unsigned.status_code) == (400, 400, 400)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert balance(contact) == zar(0)
    assert payment_credits(contact.customer_id) == 0
    details = list(NotificationLog.objects.order_by("id").values_list("verdict", "detail"))
    assert [verdict for verdict, _ in details] == [NotificationVerdict.REJECTED] * 3
    assert "outside PayFast's networks" in details[1][1]
    sim.release_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_amount_changed_by_the_buyer_is_held_for_review_not_credited(live_server, settings, contact, admin):
    settings.BASE_URL = live_server.url
    # An account without a passphrase: PayFast does not require a form signature, so a buyer
    # can post a smaller amount. The ITN is genuine but the amount is not what was asked.
    with PayFastSimulator(auto_deliver=False, webhook_source_ip=ITN_SOURCE, passphrase=None) as sim:
        account = make_account(sim)
        payment = actions.payment_start(
            actor=actor_of(contact), account_id=account.pk, amount="150.00", reference="invoice:7", idempotency_key="c"
        )
        fields = [(k, v) for k, v in payment.redirect_form if k != "signature"]
        payment.redirect_form = fields
        sim.pay(submit_form(payment, amount="5.00"))
        sim.send_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.HELD
    assert balance(contact) == zar(0)
    assert payment_credits(contact.customer_id) == 0
    assert NotificationLog.objects.get().verdict == NotificationVerdict.HELD
    from hostkeep.accounts.selectors import actor_for_user

    staff = actor_for_user(admin.user)
    actions.payment_review_decide(actor=staff, payment_id=payment.pk, accept=True, reason="customer paid part")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(contact) == zar("5.00")
    ledger_sound()


def test_tokenized_card_auto_pay_and_refund_limits(sim, contact, admin):
    account = make_account(sim)
    first = actions.payment_start(
        actor=actor_of(contact),
        account_id=account.pk,
        amount="100.00",
        reference="top-up",
        idempotency_key="d",
        save_method=True,
    )
    sim.pay(submit_form(first))
    sim.send_webhooks()
    method = SavedMethod.objects.get(customer=contact.customer)
    assert len(method.token) == 36
    attempt = autopay_start(
        customer_id=contact.customer_id, amount=zar("60.00"), reference="invoice:9", idempotency_key="invoice:9"
    )
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.SUCCEEDED
    sim.send_webhooks()  # the COMPLETE ITN of the ad hoc charge: already applied
    assert balance(contact) == zar("160.00")
    assert payment_credits(contact.customer_id) == 2
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.SUCCEEDED
    assert len(sim.adhoc_charges) == 1
    from hostkeep.accounts.selectors import actor_for_user

    staff = actor_for_user(admin.user)
    refund = actions.refund_request(actor=staff, payment_id=first.pk, amount="100.00", reason="closing", key="r")
    assert refund.status == RefundStatus.SUCCEEDED
    with pytest.raises(actions.ValidationFailed):
        actions.refund_request(actor=staff, payment_id=first.pk, amount="0.01", reason="again", key="r2")
    assert balance(contact) == zar("60.00")
    ledger_sound()
