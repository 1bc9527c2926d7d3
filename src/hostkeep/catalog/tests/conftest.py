import pytest

from hostkeep.catalog.tests.factories import minecraft_catalog


@pytest.fixture
def catalog(db, settings):
    settings.TIME_ZONE = "Africa/Johannesburg"
    return minecraft_catalog()
