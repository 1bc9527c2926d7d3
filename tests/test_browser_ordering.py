"""In Chromium: the demo customer orders a Minecraft server with options and the welcome
promo code, sees it pending with its due date, and (once provisioning has made it active)
upgrades it, seeing the prorated price before confirming."""

from __future__ import annotations

import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.defaultfilters import date as date_filter
from playwright.sync_api import Page, expect

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.core import clock
from hostkeep.demo.seed import DEMO_PASSWORD, seed_demo
from hostkeep.services import actions, periods
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service, ServiceChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())  # /tmp: pictures of the pages for a person to look at
ORDER_SCREENSHOT = SCREENSHOTS / "hostkeep-order-page.png"
CONFIRM_SCREENSHOT = SCREENSHOTS / "hostkeep-upgrade-confirm.png"
SERVICE_SCREENSHOT = SCREENSHOTS / "hostkeep-service-page.png"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    expect(page).to_have_url(f"{base}/portal/")


def test_thabo_orders_a_minecraft_server_with_a_promo_code_and_upgrades_it(
    live_server, page: Page, one_request_at_a_time
):
    seed_demo()
    base = live_server.url
    log_in(page, base, "thabo@example.co.za")

    page.get_by_role("link", name="Catalogue").click()
    expect(page.get_by_text("179.00 ZAR · 1 month")).to_be_visible()
    page.get_by_role("link", name="Order Minecraft server").click()

    # Iron for a quarter: 510.15 + RAM 2 GB over the included 2 (2 x 75) + 20 slots over
    # the included 20 (20 x 4.50) + Cape Town 45 + backups 105 = 900.15; + 15 % VAT.
    total = page.locator("#quote-total")
    expect(total).to_have_text("170.20 ZAR")  # Stone monthly with its setup fee, as the page opens
    page.get_by_label("Iron").check()
    page.get_by_label("Billing period").select_option(label="3 months")
    page.get_by_label("RAM (GB)").fill("4")
    page.get_by_label("Player slots").fill("40")
    page.get_by_label("Location").select_option(label="Cape Town")
    page.get_by_label("Game version").select_option(label="Java 1.21 (Vanilla)")
    page.get_by_label("Daily backups").check()
    expect(total).to_have_text("1035.17 ZAR")
    expect(page.locator("#quote")).to_contain_text("Location: Cape Town")
    expect(page.locator("#quote")).to_contain_text("Then 1035.17 ZAR for every 3 months, VAT included.")
    page.get_by_label("RAM (GB)").fill("64")
    expect(page.locator("#quote-problems")).to_have_text("RAM (GB) must be between 2 and 16.")
    page.get_by_label("RAM (GB)").fill("4")
    expect(total).to_have_text("1035.17 ZAR")
    page.screenshot(path=ORDER_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(f"{base}/portal/cart/")
    page.get_by_label("Promo code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-discount")).to_have_text("90.02 ZAR")
    expect(page.locator("#cart-net")).to_have_text("810.14 ZAR")
    expect(page.locator("#cart-tax")).to_have_text("121.52 ZAR")
    expect(page.locator("#cart-total")).to_have_text("931.66 ZAR")
    # Thabo accepted the offer with his first demo order, so the contract is not asked again.
    expect(page.get_by_label("I accept the offer (contract)")).to_have_count(0)
    page.get_by_role("button", name="Place order").click()

    expect(page).to_have_url(f"{base}/portal/services/")
    expect(page.locator(".messages")).to_contain_text("is placed.")
    service = Service.objects.get()
    due = periods.renewal_dates(clock.today(), unit="month", count=3, periods=1)[0]
    assert (service.status, service.next_due_date, service.plan.code) == (ServiceStatus.PENDING, due, "iron")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text(date_filter(due, "DATE_FORMAT"))

    # Provisioning makes the service active.
    actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)

    page.get_by_role("link", name=f"Minecraft server #{service.pk}").click()
    expect(page.locator("h1")).to_contain_text("Active")
    page.get_by_label("Plan").select_option(label="Diamond")
    page.get_by_role("button", name="See the price").click()
    amount = page.locator("#change-amount")
    expect(amount).to_have_text(re.compile(r"^\d+\.\d\d ZAR$"))
    shown = Decimal(amount.inner_text().removesuffix(" ZAR"))
    assert shown > 0
    page.screenshot(path=CONFIRM_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Confirm the change").click()

    expect(page.locator(".messages")).to_contain_text("ZAR will be charged.")
    change = ServiceChange.objects.get()
    assert abs(change.amount - shown) <= Decimal("0.01")  # a few seconds passed between the two
    expect(page.locator("#service-plan")).to_have_text("Diamond")
    expect(page.locator("#service-options")).to_contain_text("Location: Cape Town")
    expect(page.locator("#service-due-date")).to_have_text(date_filter(due, "DATE_FORMAT"))
    page.screenshot(path=SERVICE_SCREENSHOT, full_page=True)
