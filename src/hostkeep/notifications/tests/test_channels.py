"""Each outside channel against a real local server on 127.0.0.1: e-mail through SMTP
(aiosmtpd), Telegram and SMS through Apprise, a chat channel, and the private-address check
that Apprise calls pass too."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from apprise.plugins.telegram import NotifyTelegram

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.notifications import actions
from hostkeep.notifications.choices import DeliveryStatus, EndpointKind
from hostkeep.notifications.models import Delivery, UserAddress
from hostkeep.notifications.tests.conftest import Receiver

pytestmark = pytest.mark.django_db


class Sink:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_email_goes_through_a_real_smtp_server_as_text_and_html(ping, owner_a, emit, settings, smtp_server):
    sink, port = smtp_server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    owner_a.user.full_name = "Thabo <b>Mokoena</b>"
    owner_a.user.save()

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha & Co"})

    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT
    (envelope,) = sink.envelopes
    assert envelope.rcpt_tos == [owner_a.user.email]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Ping Alpha & Co"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Thabo <b>Mokoena</b>: Alpha & Co" in text
    assert "Thabo &lt;b&gt;Mokoena&lt;/b&gt;: Alpha &amp; Co" in html
    assert "<b>Mokoena" not in html


def test_an_smtp_server_that_is_down_is_retried(ping, owner_a, emit, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    mailed = Delivery.objects.get(channel="email")
    assert (mailed.status, mailed.attempts) == (DeliveryStatus.RETRYING, 1)
    assert "mail server" in mailed.last_error
    assert Delivery.objects.get(channel="inapp").status == DeliveryStatus.SENT


@pytest.fixture
def telegram_at(receiver: Receiver, monkeypatch):
    monkeypatch.setattr(NotifyTelegram, "notify_url", f"{receiver.url}/bot")
    return receiver


def test_telegram_goes_to_the_bot_api_and_only_to_an_allowed_private_host(
    ping, owner_a, admin, emit, telegram_at: Receiver
):
    staff = actor_for_user(admin.user)
    actions.channel_account_save(
        actor=staff, channel="telegram", url="tgram://123456789:ABCdefGhIJKlmnOPqrstUVwxyz12345678/{address}"
    )
    UserAddress.objects.create(user=owner_a.user, channel="telegram", address="424242")
    actions.preferences_save(actor=actor_for_user(owner_a.user), choices={("services", "telegram"): True})

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    refused = Delivery.objects.get(channel="telegram")
    assert refused.status == DeliveryStatus.FAILED
    assert "127.0.0.1" in refused.last_error
    assert telegram_at.requests == []

    actions.allowed_host_add(actor=staff, host="127.0.0.1")
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Beta"})

    sent = Delivery.objects.filter(channel="telegram").latest("id")
    assert sent.status == DeliveryStatus.SENT, sent.last_error
    (request,) = telegram_at.requests
    assert request["path"] == "/bot123456789:ABCdefGhIJKlmnOPqrstUVwxyz12345678/sendMessage"
    body = telegram_at.bodies()[0]
    assert str(body["chat_id"]) == "424242"
    assert "Ping Beta" in body["text"]


def test_sms_goes_through_an_apprise_json_gateway(ping, owner_a, admin, emit, receiver: Receiver):
    staff = actor_for_user(admin.user)
    actions.allowed_host_add(actor=staff, host="127.0.0.1")
    actions.channel_account_save(actor=staff, channel="sms", url=f"json://127.0.0.1:{receiver.port}/sms/{{address}}")
    owner_a.phone = "+27821234567"
    owner_a.save()
    actions.preferences_save(actor=actor_for_user(owner_a.user), choices={("services", "sms"): True})

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    sms = Delivery.objects.get(channel="sms")
    assert (sms.status, sms.address) == (DeliveryStatus.SENT, "+27821234567")
    (request,) = receiver.requests
    assert request["path"] == "/sms/+27821234567"
    assert receiver.bodies()[0]["message"] == "Ping Alpha"


def test_a_chat_channel_gets_every_event_it_subscribes_to(ping, owner_a, admin, emit, receiver: Receiver):
    staff = actor_for_user(admin.user)
    actions.allowed_host_add(actor=staff, host="127.0.0.1")
    actions.endpoint_save(
        actor=staff, kind=EndpointKind.CHAT, name="team", url=f"json://127.0.0.1:{receiver.port}/chat", language="es"
    )
    actions.endpoint_save(
        actor=staff,
        kind=EndpointKind.CHAT,
        name="other",
        url=f"json://127.0.0.1:{receiver.port}/other",
        topics=["invoice.paid"],
    )

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert [r["path"] for r in receiver.requests] == ["/chat"]
    assert receiver.bodies()[0]["message"].startswith("Aviso Alpha")
    assert Delivery.objects.get(channel="chat").status == DeliveryStatus.SENT


def test_email_can_go_through_an_email_service_with_anymail(ping, owner_a, emit, settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    from django.core import mail

    (message,) = mail.outbox
    assert message.anymail_test_params["subject"] == "Ping Alpha"
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT
