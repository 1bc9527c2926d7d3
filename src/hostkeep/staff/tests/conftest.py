import pytest
from django.test import Client

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.clients import log_in
from hostkeep.catalog.tests.factories import minecraft_catalog


@pytest.fixture
def catalog(db, settings):
    settings.TIME_ZONE = "Africa/Johannesburg"
    return minecraft_catalog()


@pytest.fixture
def buyer(owner_a):
    customer = owner_a.customer
    customer.currency = "ZAR"
    customer.country = "ZA"
    customer.save()
    return actor_for_user(owner_a.user)


@pytest.fixture
def portal(buyer, owner_a) -> Client:
    return log_in(Client(), owner_a.user)
