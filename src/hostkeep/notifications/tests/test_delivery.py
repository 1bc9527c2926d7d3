"""From an outbox event to messages: recipients, languages, preferences, critical events,
once-only sending, retries of a failing channel, and the channels against local servers."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core import mail

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory, UserFactory
from hostkeep.core.errors import ValidationFailed
from hostkeep.core.models import OutboxEvent
from hostkeep.core.outbox import deliver
from hostkeep.notifications import actions
from hostkeep.notifications.choices import DeliveryStatus, EndpointKind
from hostkeep.notifications.models import Delivery, Notification, Preference
from hostkeep.notifications.tasks import notification_deliver
from hostkeep.notifications.tests.conftest import Receiver

pytestmark = pytest.mark.django_db


def test_an_event_reaches_the_audience_in_app_and_by_email_in_each_persons_language(ping, owner_a, emit):
    owner_a.user.language = "ru"
    owner_a.user.save()
    billing = ContactFactory(customer=owner_a.customer, role=ContactRole.BILLING, user__language="es")
    ContactFactory(customer=owner_a.customer, role=ContactRole.TECHNICAL)  # not in the audience
    ContactFactory(role=ContactRole.OWNER)  # another customer's owner

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    rows = Delivery.objects.order_by("recipient_key", "channel")
    assert sorted((d.user_id, d.channel, d.language, d.status) for d in rows) == sorted(
        [
            (owner_a.user_id, "email", "ru", DeliveryStatus.SENT),
            (owner_a.user_id, "inapp", "ru", DeliveryStatus.SENT),
            (billing.user_id, "email", "es", DeliveryStatus.SENT),
            (billing.user_id, "inapp", "es", DeliveryStatus.SENT),
        ]
    )
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {owner_a.user.email: "Пинг Alpha", billing.user.email: "Aviso Alpha"}
    russian = next(m for m in mail.outbox if m.to == [owner_a.user.email])
    assert russian.body.startswith(f"Здравствуйте, {owner_a.user.full_name}: Alpha")
    assert russian.alternatives[0].mimetype == "text/html"
    assert "Пинг Alpha" in russian.alternatives[0].content


def test_a_contact_who_switched_email_off_gets_only_the_portal_message(ping, owner_a, emit):
    actions.preferences_save(actor=actor_for_user(owner_a.user), choices={("services", "email"): False})

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert list(Delivery.objects.values_list("channel", flat=True)) == ["inapp"]
    assert mail.outbox == []


def test_critical_messages_cannot_be_switched_off_entirely(critical_ping, owner_a):
    actor = actor_for_user(owner_a.user)
    actions.preferences_save(actor=actor, choices={("billing", "email"): False})

    with pytest.raises(ValidationFailed) as refused:
        actions.preferences_save(actor=actor, choices={("billing", "inapp"): False, ("services", "email"): False})

    assert refused.value.code == "critical_opt_out"
    assert set(Preference.objects.values_list("category", "channel", "enabled")) == {("billing", "email", False)}
    with pytest.raises(ValidationFailed):
        actions.preferences_save(actor=actor, choices={("security", "inapp"): False, ("security", "email"): False})
    # A category without critical events may be switched off entirely.
    actions.preferences_save(actor=actor, choices={("account", "inapp"): False, ("account", "email"): False})


def test_a_critical_event_still_reaches_the_portal_when_stored_preferences_say_no(critical_ping, owner_a, emit):
    Preference.objects.create(user=owner_a.user, category="billing", channel="email", enabled=False)
    Preference.objects.create(user=owner_a.user, category="billing", channel="inapp", enabled=False)

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert list(Delivery.objects.values_list("channel", flat=True)) == ["inapp"]


def test_a_repeated_event_is_sent_once(ping, owner_a, emit):
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha", "key": "ping:1"})
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha", "key": "ping:1"})
    # The same outbox event delivered again (a retried job, the sweep) sends nothing either.
    event = OutboxEvent.objects.filter(topic="test.ping").first()
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None)
    event.refresh_from_db()
    assert deliver(event) == []
    assert actions.notification_record(topic="test.ping", payload={"customer_id": 1, "key": "ping:1"}) is None

    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 2
    assert len(mail.outbox) == 1


def test_events_without_a_key_are_one_occurrence_per_outbox_event(ping, owner_a, emit):
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_nothing_is_recorded_when_describe_says_so_or_the_topic_is_unknown(ping, owner_a, emit):
    emit("test.ping", {"customer_id": owner_a.customer_id, "skip": True})
    emit("test.unknown", {"customer_id": owner_a.customer_id})

    assert Notification.objects.count() == 0


def _verify(receiver_request: dict, secret: str) -> bool:
    headers = {k.lower(): v for k, v in receiver_request["headers"].items()}
    timestamp = headers["x-hostkeep-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + receiver_request["body"], hashlib.sha256)
    return headers["x-hostkeep-signature"] == f"t={timestamp},v1={expected.hexdigest()}"


def test_a_failing_webhook_is_retried_and_logged_without_blocking_email(ping, owner_a, admin, emit, receiver: Receiver):
    staff = actor_for_user(admin.user)
    actions.allowed_host_add(actor=staff, host="127.0.0.1", note="test receiver")
    secret = "s3cret-s3cret-s3cret"
    actions.endpoint_save(
        actor=staff, kind=EndpointKind.WEBHOOK, name="ERP", url=f"{receiver.url}/hooks", secret=secret
    )
    receiver.status = 503

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert [m.to for m in mail.outbox] == [[owner_a.user.email]]
    hook = Delivery.objects.get(channel="webhook")
    assert (hook.status, hook.attempts) == (DeliveryStatus.RETRYING, 1)
    assert "503" in hook.last_error
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT
    assert len(receiver.requests) == 1

    receiver.status = 200
    notification_deliver.call(delivery_id=hook.pk, attempt=2)

    hook.refresh_from_db()
    assert (hook.status, hook.attempts, hook.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(receiver.requests) == 2
    assert _verify(receiver.requests[-1], secret)
    assert receiver.bodies()[-1]["event"] == "test.ping"
    assert receiver.bodies()[-1]["data"] == {"name": "Alpha"}
    assert len(mail.outbox) == 1


def test_the_last_failed_attempt_is_logged_as_failed(ping, owner_a, admin, emit, receiver: Receiver):
    staff = actor_for_user(admin.user)
    actions.allowed_host_add(actor=staff, host="127.0.0.1")
    actions.endpoint_save(actor=staff, kind=EndpointKind.WEBHOOK, name="ERP", url=receiver.url, secret="x" * 16)
    receiver.status = 500
    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})
    hook = Delivery.objects.get(channel="webhook")

    with pytest.raises(Exception, match="500"):
        notification_deliver.call(delivery_id=hook.pk, attempt=6)

    hook.refresh_from_db()
    assert (hook.status, hook.attempts) == (DeliveryStatus.FAILED, 2)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.1.2.3", "[::1]"])
def test_webhooks_to_internal_addresses_are_refused_unless_allowed(ping, owner_a, admin, emit, host):
    staff = actor_for_user(admin.user)
    actions.endpoint_save(
        actor=staff, kind=EndpointKind.WEBHOOK, name="inside", url=f"http://{host}:9/x", secret="x" * 16
    )

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    hook = Delivery.objects.get(channel="webhook")
    assert hook.status == DeliveryStatus.FAILED
    assert "internal address" in hook.last_error
    assert len(mail.outbox) == 1


def test_an_inactive_user_or_one_without_a_language_we_know_is_handled(ping, owner_a, emit):
    ContactFactory(customer=owner_a.customer, role=ContactRole.BILLING, user=UserFactory(is_active=False))
    owner_a.user.language = "de"
    owner_a.user.save()

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert set(Delivery.objects.values_list("user_id", "language")) == {(owner_a.user_id, "en")}


def test_the_sweep_sends_deliveries_whose_job_was_lost(ping, owner_a, run_jobs, django_capture_on_commit_callbacks):
    import datetime as dt

    from hostkeep.core import clock
    from hostkeep.notifications.tasks import notification_deliveries_sweep

    actions.notification_record(topic="test.ping", payload={"customer_id": owner_a.customer_id, "name": "A"})
    # The on-commit enqueue never ran (a crash), and the delivery is old.
    Delivery.objects.filter(channel="email").update(created_at=clock.now() - dt.timedelta(minutes=6))

    assert notification_deliveries_sweep.call() == 1
    run_jobs()

    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    assert notification_deliveries_sweep.call() == 0


def test_the_inbox_page_costs_the_same_queries_for_two_or_twenty_messages(ping, owner_a):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from hostkeep.accounts.tests.clients import log_in

    client = log_in(Client(), owner_a.user)
    counts = []
    for total in (2, 20):
        for number in range(Notification.objects.count(), total):
            payload = {"customer_id": owner_a.customer_id, "name": "x", "key": f"ping:{number}"}
            actions.notification_record(topic="test.ping", payload=payload)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:notifications")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
