import pytest

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user


@pytest.fixture
def entity(db):
    return ProviderLegalEntity.objects.create(
        name="The Villager People (Pty) Ltd", short_code="tvp", country="ZA", tax_id="4999999999", is_default=True
    )


@pytest.fixture
def staff_actor(admin):
    return actor_for_user(admin.user)
