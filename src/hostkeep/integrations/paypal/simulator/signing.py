"""PayPal webhook signatures: SHA256withRSA over ``transmission_id|time|webhook_id|crc32(body)``.

The simulator signs with a local RSA key and serves its self-signed certificate at
``/v1/notifications/certs/<id>``. :func:`verify_offline` is the reference verifier (the
offline method of the spec) for tests; it checks the certificate URL's host against an
allow-list that a client must make configurable (``127.0.0.1`` in tests, ``paypal.com`` in
production). Uses ``cryptography`` (already a Hostkeep dependency); the standard library has
no RSA.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_lock = threading.Lock()
_shared: tuple[rsa.RSAPrivateKey, bytes] | None = None


def signing_material() -> tuple[rsa.RSAPrivateKey, bytes]:
    """One RSA-2048 key and self-signed PEM certificate per process (generation takes ~0.1 s)."""
    global _shared
    with _lock:
        if _shared is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.sandbox.paypal.sim")])
            now = dt.datetime.now(dt.UTC)
            certificate = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365))
                .sign(key, hashes.SHA256())
            )
            _shared = (key, certificate.public_bytes(serialization.Encoding.PEM))
        return _shared


def crc32_decimal(body: bytes) -> int:
    return zlib.crc32(body) & 0xFFFFFFFF


def message_to_sign(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc32_decimal(body)}".encode()


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify_with_certificate(certificate_pem: bytes, message: bytes, signature_b64: str) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            return False
        public_key.verify(base64.b64decode(signature_b64), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_offline(
    headers: Mapping[str, str],
    body: bytes,
    webhook_id: str,
    *,
    fetch_certificate: Callable[[str], bytes],
    allowed_hosts: Sequence[str] = ("paypal.com",),
    allowed_schemes: Sequence[str] = ("https",),
) -> bool:
    """The spec's offline check: allowed cert URL, CRC32 of the raw body, RSA-SHA256 signature."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        transmission_id = lowered["paypal-transmission-id"]
        transmission_time = lowered["paypal-transmission-time"]
        signature = lowered["paypal-transmission-sig"]
        cert_url = lowered["paypal-cert-url"]
    except KeyError:
        return False
    if lowered.get("paypal-auth-algo", "SHA256withRSA") != "SHA256withRSA":
        return False
    parts = urlsplit(cert_url)
    host = parts.hostname or ""
    if parts.scheme not in allowed_schemes or not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        return False
    message = message_to_sign(transmission_id, transmission_time, webhook_id, body)
    return verify_with_certificate(fetch_certificate(cert_url), message, signature)
