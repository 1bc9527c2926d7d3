"""PayFast's three MD5 signatures, with PHP ``urlencode`` semantics.

PHP's ``urlencode`` writes a space as ``+``, upper-case hex, and leaves only ``A-Z a-z 0-9 - _ .``
alone; Python's ``quote_plus`` also keeps ``~``, which PHP writes ``%7E``. Sources: the
payfast-php-sdk's ``lib/Auth.php`` and ``lib/PaymentIntegrations/Notification.php``.

- Checkout form: fields in the documented order, empty values skipped, values trimmed,
  ``&passphrase=...`` appended when the account has one.
- ITN: the posted fields in the order received up to ``signature``, empty values kept.
- REST API: headers + query + JSON body + passphrase, minus ``signature``/``testing``, sorted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

#: The checkout form's documented field order (the order the signature is built in).
CHECKOUT_FIELD_ORDER = (
    "merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "notify_method", "fica_idnumber",
    "name_first", "name_last", "email_address", "cell_number", "m_payment_id", "amount", "item_name",
    "item_description", "custom_int1", "custom_int2", "custom_int3", "custom_int4", "custom_int5", "custom_str1",
    "custom_str2", "custom_str3", "custom_str4", "custom_str5", "email_confirmation", "confirmation_address",
    "currency", "payment_method", "subscription_type", "billing_date", "recurring_amount", "frequency", "cycles",
    "subscription_notify_email", "subscription_notify_webhook", "subscription_notify_buyer",
)  # fmt: skip


def php_urlencode(value: str) -> str:
    return quote_plus(value, safe="").replace("~", "%7E")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def checkout_parameter_string(
    fields: Mapping[str, str], passphrase: str | None, *, skip_php_empty: bool = False
) -> str:
    """``skip_php_empty`` also skips ``"0"``, as PHP's ``empty()`` in the SDK does."""
    parts = []
    for name in CHECKOUT_FIELD_ORDER:
        value = fields.get(name)
        if value is None:
            continue
        value = value.strip()
        if value == "" or (skip_php_empty and value == "0"):
            continue
        parts.append(f"{name}={php_urlencode(value)}")
    text = "&".join(parts)
    if passphrase:
        text += f"&passphrase={php_urlencode(passphrase.strip())}"
    return text


def checkout_signature(fields: Mapping[str, str], passphrase: str | None, *, skip_php_empty: bool = False) -> str:
    return md5_hex(checkout_parameter_string(fields, passphrase, skip_php_empty=skip_php_empty))


def itn_parameter_string(pairs: Iterable[tuple[str, str]]) -> str:
    """The posted ITN fields in received order, up to ``signature``, blanks kept, no passphrase."""
    parts = []
    for name, value in pairs:
        if name == "signature":
            break
        parts.append(f"{name}={php_urlencode(value)}")
    return "&".join(parts)


def itn_signature(pairs: Iterable[tuple[str, str]], passphrase: str | None) -> str:
    text = itn_parameter_string(pairs)
    if passphrase:
        text += f"&passphrase={php_urlencode(passphrase)}"
    return md5_hex(text)


def php_string(value: object) -> str:
    """How PHP turns a JSON scalar into a string before ``urlencode`` (true -> "1", false -> "")."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)


def api_signature(values: Mapping[str, object], passphrase: str | None) -> str:
    data = {name: php_string(value) for name, value in values.items() if name not in ("signature", "testing")}
    if passphrase:
        data["passphrase"] = passphrase
    return md5_hex("&".join(f"{name}={php_urlencode(data[name])}" for name in sorted(data)))
