import threading

import pytest
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction

from hostkeep.core.actions import SYSTEM, audit_record, outbox_emit, sequence_next
from hostkeep.core.models import AuditEvent, OutboxDelivery, OutboxEvent, SequenceCounter
from hostkeep.core.outbox import deliver, handlers_by_topic


@pytest.mark.django_db
def test_audit_events_cannot_be_changed_or_deleted():
    event = audit_record(actor=SYSTEM, action="test.something", customer_id=7, detail={"a": 1})
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.other")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "test.something"
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_sequence_is_gapless_and_a_rollback_returns_the_number():
    with transaction.atomic():
        assert sequence_next(scope="invoice:1:2026") == 1
    taken = []

    def issue_and_fail() -> None:
        with transaction.atomic():
            taken.append(sequence_next(scope="invoice:1:2026"))
            raise RuntimeError("issuing failed")

    with pytest.raises(RuntimeError):
        issue_and_fail()
    assert taken == [2]
    with transaction.atomic():
        assert sequence_next(scope="invoice:1:2026") == 2
        assert sequence_next(scope="invoice:2:2026") == 1


@pytest.mark.django_db(transaction=True)
def test_sequence_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside"):
        sequence_next(scope="invoice:1:2026")
    assert not SequenceCounter.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_sequence_under_parallel_issuers_on_postgresql():
    numbers: list[int] = []
    lock = threading.Lock()

    def issue() -> None:
        try:
            for _ in range(5):
                with transaction.atomic():
                    number = sequence_next(scope="parallel")
                with lock:
                    numbers.append(number)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 51))
    assert SequenceCounter.objects.get(scope="parallel").last_value == 50


calls: list[dict] = []


def record_call(payload: dict) -> None:
    calls.append(payload)


def failing_once(payload: dict) -> None:
    if not any(c.get("failed") for c in calls):
        calls.append({"failed": True})
        raise ValueError("handler broke")
    calls.append({"second": payload})


@pytest.mark.django_db
def test_outbox_delivers_each_handler_once(monkeypatch, django_capture_on_commit_callbacks, run_jobs):
    calls.clear()
    monkeypatch.setitem(handlers_by_topic(), "test.topic", [record_call])
    with django_capture_on_commit_callbacks(execute=True):
        event = outbox_emit(topic="test.topic", payload={"n": 1})
    run_jobs()
    event.refresh_from_db()
    assert calls == [{"n": 1}]
    assert event.delivered_at is not None
    assert deliver(event) == []  # a redelivery runs nothing again
    assert calls == [{"n": 1}]
    assert OutboxDelivery.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_outbox_retries_a_failing_handler(monkeypatch, django_capture_on_commit_callbacks, run_jobs, settings):
    calls.clear()
    monkeypatch.setitem(handlers_by_topic(), "test.flaky", [failing_once])
    with django_capture_on_commit_callbacks(execute=True):
        event = outbox_emit(topic="test.flaky", payload={"n": 2})
    run_jobs()
    event.refresh_from_db()
    assert event.delivered_at is None
    assert event.attempts == 1
    assert "handler broke" in event.last_error
    # the retry is deferred with back-off; run it once it is due
    import time_machine

    with time_machine.travel(event.created_at.timestamp() + 3600):
        run_jobs()
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert calls == [{"failed": True}, {"second": {"n": 2}}]
    assert OutboxEvent.objects.count() == 1
