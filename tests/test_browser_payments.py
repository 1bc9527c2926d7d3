"""In Chromium, on the demo: Thabo pays invoices through each gateway's simulator (Stripe,
PayPal, PayFast, YooKassa, all running as real HTTP servers as in ``hostkeep demo``) and sees
each invoice paid; a bank transfer shows its reference; staff see the payments."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hostkeep.accounts.models import StaffMember
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import PASSWORD, ContactFactory
from hostkeep.billing import actions as billing_actions
from hostkeep.billing.models import BillingProfile, Invoice
from hostkeep.core.outbox import deliver_pending
from hostkeep.demo import payments as demo_payments
from hostkeep.demo.seed import DEMO_PASSWORD, seed_demo
from hostkeep.payments.models import GatewayAccount, Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server, settings, one_request_at_a_time):
    settings.BASE_URL = live_server.url
    seed_demo()
    seed_demo()  # a second run adds nothing
    assert GatewayAccount.objects.count() == 6
    stoppers = demo_payments.start_simulators(site_url=live_server.url)
    yield live_server.url
    for stop in stoppers:
        stop()


def log_in(page: Page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.locator('form button[type="submit"]').last.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/(portal|staff)/"))


def charge(customer_id: int, amount: str, key: str) -> Invoice:
    staff = StaffMember.objects.filter(user__email="admin@villager.example").get()
    return billing_actions.manual_charge(
        actor=actor_for_user(staff.user), customer_id=customer_id, amount=amount, reason=f"Demo {key}", key=key
    )


def pay_invoice(page: Page, base: str, invoice: Invoice, gateway_label: str) -> None:
    page.goto(f"{base}/portal/payments/")
    page.locator(f"#pay-invoice-{invoice.pk}").click()
    page.get_by_label(gateway_label).check()
    page.get_by_role("button", name="Continue to payment").click()


def wait_paid(page: Page, invoice: Invoice) -> None:
    status = page.locator("#payment-status")
    for _ in range(20):
        if status.inner_text() == "Paid":
            break
        page.wait_for_timeout(300)
        page.reload()
    expect(status).to_have_text("Paid")
    deliver_pending()  # what ``hostkeep worker`` does in the demo: billing settles the invoice
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_new_customer_pays_invoices_through_each_gateway_simulator(demo, page: Page):
    base = demo
    # A new customer of the demo provider, billed in rand after the fact (postpaid), with no
    # balance: each invoice stays open until it is paid online.
    thabo = ContactFactory(
        customer__name="Khaya Game Hosting",
        customer__currency="ZAR",
        customer__country="ZA",
        user__email="new.customer@payments.example.test",
    )
    BillingProfile.objects.create(customer=thabo.customer, mode="postpaid")
    log_in(page, base, "new.customer@payments.example.test", PASSWORD)

    invoice = charge(thabo.customer_id, "115.00", "stripe")
    pay_invoice(page, base, invoice, "Card (Stripe simulator)")
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:8101/c/pay/"))
    page.get_by_role("button", name="Pay").click()
    wait_paid(page, invoice)

    invoice = charge(thabo.customer_id, "57.50", "paypal")
    pay_invoice(page, base, invoice, "PayPal (simulator)")
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:8102/checkoutnow"))
    page.get_by_role("button", name="Approve and continue").click()
    wait_paid(page, invoice)

    invoice = charge(thabo.customer_id, "230.00", "payfast")
    pay_invoice(page, base, invoice, "PayFast (simulator)")
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:8103/eng/process/"))
    page.get_by_role("button", name="Pay now (card succeeds)").click()
    wait_paid(page, invoice)

    invoice = charge(thabo.customer_id, "99.00", "yookassa")
    pay_invoice(page, base, invoice, "YooKassa (simulator)")
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:8104/checkout/"))
    page.get_by_role("button", name="Pay", exact=True).click()
    wait_paid(page, invoice)

    invoice = charge(thabo.customer_id, "40.00", "bank")
    pay_invoice(page, base, invoice, "EFT bank transfer")
    expect(page.locator("#bank-reference")).to_have_text(re.compile(r"HK\d{8}"))
    assert Payment.objects.filter(customer=thabo.customer, status="succeeded").count() == 4

    page.goto(f"{base}/accounts/logout/")
    page.get_by_role("button").last.click()
    log_in(page, base, "admin@villager.example")
    page.goto(f"{base}/staff/payments/")
    expect(page.locator("#payments")).to_contain_text("Khaya Game Hosting")
    page.goto(f"{base}/staff/payments/gateways/")
    expect(page.locator("#notification-log")).to_contain_text("Applied")
