"""In Chromium: the demo customer opens a ticket with an attachment; the support agent answers
with a canned reply (its variables filled in) and resolves it; the customer sees the answer
and rates it; staff see the rating per agent."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hostkeep.demo.seed import DEMO_PASSWORD, seed_demo
from hostkeep.helpdesk.models import Rating, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())


def log_in(page: Page, base: str, email: str, landing: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    expect(page).to_have_url(f"{base}{landing}")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_a_ticket_from_opening_to_rating(live_server, page: Page, one_request_at_a_time, tmp_path):
    seed_demo()
    base = live_server.url
    screenshot_log = tmp_path / "server.log"
    screenshot_log.write_text("[12:00] Server crashed\n")

    log_in(page, base, "thabo@example.co.za", "/portal/")
    page.get_by_role("link", name="Support").click()
    page.get_by_role("link", name="Open a ticket").click()
    page.get_by_label("Department").select_option(label="Technical support")
    page.get_by_label("Subject").fill("Server will not start")
    page.get_by_label("Message").fill("It stops at **boot**.")
    page.get_by_label("Attachments").set_input_files(str(screenshot_log))
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.locator(".messages")).to_contain_text("is opened")
    expect(page.locator(".conversation")).to_contain_text("It stops at boot.")
    expect(page.get_by_role("link", name="server.log")).to_be_visible()
    ticket = Ticket.objects.get(subject="Server will not start")
    log_out(page)

    log_in(page, base, "support@villager.example", "/staff/")
    page.goto(f"{base}/staff/helpdesk/")
    page.get_by_role("link", name="Server will not start").click()
    page.get_by_label("Canned reply").select_option(label="Restarted the server")
    expect(page.get_by_label("Message")).to_have_value(re.compile(r"^Hello Thabo Mokoena,"))
    page.get_by_label("Then set status").select_option(value="resolved")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The reply is sent.")
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    page.screenshot(path=SCREENSHOTS / "hostkeep-helpdesk-staff.png", full_page=True)
    log_out(page)

    log_in(page, base, "thabo@example.co.za", "/portal/")
    page.goto(f"{base}/portal/tickets/{ticket.pk}/")
    expect(page.locator(".conversation")).to_contain_text("we restarted")
    expect(page.locator(".from-staff .author")).to_have_text("Pieter van der Merwe")
    page.locator("#rate-form").get_by_label("5").check()
    page.get_by_label("Comment").fill("Quick and friendly")
    page.get_by_role("button", name="Rate").click()
    expect(page.locator("#rating")).to_contain_text("5/5")
    page.screenshot(path=SCREENSHOTS / "hostkeep-helpdesk-portal.png", full_page=True)
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.agent.user.email) == (
        5,
        "Quick and friendly",
        "support@villager.example",
    )
