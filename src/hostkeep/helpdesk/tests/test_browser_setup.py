"""In Chromium: the demo admin sets the helpdesk up through the staff screens (a paid department,
an SLA target for the plan of Thabo's server, a widget key for a project, with its script tag);
then Thabo opens a ticket: the form shows his plan's rules of service first, and the ticket
page shows the SLA time left from the target just made."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hostkeep.accounts.models import Project, User
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.catalog.models import Plan
from hostkeep.demo.seed import DEMO_PASSWORD, seed_demo
from hostkeep.helpdesk.models import Department, SlaPolicy, Ticket, WidgetKey
from hostkeep.services import actions as service_actions
from hostkeep.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
RULES = "Priority answers within 30 minutes, every day from 08:00 to 22:00."


def log_in(page: Page, base: str, email: str, landing: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    expect(page).to_have_url(f"{base}{landing}")


def test_staff_set_up_a_department_with_sla_and_a_widget_key(live_server, page: Page, one_request_at_a_time):
    seed_demo()
    base = live_server.url
    thabo = actor_for_user(User.objects.get(email="thabo@example.co.za"))
    ordered = Plan.objects.filter(is_active=True, prices__currency="ZAR").order_by("product_id", "sort_order")[0]
    service_actions.cart_add(actor=thabo, plan_id=ordered.pk)
    service_actions.checkout(actor=thabo)
    service = Service.objects.select_related("plan__product").get(customer=thabo.customer)
    plan = service.plan
    plan.rules_of_service = RULES
    plan.save(update_fields=["rules_of_service"])
    project = Project.objects.select_related("customer").get(name="Blocky shop")

    log_in(page, base, "admin@villager.example", "/staff/")
    page.goto(f"{base}/staff/helpdesk/setup/departments/")
    page.get_by_label("Name").fill("Priority support")
    page.get_by_label("Sends as").fill("priority@villager.example")
    page.get_by_label("Paid support").select_option(label="Fixed price per ticket")
    page.get_by_label("Price per ticket").fill("150")
    page.get_by_label("Currency").select_option("ZAR")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("The department “Priority support” is saved.")
    expect(page.locator("#departments")).to_contain_text("Priority support")

    page.locator("#setup-tabs").get_by_role("link", name="SLA targets").click()
    page.get_by_label("Department").select_option(label="Priority support")
    page.get_by_label("Plan").select_option(label=f"{plan.product.name} — {plan.name}")
    page.get_by_label("First response within").fill("30")
    page.get_by_label("Resolution within").fill("240")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("The SLA target is saved.")
    expect(page.locator("#sla-targets")).to_contain_text(f"{plan.product.name} — {plan.name}")
    page.screenshot(path=SCREENSHOTS / "hostkeep-helpdesk-setup-sla.png", full_page=True)

    page.locator("#setup-tabs").get_by_role("link", name="Widget keys").click()
    page.get_by_label("Project").select_option(value=str(project.pk))
    page.get_by_label("Department").select_option(label="Priority support")
    page.get_by_label("Allowed origins").fill("https://shop.blocky.example")
    page.get_by_role("button", name="Make the key").click()
    key = WidgetKey.objects.get(project=project, department__name="Priority support")
    expect(page.locator("#script-tag")).to_have_text(
        f'<script src="{base}/helpdesk/widget/{key.key}.js" async></script>'
    )
    page.screenshot(path=SCREENSHOTS / "hostkeep-helpdesk-setup-widget-key.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    log_in(page, base, "thabo@example.co.za", "/portal/")
    page.goto(f"{base}/portal/tickets/new/")
    expect(page.locator("#rules-of-service")).to_contain_text(RULES)
    page.get_by_label("Department").select_option(label="Priority support (paid)")
    page.get_by_label("Service").select_option(value=str(service.pk))
    page.get_by_label("Subject").fill("Need a hand before tonight's event")
    page.get_by_label("Message").fill("Can you check the server before 20:00?")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.locator(".messages")).to_contain_text("is opened")
    expect(page.locator("#sla [data-sla=first_response]")).to_contain_text("First response: due")
    expect(page.locator("#sla [data-sla=resolution]")).to_contain_text("left")
    page.screenshot(path=SCREENSHOTS / "hostkeep-helpdesk-portal-sla.png", full_page=True)

    ticket = Ticket.objects.get(subject="Need a hand before tonight's event")
    department = Department.objects.get(name="Priority support")
    assert (ticket.department, ticket.is_paid, ticket.fixed_price) == (department, True, 150)
    assert SlaPolicy.objects.get(department=department).plan == plan
    assert ticket.first_response_due - ticket.created_at == dt.timedelta(minutes=30)
    assert ticket.resolution_due - ticket.created_at == dt.timedelta(minutes=240)
