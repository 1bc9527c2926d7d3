"""The notification centre in the portal and the staff area: unread counts, reading,
preferences (with the critical refusal), the template editor with preview, the delivery log,
endpoints and the allow-list."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hostkeep.accounts.tests.clients import log_in
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.notifications.models import AllowedHost, Delivery, Endpoint, MessageTemplate, Preference

pytestmark = pytest.mark.django_db


def test_the_portal_shows_notifications_with_the_unread_count_and_marks_them_read(ping, owner_a, emit):
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Beta"})
    other = ContactFactory(role="owner")
    emit("test.ping", {"customer_id": other.customer_id, "name": "Secret"})
    client = log_in(Client(), owner_a.user)

    page = client.get(reverse("portal:notifications"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Ping Alpha" in html
    assert "Ping Beta" in html
    assert "Secret" not in html
    assert 'data-testid="notifications-unread">2<' in html

    client.post(
        reverse("portal:notifications_read"),
        {"delivery": [Delivery.objects.filter(subject="Ping Alpha", channel="inapp").get().pk]},
    )
    assert 'data-testid="notifications-unread">1<' in client.get(reverse("portal:dashboard")).content.decode()
    client.post(reverse("portal:notifications_read"))
    assert "notifications-unread" not in client.get(reverse("portal:notifications")).content.decode()
    assert Delivery.objects.get(user=other.user, channel="inapp").read_at is None


def test_preferences_are_saved_and_a_critical_opt_out_is_refused(critical_ping, owner_a):
    client = log_in(Client(), owner_a.user)
    page = client.get(reverse("portal:notification_preferences"))
    assert page.status_code == 200
    everything_on = {
        f"{c}:{ch}": "on"
        for c in ("account", "security", "billing", "services", "support", "documents")
        for ch in ("inapp", "email")
    }

    refused = client.post(
        reverse("portal:notification_preferences"),
        {k: v for k, v in everything_on.items() if not k.startswith("billing:")},
    )
    assert refused.status_code == 422
    assert "cannot be switched off entirely" in refused.content.decode()
    assert Preference.objects.count() == 0

    saved = client.post(
        reverse("portal:notification_preferences"), {k: v for k, v in everything_on.items() if k != "billing:email"}
    )
    assert saved.status_code == 302
    assert Preference.objects.get(user=owner_a.user, category="billing", channel="email").enabled is False
    assert Preference.objects.get(user=owner_a.user, category="billing", channel="inapp").enabled is True


def test_staff_edit_a_template_with_a_preview_and_see_the_delivery_log(ping, owner_a, admin, emit):
    client = log_in(Client(), admin.user)
    url = reverse("staff:notification_template", args=["test.ping", "email", "es"])

    assert client.get(reverse("staff:notification_templates")).status_code == 200
    shown = client.get(url)
    assert shown.status_code == 200
    assert "Aviso Sample" in shown.content.decode()
    preview = client.post(url, {"do": "preview", "subject": "Hola {{ name }}", "body_text": "Texto {{ name }}"})
    assert "Hola Sample" in preview.content.decode()
    assert MessageTemplate.objects.count() == 0
    refused = client.post(url, {"do": "save", "subject": "x", "body_text": "{{ settings.SECRET_KEY }}"})
    assert refused.status_code == 422
    assert (
        client.post(url, {"do": "save", "subject": "Hola {{ name }}", "body_text": "Texto {{ name }}"}).status_code
        == 302
    )
    assert MessageTemplate.objects.get().subject == "Hola {{ name }}"

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})
    log = client.get(reverse("staff:notification_log"), {"channel": "email"})
    assert log.status_code == 200
    assert owner_a.user.email in log.content.decode()
    assert client.get(reverse("staff:notifications")).status_code == 200


def test_staff_add_a_webhook_and_allow_a_private_host(ping, admin):
    client = log_in(Client(), admin.user)
    page = reverse("staff:notification_endpoints")
    assert client.get(page).status_code == 200

    client.post(
        page,
        {
            "kind": "webhook",
            "name": "ERP",
            "url": "https://erp.example.com/hook",
            "secret": "x" * 20,
            "enabled": "on",
            "language": "en",
        },
    )
    client.post(reverse("staff:notification_allowed_host_add"), {"host": "ERP.internal.", "note": "our ERP"})

    endpoint = Endpoint.objects.get()
    assert (endpoint.name, endpoint.url, endpoint.secret) == ("ERP", "https://erp.example.com/hook", "x" * 20)
    assert list(AllowedHost.objects.values_list("host", flat=True)) == ["erp.internal"]


def test_customers_cannot_open_the_staff_pages(owner_a):
    client = log_in(Client(), owner_a.user)
    for name in ("staff:notification_log", "staff:notification_templates", "staff:notification_endpoints"):
        assert client.get(reverse(name)).status_code in {302, 403}


def test_the_api_lists_notifications_counts_unread_and_saves_preferences(ping, owner_a, admin, emit):
    from hostkeep.accounts.tests.factories import api_token_for

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})
    _token, secret = api_token_for(owner_a.user)
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client()

    listed = client.get("/api/v1/notifications/", headers=headers).json()
    assert [(n["topic"], n["subject"], n["read_at"]) for n in listed["items"]] == [("test.ping", "Ping Alpha", None)]
    assert client.get("/api/v1/notifications/unread", headers=headers).json() == {"unread": 1}
    marked = client.post("/api/v1/notifications/read", {}, content_type="application/json", headers=headers)
    assert marked.json() == {"marked": 1}
    refused = client.put(
        "/api/v1/notifications/preferences",
        [
            {"category": "security", "channel": "inapp", "enabled": False},
            {"category": "security", "channel": "email", "enabled": False},
        ],
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "critical_opt_out"
    assert Preference.objects.count() == 0

    _staff_token, staff_secret = api_token_for(admin.user)
    log = client.get(
        "/api/v1/staff/notifications/deliveries?channel=email", headers={"Authorization": f"Bearer {staff_secret}"}
    )
    assert [(d["topic"], d["status"]) for d in log.json()["items"]] == [("test.ping", "sent")]
    assert client.get("/api/v1/staff/notifications/deliveries", headers=headers).status_code == 403
