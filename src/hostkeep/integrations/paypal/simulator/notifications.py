"""PayPal Webhooks v1: subscriptions, the verify-webhook-signature API, certificates, resend.

The verify API recomputes the CRC32 over the raw body the simulator stored for that event id
(not over the JSON the caller sends back) and answers ``FAILURE`` with HTTP 200, as PayPal does.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from hostkeep.integrations.paypal.simulator.errors import PayPalError
from hostkeep.integrations.paypal.simulator.signing import message_to_sign, verify_with_certificate

if TYPE_CHECKING:
    from hostkeep.integrations.paypal.simulator.simulator import ApiCall, PayPalSimulator, Result

_VERIFY_FIELDS = (
    "auth_algo",
    "cert_url",
    "transmission_id",
    "transmission_sig",
    "transmission_time",
    "webhook_id",
    "webhook_event",
)


def create_webhook(simulator: PayPalSimulator, call: ApiCall) -> Result:
    body = call.body if isinstance(call.body, dict) else {}
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field="/url")
    if any(hook.url == url for hook in simulator.webhook_subscriptions.values()):
        raise PayPalError(400, "WEBHOOK_URL_ALREADY_EXISTS", field="/url", value=url)
    names = [item.get("name") for item in body.get("event_types") or [] if isinstance(item, dict)]
    if not names:
        raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field="/event_types")
    webhook_id = simulator.add_webhook(url, [name for name in names if isinstance(name, str)])
    return 201, simulator.webhook_subscriptions[webhook_id].as_object(simulator.url), None


def list_webhooks(simulator: PayPalSimulator, call: ApiCall) -> Result:
    return 200, {"webhooks": [hook.as_object(simulator.url) for hook in simulator.webhook_subscriptions.values()]}, None


def delete_webhook(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    if simulator.webhook_subscriptions.pop(id, None) is None:
        raise PayPalError(404, "INVALID_RESOURCE_ID", field="webhook_id", location="path")
    return 204, None, None


def verify_signature(simulator: PayPalSimulator, call: ApiCall) -> Result:
    body = call.body if isinstance(call.body, dict) else {}
    for name in _VERIFY_FIELDS:
        if body.get(name) in (None, ""):
            raise PayPalError(400, "MISSING_REQUIRED_PARAMETER", field=f"/{name}")
    event = body["webhook_event"]
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except json.JSONDecodeError as error:
            raise PayPalError(400, "INVALID_PARAMETER_SYNTAX", field="/webhook_event") from error
    raw = simulator.raw_events.get(event.get("id", "")) if isinstance(event, dict) else None
    verified = (
        raw is not None
        and json.loads(raw) == event
        and body["auth_algo"] == "SHA256withRSA"
        and body["cert_url"] == simulator.cert_url
        and verify_with_certificate(
            simulator.certificate_pem,
            message_to_sign(str(body["transmission_id"]), str(body["transmission_time"]), str(body["webhook_id"]), raw),
            str(body["transmission_sig"]),
        )
    )
    return 200, {"verification_status": "SUCCESS" if verified else "FAILURE"}, None


def get_event(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    event = simulator.events.get(id)
    if event is None:
        raise PayPalError(404, "INVALID_RESOURCE_ID", field="event_id", location="path")
    return 200, copy.deepcopy(event), None


def resend_event(simulator: PayPalSimulator, call: ApiCall, id: str) -> Result:
    """Queue the same event (same id, same body) again for the given or all subscribed webhooks."""
    event = simulator.events.get(id)
    if event is None:
        raise PayPalError(404, "INVALID_RESOURCE_ID", field="event_id", location="path")
    wanted: list[Any] = (call.body or {}).get("webhook_ids") or [] if isinstance(call.body, dict) else []
    for hook in simulator.webhook_subscriptions.values():
        if (not wanted and hook.wants(event["event_type"])) or hook.id in wanted:
            simulator.queue_webhook(
                event_id=id,
                event_type=event["event_type"],
                url=hook.url,
                body=simulator.raw_events[id],
                sign=simulator._signer(hook.id),
            )
    return 202, copy.deepcopy(event), None


ROUTES: list[tuple[str, str, Any, bool]] = [
    ("POST", "/v1/notifications/webhooks", create_webhook, False),
    ("GET", "/v1/notifications/webhooks", list_webhooks, False),
    ("DELETE", "/v1/notifications/webhooks/{id}", delete_webhook, False),
    ("POST", "/v1/notifications/verify-webhook-signature", verify_signature, False),
    ("GET", "/v1/notifications/webhooks-events/{id}", get_event, False),
    ("POST", "/v1/notifications/webhooks-events/{id}/resend", resend_event, False),
]
