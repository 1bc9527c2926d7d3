"""YooKassa's API v3 over ``requests``: Basic shop id + secret key, an ``Idempotence-Key`` on
every POST, a 202 "processing" answer treated as "ask again later with the same key"."""

from __future__ import annotations

from typing import Any

import requests

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.integrations.yookassa.schemas import YooKassaConfig
from hostkeep.payments.interface import GatewayDeclined


def call(
    config: YooKassaConfig, method: str, path: str, *, body: dict[str, Any] | None = None, key: str = ""
) -> dict[str, Any]:
    headers = {"Idempotence-Key": key[:64]} if method == "POST" else {}
    try:
        response = requests.request(
            method,
            f"{config.api_base}/v3{path}",
            json=body,
            headers=headers,
            auth=(config.shop_id, config.secret_key),
            timeout=config.timeout,
        )
    except requests.RequestException as error:
        raise RetryableError(f"YooKassa: {error}") from error
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        answer = {}
    if response.status_code == 202:
        retry_ms = float(answer.get("retry_after") or 1800)
        raise RetryableError("YooKassa is still processing", retry_after=retry_ms / 1000)
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"YooKassa answered {response.status_code}")
    if response.status_code >= 400:
        message = str(answer.get("description") or answer.get("code") or response.status_code)
        if response.status_code in (401, 403):
            raise TerminalError(f"YooKassa: {message}")
        raise GatewayDeclined(message, code=str(answer.get("code") or "yookassa_refused"))
    return dict(answer)
