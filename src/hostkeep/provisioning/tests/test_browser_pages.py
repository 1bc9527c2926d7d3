"""In Chromium, against the Pterodactyl simulator: the customer's service page shows its server
(address, state, resources) and the log-in-to-panel link; staff test the panel connection, read
a service's action log, and retry a failed creation with one click until the server exists."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hostkeep.accounts.tests.factories import PASSWORD
from hostkeep.catalog.models import Product
from hostkeep.provisioning.choices import ActionStatus
from hostkeep.provisioning.models import ModuleConnection, ProvisionedServer, ProvisioningAction
from hostkeep.provisioning.tests.fixtures import PAPER, drive
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, email: str, landing: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    expect(page).to_have_url(f"{base}{landing}")


def status_of(service: Service) -> str:
    return Service.objects.get(pk=service.pk).status


def test_the_server_for_the_customer_and_the_panel_work_for_staff(
    live_server,
    page: Page,
    one_request_at_a_time,
    panel,
    connection: ModuleConnection,
    catalog,
    customer_contact,
    order_and_pay,
    run_jobs,
    admin,
):
    base = live_server.url
    active = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(active) == ServiceStatus.ACTIVE)
    server = ProvisionedServer.objects.get(service=active)
    remote = panel.server_by_external_id(f"service-{active.pk}")
    assert server.address
    # The next order finds no free port on the panel and fails for good.
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings={**PAPER, "port_range": ["30000"]})
    failed = order_and_pay(customer_contact)
    drive(run_jobs, lambda: status_of(failed) == ServiceStatus.FAILED)

    # The customer: the server with its address, state and resources, and the panel link.
    log_in(page, base, customer_contact.user.email, "/portal/")
    page.goto(f"{base}/portal/services/{active.pk}/")
    card = page.locator("#service-server")
    expect(card.locator("#server-address")).to_have_text(server.address)
    expect(card.locator("#server-state")).to_have_text("Running")
    expect(card).to_contain_text(str(server.resources["disk"]))
    link = card.get_by_role("link", name="Log in to the control panel")
    expect(link).to_have_attribute("href", f"/portal/services/{active.pk}/panel/")
    answer = page.request.get(f"{base}/portal/services/{active.pk}/panel/", max_redirects=0)
    assert (answer.status, answer.headers["location"]) == (
        302,
        f"https://panel.example.test/server/{remote.identifier}",
    )
    page.goto(f"{base}/portal/services/{failed.pk}/")
    expect(page.get_by_text("We could not set up this service.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Staff: the connection and its test button.
    log_in(page, base, admin.user.email, "/staff/")
    page.goto(f"{base}/staff/provisioning/")
    row = page.locator("#connections tr", has_text="Panel FRA")
    expect(row).to_contain_text("never")
    row.get_by_role("button", name="Test").click()
    expect(page.locator("#connections tr", has_text="Panel FRA")).to_contain_text("✓ 2 locations, 3 nodes")
    # The failed creation is an open task linking to its service.
    page.locator("#tasks").get_by_role("link", name=re.compile(rf"failed for .*#{failed.pk}")).click()
    expect(page).to_have_url(f"{base}/staff/provisioning/services/{failed.pk}/")
    expect(page.locator("h1")).to_contain_text("Failed")
    expect(page.locator("h3").first).to_contain_text("Create — Failed")
    expect(page.get_by_text("No free room on the panel").first).to_be_visible()
    # The customer's panel user is known from the first server: the call went straight to /servers.
    expect(page.locator("table code").first).to_have_text("POST /servers?include=allocations")

    # Staff fix the product and retry with one click: the log fills in and the server exists.
    Product.objects.filter(pk=catalog["product"].pk).update(module_settings=PAPER)
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Retrying; the log below fills in as the panel answers.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Provisioning")
    drive(run_jobs, lambda: status_of(failed) == ServiceStatus.ACTIVE)
    page.reload()
    expect(page.locator("h1")).to_contain_text("Active")
    expect(page.locator("h3").first).to_contain_text("Create — Succeeded")
    expect(page.locator("#server-state")).to_have_text("Running")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    assert list(ProvisioningAction.objects.filter(service=failed).order_by("pk").values_list("status", flat=True)) == [
        ActionStatus.FAILED,
        ActionStatus.SUCCEEDED,
    ]
    assert panel.server_by_external_id(f"service-{failed.pk}") is not None

    # The active service's log shows every call the panel answered.
    page.goto(f"{base}/staff/provisioning/services/{active.pk}/")
    expect(page.locator("#remote-id")).to_have_text(str(server.remote_id))
    expect(page.get_by_text("POST /servers?include=allocations")).to_be_visible()
