"""The foundation in a real browser (Debian's chromium through Playwright), on the demo
data: a customer logs in, reads the portal, switches to Russian and logs out; the provider's
admin logs in to the staff area."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hostkeep.accounts.models import User
from hostkeep.demo.seed import DEMO_PASSWORD, seed_demo


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('main form[action="/accounts/login/"] button[type="submit"]').click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_portal_in_russian_then_the_staff_area(live_server, page: Page, tmp_path):
    seed_demo()
    base_url = live_server.url

    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    log_in(page, base_url, "thabo@example.co.za")
    expect(page).to_have_url(f"{base_url}/portal/")
    expect(page.locator("h1")).to_have_text("Welcome, Thabo Mokoena")
    expect(page.get_by_text("Your role: Owner")).to_be_visible()
    expect(page.locator("header")).to_contain_text("thabo@example.co.za")

    with page.expect_navigation():
        page.select_option("#language-select", "ru")
    expect(page).to_have_url(f"{base_url}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Добро пожаловать, Thabo Mokoena")
    expect(page.get_by_text("Ваша роль: Владелец")).to_be_visible()
    expect(page.get_by_role("link", name="Контакты", exact=True)).to_be_visible()
    screenshot = page.screenshot(path=tmp_path / "portal-ru.png", full_page=True)
    assert screenshot.startswith(b"\x89PNG")
    assert User.objects.get(email="thabo@example.co.za").language == "ru"

    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto(f"{base_url}/portal/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/portal/"))

    log_in(page, base_url, "admin@villager.example")
    expect(page).to_have_url(f"{base_url}/staff/")
    expect(page.locator("h1")).to_have_text("Раздел сотрудников")
    expect(page.get_by_test_id("staff-role")).to_have_text("Администратор")
    nav = page.get_by_role("navigation", name="Основное меню")
    for link in ("Клиенты", "Команда", "Журнал аудита"):
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()

    nav.get_by_role("link", name="Клиенты", exact=True).click()
    expect(page.get_by_role("link", name="Blocky Builders (Pty) Ltd")).to_be_visible()
    expect(page.get_by_role("link", name="Thabo Mokoena")).to_be_visible()
