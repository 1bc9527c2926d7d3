"""Document numbers stay gapless and unique when many workers issue at once (PostgreSQL:
the counter row is locked by the issuing transaction, so issuers queue; a rollback gives its
number back)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core import clock
from hostkeep.documents import actions
from hostkeep.documents.models import Document

WORKERS = 8


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_issuing_gives_gapless_unique_numbers(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Rendering is not what is under test here; a cheap stand-in keeps the race tight.
    monkeypatch.setattr(actions, "render_pdf", lambda snapshot: f"%PDF {snapshot['number']}".encode())
    ProviderLegalEntity.objects.create(name="Race (Pty) Ltd", short_code="race", country="ZA", is_default=True)
    contacts = [ContactFactory(customer__currency="ZAR") for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def issue(index: int) -> None:
        try:
            actor = actor_for_user(contacts[index].user)
            barrier.wait()
            if index % 4 == 3:
                # One in four issues then rolls back: its number must be reused, not skipped.
                with transaction.atomic():
                    actions.statement_issue(actor=actor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
                    raise RuntimeError("rolled back on purpose")
            actions.statement_issue(actor=actor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
            actions.offer_accept(actor=actor)
        except RuntimeError:
            pass
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(index,)) for index in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert connection.vendor == "postgresql"
    year = clock.today().year
    for kind, prefix, count in (("statement", "STM", 6), ("contract", "CON", 6)):
        numbers = sorted(Document.objects.filter(kind=kind).values_list("number", flat=True))
        assert numbers == [f"RACE-{prefix}-{year}-{value:06d}" for value in range(1, count + 1)]
    assert Document.objects.filter(total__lt=Decimal(0)).count() == 0
