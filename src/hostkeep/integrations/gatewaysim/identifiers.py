"""Random identifiers in each gateway's own style (``pi_3Px...``, ``WH-...``, UUIDs)."""

from __future__ import annotations

import secrets
import string
import uuid

_ALPHANUMERIC = string.ascii_letters + string.digits
_UPPER_ALPHANUMERIC = string.ascii_uppercase + string.digits


def random_token(length: int, alphabet: str = _ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def prefixed_id(prefix: str, length: int = 24) -> str:
    """Stripe style: ``pi_`` + mixed-case letters and digits."""
    return f"{prefix}_{random_token(length)}"


def upper_id(length: int = 17) -> str:
    """PayPal style: upper-case letters and digits (order ``5O190127TN364715T``)."""
    return random_token(length, _UPPER_ALPHANUMERIC)


def uuid4() -> str:
    return str(uuid.uuid4())


def digits(length: int) -> str:
    return random_token(length, string.digits).lstrip("0").rjust(length, "1")
