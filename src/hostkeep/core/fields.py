"""Encrypted model fields for integration secrets (API keys, gateway credentials).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). The keys come from
HOSTKEEP_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt, so keys can be
rotated); without it a key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def _fernet_for(secret: str) -> Fernet:
    try:
        return Fernet(secret.encode())
    except ValueError:
        digest = hashlib.sha256(f"hostkeep-field-encryption:{secret}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def cipher() -> MultiFernet:
    keys = list(getattr(settings, "ENCRYPTION_KEYS", []) or [settings.SECRET_KEY])
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt_text(value: str) -> str:
    return PREFIX + cipher().encrypt(value.encode()).decode()


def decrypt_text(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ImproperlyConfigured("an encrypted column holds a value that was never encrypted")
    try:
        return cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("HOSTKEEP_ENCRYPTION_KEYS: no configured key decrypts a stored secret") from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted; reads give back the plain value."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """A JSON object stored encrypted (a whole set of credentials in one column)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict | list) or value is None:
            return value
        return json.loads(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))


def AmountField(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - used like a field class
    """A money amount: Decimal with 4 places (BRIEF.md); the currency lives in its own column."""
    kwargs.update(max_digits=19, decimal_places=4)
    return models.DecimalField(*args, **kwargs)
