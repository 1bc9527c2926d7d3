"""PayPal's REST API over ``requests``: OAuth2 client credentials (the token is cached and
refreshed once on a 401), ``PayPal-Request-Id`` on every POST, errors turned into Hostkeep's."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.integrations.paypal.schemas import PayPalConfig
from hostkeep.payments.interface import GatewayDeclined

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_lock = threading.Lock()


class PayPalError(GatewayDeclined):
    """A 4xx answer; ``issue`` is PayPal's first ``details[].issue`` (``ORDER_NOT_APPROVED``...)."""

    def __init__(self, message: str, *, issue: str, status: int) -> None:
        super().__init__(message, code=issue.lower() or "paypal_refused")
        self.issue = issue
        self.http_status = status


class PayPalClient:
    def __init__(self, config: PayPalConfig) -> None:
        self.config = config

    def _token(self, *, fresh: bool = False) -> str:
        key = (self.config.api_base, self.config.client_id)
        with _lock:
            cached = _tokens.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
        try:
            response = requests.post(
                f"{self.config.api_base}/v1/oauth2/token",
                auth=(self.config.client_id, self.config.client_secret),
                data={"grant_type": "client_credentials"},
                timeout=self.config.timeout,
            )
        except requests.RequestException as error:
            raise RetryableError(f"PayPal: {error}") from error
        if response.status_code != 200:
            if response.status_code >= 500:
                raise RetryableError(f"PayPal token: {response.status_code}")
            raise TerminalError(f"PayPal refused the credentials ({response.status_code})")
        body = response.json()
        with _lock:
            _tokens[key] = (body["access_token"], time.monotonic() + int(body.get("expires_in", 300)) - 60)
        return str(body["access_token"])

    def request(self, method: str, path: str, *, body: Any = None, request_id: str = "") -> dict[str, Any]:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(fresh=attempt == 2)}", "Content-Type": "application/json"}
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            headers["Prefer"] = "return=representation"
            try:
                response = requests.request(
                    method, f"{self.config.api_base}{path}", json=body, headers=headers, timeout=self.config.timeout
                )
            except requests.RequestException as error:
                raise RetryableError(f"PayPal: {error}") from error
            if response.status_code == 401 and attempt == 1:
                continue
            break
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(f"PayPal answered {response.status_code}")
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            raise TerminalError(f"PayPal answered {response.status_code} without JSON") from None
        if response.status_code >= 400:
            details = answer.get("details") or [{}]
            issue = str(details[0].get("issue") or answer.get("name") or "")
            raise PayPalError(str(answer.get("message") or issue), issue=issue, status=response.status_code)
        return dict(answer)
