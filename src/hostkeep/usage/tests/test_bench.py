"""The usage benchmark runs end to end on a small N and leaves nothing behind."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError

from hostkeep.accounts.models import Customer
from hostkeep.bench import usage as bench
from hostkeep.catalog.models import Plan
from hostkeep.services.models import Service
from hostkeep.usage.models import UsageRecord

pytestmark = pytest.mark.django_db


def test_the_benchmark_reports_its_figures_and_cleans_up():
    out = io.StringIO()
    line = bench.run(stdout=out, records=250, database="", keep=False)
    assert re.fullmatch(r"usage records=250 seconds=\d+\.\d\d records_per_s=\d+ database=(postgresql|sqlite)", line)
    assert "same file again (all duplicates)" in out.getvalue()
    assert not Customer.objects.exists()
    assert not Service.objects.exists()
    assert not UsageRecord.objects.exists()
    assert not Plan.objects.exists()


def test_the_benchmark_keeps_its_data_when_asked():
    bench.run(stdout=io.StringIO(), records=150, keep=True)
    assert (Customer.objects.count(), Service.objects.count(), UsageRecord.objects.count()) == (1, 1, 150)


def test_the_benchmark_refuses_a_database_with_customers(owner_a):
    with pytest.raises(CommandError, match="already holds customers"):
        bench.run(stdout=io.StringIO(), records=10)
    assert not UsageRecord.objects.exists()
