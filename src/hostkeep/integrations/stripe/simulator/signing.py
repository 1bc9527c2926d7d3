"""The ``Stripe-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">[,v1=...]``.

Mirrors stripe-python's ``stripe/_webhook.py``: the key is the whole ``whsec_...`` string as
UTF-8, the message is ``"{t}."`` followed by the raw body bytes, every ``v1`` counts, other
schemes are ignored, and a timestamp older than the tolerance (300 s) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    message = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, secrets: Sequence[str], timestamp: int, *, include_v0: bool = False) -> str:
    """One ``v1`` per secret (two while a secret is being rolled); ``v0`` is noise to ignore."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={compute_signature(payload, secret, timestamp)}" for secret in secrets)
    if include_v0:
        parts.append("v0=" + hashlib.sha256(payload).hexdigest())
    return ",".join(parts)


def verify_signature(
    payload: bytes, header: str, secret: str, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """A reference verifier with the SDK's rules (for tests that do not use the SDK)."""
    items = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in items if key == "t"]
    signatures = [value for key, value in items if key == "v1"]
    if not timestamps or not signatures or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    expected = compute_signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        return False
    current = time.time() if now is None else now
    return not (tolerance > 0 and timestamp < current - tolerance)
