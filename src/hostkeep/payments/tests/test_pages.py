"""The portal's and staff's payment pages: pay an invoice by card through the Stripe simulator
and come back to a paid invoice; staff list, refund, review and import a statement."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hostkeep.billing import actions as billing_actions
from hostkeep.billing.choices import InvoiceStatus
from hostkeep.billing.models import BillingProfile
from hostkeep.core.outbox import deliver_pending
from hostkeep.integrations.stripe.simulator import StripeSimulator
from hostkeep.payments.choices import PaymentStatus
from hostkeep.payments.models import Payment, Refund, StatementLine
from hostkeep.payments.tests.helpers import balance, gateway_account, zar, zar_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim():
    with StripeSimulator(auto_deliver=False) as running:
        yield running


def test_customer_pays_an_invoice_by_card_and_it_is_paid(sim, entity, staff_actor, client, settings):
    settings.BASE_URL = "http://testserver"
    card = gateway_account(
        "stripe", label="Card", settings={"api_base": sim.url}, credentials={"secret_key": sim.secret_key}
    )
    gateway_account("bank", label="EFT")
    contact = zar_contact()
    BillingProfile.objects.create(customer=contact.customer, legal_entity=entity, mode="postpaid")
    invoice = billing_actions.manual_charge(
        actor=staff_actor, customer_id=contact.customer_id, amount="230.00", reason="Migration", key="m"
    )
    client.force_login(contact.user)
    listing = client.get(reverse("portal:payments")).content.decode()
    assert f'id="pay-invoice-{invoice.pk}"' in listing
    choose = client.get(reverse("portal:payment_pay") + f"?invoice={invoice.pk}")
    assert choose.status_code == 200
    assert "230.00" in choose.content.decode()
    started = client.post(reverse("portal:payment_pay"), {"invoice": invoice.pk, "account": card.pk, "key": "abc"})
    assert started.status_code == 302
    assert started["Location"].startswith(sim.url)
    payment = Payment.objects.get()
    assert (payment.reference, payment.amount) == (f"invoice:{invoice.pk}", Decimal("230.0000"))
    paid = requests.post(
        started["Location"], data={"action": "pay", "payment_method": "pm_card_visa"}, timeout=5, allow_redirects=False
    )
    back = paid.headers["Location"].replace("http://testserver", "")
    assert back == reverse("portal:payment_return", args=[payment.pk])
    detail = client.get(back, follow=True)
    assert "Thank you" in detail.content.decode()
    deliver_pending()  # payment.received -> billing settles the invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert balance(contact) == zar(0)
    # The same form posted twice (a double click) is the same payment.
    client.post(reverse("portal:payment_pay"), {"invoice": invoice.pk, "account": card.pk, "key": "abc"})
    assert Payment.objects.count() == 1


def test_staff_pages_refund_review_and_statement(sim, client, admin, settings):
    settings.BASE_URL = "http://testserver"
    bank = gateway_account("bank", label="EFT")
    manual = gateway_account("manual", label="Cash")
    contact = zar_contact()
    client.force_login(admin.user)
    recorded = client.post(
        reverse("staff:payments_manual"),
        {"customer_id": contact.customer_id, "account_id": manual.pk, "amount": "90.00", "reason": "cash", "key": "k"},
    )
    assert recorded.status_code == 302
    payment = Payment.objects.get()
    assert balance(contact) == zar("90.00")
    too_much = client.post(
        reverse("staff:payment_refund", args=[payment.pk]), {"amount": "90.01", "reason": "oops", "key": "r1"}
    )
    assert too_much.status_code == 422
    assert Refund.objects.count() == 0
    assert balance(contact) == zar("90.00")
    done = client.post(
        reverse("staff:payment_refund", args=[payment.pk]), {"amount": "30.00", "reason": "back", "key": "r2"}
    )
    assert done.status_code == 302
    assert balance(contact) == zar("60.00")
    for name in ("staff:payments", "staff:payments_review", "staff:payments_bank", "staff:payments_gateways"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("staff:payment_detail", args=[payment.pk])).status_code == 200
    upload = SimpleUploadedFile(
        "s.csv", b"date,amount,reference\n2026-11-20,12.50,who knows\n", content_type="text/csv"
    )
    imported = client.post(reverse("staff:payments_statement_upload"), {"account_id": bank.pk, "file": upload})
    assert imported.status_code == 302
    line = StatementLine.objects.get()
    client.post(
        reverse("staff:payments_line_assign", args=[line.pk]), {"customer_id": contact.customer_id, "reason": "called"}
    )
    assert balance(contact) == zar("72.50")
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 2
    client.force_login(contact.user)
    assert client.get(reverse("staff:payments")).status_code == 302  # customers are sent to the portal


def test_staff_add_and_change_a_gateway_account_with_encrypted_credentials(client, admin):
    from django.db import connection

    from hostkeep.payments.models import GatewayAccount

    client.force_login(admin.user)
    assert client.get(reverse("staff:payments_gateway_new")).status_code == 200
    created = client.post(
        reverse("staff:payments_gateway_new"),
        {
            "gateway": "stripe",
            "label": "Cards (ZA)",
            "enabled": "on",
            "currencies": "zar, usd",
            "countries": "ZA",
            "position": "1",
            "settings": '{"api_base": "https://api.stripe.com"}',
            "credentials": '{"secret_key": "sk_live_abc", "webhook_secret": "whsec_1"}',
        },
    )
    assert created.status_code == 302
    account = GatewayAccount.objects.get()
    assert (account.currencies, account.countries) == (["ZAR", "USD"], ["ZA"])
    assert account.credentials == {"secret_key": "sk_live_abc", "webhook_secret": "whsec_1"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM payments_gatewayaccount")
        (raw,) = cursor.fetchone()
    assert raw.startswith("fernet:")
    assert "sk_live_abc" not in raw
    page = client.get(reverse("staff:payments_gateway_edit", args=[account.pk])).content.decode()
    assert "sk_live_abc" not in page
    changed = client.post(
        reverse("staff:payments_gateway_edit", args=[account.pk]),
        {
            "gateway": "stripe",
            "label": "Cards",
            "currencies": "ZAR",
            "position": "0",
            "credentials": '{"webhook_secret": "whsec_2"}',
        },
    )
    assert changed.status_code == 302
    account.refresh_from_db()
    assert account.enabled is False
    assert account.credentials == {"secret_key": "sk_live_abc", "webhook_secret": "whsec_2"}
    refused = client.post(
        reverse("staff:payments_gateway_edit", args=[account.pk]),
        {"gateway": "stripe", "label": "Cards", "currencies": "XXX", "position": "0"},
    )
    assert refused.status_code == 422
    account.refresh_from_db()
    assert account.currencies == ["ZAR"]
