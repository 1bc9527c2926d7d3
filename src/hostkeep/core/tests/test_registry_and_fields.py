import pytest
from django.db import connection

from hostkeep.core.fields import decrypt_text, encrypt_text
from hostkeep.core.registry import Registry, UnknownPlugin


def test_registry_registers_by_name_and_refuses_duplicates():
    gateways: Registry[object] = Registry("gateway")

    @gateways.register
    class Fake:
        name = "fake"
        label = "Fake gateway"

    assert gateways.get("fake") is Fake
    assert gateways.choices() == [("fake", "Fake gateway")]
    with pytest.raises(UnknownPlugin):
        gateways.get("missing")

    class Other:
        name = "fake"
        label = "Other"

    with pytest.raises(ValueError, match="already registered"):
        gateways.register(Other)


def test_encryption_round_trip_and_key_rotation(settings):
    settings.ENCRYPTION_KEYS = ["old-key"]
    stored = encrypt_text("ptla_secret")
    assert "ptla_secret" not in stored
    settings.ENCRYPTION_KEYS = ["new-key", "old-key"]
    assert decrypt_text(stored) == "ptla_secret"
    assert decrypt_text(encrypt_text("x")) == "x"


@pytest.mark.django_db
def test_encrypted_field_stores_cipher_text():
    from django.db import models

    from hostkeep.core.fields import EncryptedJSONField

    field = EncryptedJSONField()
    stored = field.get_prep_value({"api_key": "sk_live_abc"})
    assert "sk_live_abc" not in stored
    assert field.from_db_value(stored, None, connection) == {"api_key": "sk_live_abc"}
    assert isinstance(field, models.TextField)
