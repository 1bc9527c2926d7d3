"""List endpoints cost the same number of queries for 2 rows as for 12 (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.choices import ContactRole, StaffRole
from hostkeep.accounts.tests.clients import ApiClient
from hostkeep.accounts.tests.factories import ContactFactory, LegalEntityFactory, StaffFactory, api_token_for

pytestmark = pytest.mark.django_db


def queries_of(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, _body = api.get(path)
    assert status == 200, path
    return len(captured)


def add_rows(owner, count: int) -> None:
    for _number in range(count):
        ContactFactory(customer=owner.customer, role=ContactRole.BILLING)
        LegalEntityFactory(customer=owner.customer)
        api_token_for(owner.user)  # also one audit entry each


@pytest.mark.parametrize("path", ["account/contacts", "account/legal-entities", "account/tokens", "account/audit"])
def test_customer_lists_do_not_grow_with_the_rows(owner_a, path):
    _token, plain = api_token_for(owner_a.user)
    api = ApiClient(Client(), token=plain)
    add_rows(owner_a, 1)
    api.get("account/me")  # the token's first use records last_used_at; measure after that
    few = queries_of(api, path)
    add_rows(owner_a, 10)
    assert queries_of(api, path) == few


@pytest.mark.parametrize("path", ["staff/customers", "staff/audit"])
def test_staff_lists_do_not_grow_with_the_rows(owner_a, path):
    _token, plain = api_token_for(StaffFactory(role=StaffRole.ADMIN).user)
    api = ApiClient(Client(), token=plain)
    api.get("account/me")
    few = queries_of(api, path)
    for _number in range(10):
        add_rows(ContactFactory(), 1)
    assert queries_of(api, path) == few
