import pytest

from hostkeep.accounts.selectors import actor_for_user
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
def other_buyer(owner_b):
    customer = owner_b.customer
    customer.currency = "ZAR"
    customer.save()
    return actor_for_user(owner_b.user)
