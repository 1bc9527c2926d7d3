"""PayFast over HTTP: the three MD5 signatures (checkout form, ITN, REST API) written from
PayFast's documentation, ITN validation, and the REST API with its signed headers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus

import requests

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.integrations.payfast.schemas import PayFastConfig
from hostkeep.payments.interface import GatewayDeclined

# The checkout form's documented field order, in which its signature is built.
FORM_ORDER = (
    "merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "name_first", "name_last",
    "email_address", "cell_number", "m_payment_id", "amount", "item_name", "item_description", "custom_int1",
    "custom_int2", "custom_int3", "custom_int4", "custom_int5", "custom_str1", "custom_str2", "custom_str3",
    "custom_str4", "custom_str5", "email_confirmation", "confirmation_address", "payment_method",
    "subscription_type", "billing_date", "recurring_amount", "frequency", "cycles",
)  # fmt: skip


def php_urlencode(value: str) -> str:
    """PHP's urlencode: space as '+', upper-case hex, only A-Z a-z 0-9 - _ . left alone."""
    return quote_plus(value, safe="").replace("~", "%7E")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def form_fields(fields: Mapping[str, str], passphrase: str) -> list[tuple[str, str]]:
    """The form to post, in order, with its signature (empty values left out)."""
    ordered = [(name, str(fields[name]).strip()) for name in FORM_ORDER if str(fields.get(name, "")).strip()]
    text = "&".join(f"{name}={php_urlencode(value)}" for name, value in ordered)
    if passphrase:
        text += f"&passphrase={php_urlencode(passphrase.strip())}"
    return [*ordered, ("signature", _md5(text))]


def itn_parameter_string(pairs: Iterable[tuple[str, str]]) -> str:
    parts = []
    for name, value in pairs:
        if name == "signature":
            break
        parts.append(f"{name}={php_urlencode(value)}")
    return "&".join(parts)


def itn_signature_valid(pairs: list[tuple[str, str]], passphrase: str) -> bool:
    given = dict(pairs).get("signature", "")
    text = itn_parameter_string(pairs)
    if passphrase:
        text += f"&passphrase={php_urlencode(passphrase)}"
    return bool(given) and _md5(text) == given


def _post(url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
    try:
        response = requests.post(url, timeout=timeout, **kwargs)
    except requests.RequestException as error:
        raise RetryableError(f"PayFast: {error}") from error
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"PayFast answered {response.status_code}")
    return response


def itn_validate(config: PayFastConfig, pairs: list[tuple[str, str]]) -> bool:
    """Ask PayFast whether it sent this ITN (the fourth check of its documentation)."""
    response = _post(
        config.validate_url,
        data=itn_parameter_string(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=config.timeout,
    )
    return response.text.strip() == "VALID"


def api_request(config: PayFastConfig, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One signed call of PayFast's REST API; returns the ``data`` of a success."""
    timestamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    headers = {"merchant-id": config.merchant_id, "version": "v1", "timestamp": timestamp}
    values: dict[str, str] = {**headers}
    for name, value in (body or {}).items():
        values[name] = "1" if value is True else "" if value in (False, None) else str(value)
    if config.passphrase:
        values["passphrase"] = config.passphrase
    signature = _md5("&".join(f"{name}={php_urlencode(values[name])}" for name in sorted(values)))
    try:
        response = requests.request(
            method,
            f"{config.api_base}{path}",
            headers={**headers, "signature": signature, "Content-Type": "application/json"},
            data=json.dumps(body) if body is not None else None,
            timeout=config.timeout,
        )
    except requests.RequestException as error:
        raise RetryableError(f"PayFast: {error}") from error
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"PayFast answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise TerminalError(f"PayFast answered {response.status_code} without JSON") from None
    if response.status_code >= 400:
        raise GatewayDeclined(str(answer.get("data", {}).get("message") or answer), code="payfast_refused")
    return dict(answer)
