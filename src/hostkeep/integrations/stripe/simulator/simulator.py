"""The Stripe simulator: authentication, form parsing, idempotency, events and webhooks, controls.

Endpoints live in :mod:`.payments` (customers, payment methods, PaymentIntents, charges, refunds,
SetupIntents, products and prices) and :mod:`.checkout` (Checkout Sessions and the hosted pages);
they are plain functions of ``(simulator, call, **path params)`` returning the JSON object, and
raise :class:`StripeError` for anything else. This module wraps them with what every Stripe
request goes through.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from hostkeep.integrations.gatewaysim.identifiers import prefixed_id, random_token
from hostkeep.integrations.gatewaysim.keystore import RetainedKeys
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.gatewaysim.simulator import ONE_DAY, ONE_HOUR, GatewaySimulator
from hostkeep.integrations.gatewaysim.webhooks import OutgoingMessage
from hostkeep.integrations.stripe.simulator import catalog, checkout, customers, payments, refunds, setup_intents
from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid, no_such
from hostkeep.integrations.stripe.simulator.forms import Params, get_list, get_str, parse_form
from hostkeep.integrations.stripe.simulator.signing import signature_header

#: Test mode: "3 times over a few hours".
TEST_MODE_RETRY_SCHEDULE = (ONE_HOUR, 2 * ONE_HOUR, 3 * ONE_HOUR)
#: Live mode: exponential back-off for up to about three days.
LIVE_MODE_RETRY_SCHEDULE = (300.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0, 19200.0, 38400.0, 76800.0, ONE_DAY)

DEFAULT_SECRET_KEY = "sk_test_hostkeepSimulator0000000000000000"  # noqa: S105 - a public test double's key
DEFAULT_PUBLISHABLE_KEY = "pk_test_hostkeepSimulator0000000000000000"

Endpoint = Callable[..., dict[str, Any]]


@dataclass
class ApiCall:
    """One authenticated API request as endpoints see it."""

    request: SimulatorRequest
    params: Params
    idempotency_key: str | None

    @property
    def reference(self) -> dict[str, Any]:
        """The event envelope's ``request`` field for events this call causes."""
        return {"id": self.request.request_id, "idempotency_key": self.idempotency_key}


@dataclass
class WebhookEndpoint:
    """A registered receiver. While a secret is rolled the old one signs too, until it expires."""

    id: str
    url: str
    enabled_events: list[str]
    secrets: list[tuple[str, float | None]] = field(default_factory=list)
    created: int = 0
    disabled: bool = False

    @property
    def secret(self) -> str:
        """The newest signing secret (``whsec_...``)."""
        return self.secrets[-1][0]

    def wants(self, event_type: str) -> bool:
        return not self.disabled and ("*" in self.enabled_events or event_type in self.enabled_events)

    def as_object(self, *, with_secret: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "object": "webhook_endpoint",
            "url": self.url,
            "enabled_events": list(self.enabled_events),
            "status": "disabled" if self.disabled else "enabled",
            "created": self.created,
            "livemode": False,
            "api_version": None,
            "metadata": {},
        }
        if with_secret:
            result["secret"] = self.secret
        return result


@dataclass
class _IdempotencyEntry:
    fingerprint: tuple[str, str, str]
    created: float
    response: SimulatorResponse | None = None
    request_id: str = ""


class StripeSimulator(GatewaySimulator):
    """A local Stripe (v1 API, test mode) for the real ``stripe`` SDK.

    Point the SDK at it with ``stripe.StripeClient(sim.secret_key, base_addresses={"api":
    sim.url}, max_network_retries=0)``. Register receivers with :meth:`add_webhook_endpoint`.
    """

    name = "Stripe"
    default_retry_schedule = TEST_MODE_RETRY_SCHEDULE

    def __init__(
        self,
        *,
        secret_key: str = DEFAULT_SECRET_KEY,
        publishable_key: str = DEFAULT_PUBLISHABLE_KEY,
        api_version: str = "2024-06-20",
        idempotency_retention: float = ONE_DAY,
        include_v0_signature: bool = False,
        signature_time_offset: float = 0.0,
        **options: Any,
    ) -> None:
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.api_version = api_version
        self.include_v0_signature = include_v0_signature
        self.signature_time_offset = signature_time_offset
        #: Every API object by id (``cus_``, ``pm_``, ``pi_``, ``ch_``, ``re_``, ``seti_``, ``cs_``, ``evt_`` ...).
        self.objects: dict[str, dict[str, Any]] = {}
        #: Simulator-only facts about objects (a card's behaviour, a session's line items).
        self.private: dict[str, dict[str, Any]] = {}
        self.event_log: list[dict[str, Any]] = []
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.scripted_refund_statuses: list[str] = []
        #: Open Checkout Sessions and when they expire (checked before every request).
        self.open_sessions: dict[str, int] = {}
        self._idempotency: RetainedKeys[tuple[str, str], _IdempotencyEntry] = RetainedKeys(idempotency_retention)
        self._sequence = 0
        super().__init__(**options)

    # -- identity and objects ----------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return {"secret_key": self.secret_key, "publishable_key": self.publishable_key, "api_version": self.api_version}

    def describe_webhooks(self) -> list[dict[str, Any]]:
        return [
            {"id": e.id, "url": e.url, "secret": e.secret, "events": e.enabled_events} for e in self.endpoints.values()
        ]

    def new_id(self, prefix: str) -> str:
        return prefixed_id(prefix, 24)

    def store(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Keep ``obj`` (the API representation) under its id, remembering creation order."""
        self._sequence += 1
        self.private.setdefault(obj["id"], {})["sequence"] = self._sequence
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str) -> dict[str, Any] | None:
        """A copy of any object by id, without HTTP (``None`` if unknown)."""
        with self.lock:
            found = self.objects.get(object_id)
            return copy.deepcopy(found) if found is not None else None

    def list_objects(self, object_type: str) -> list[dict[str, Any]]:
        """Copies of every object of a type (``"payment_intent"``, ``"checkout.session"`` ...), oldest first."""
        with self.lock:
            found = [obj for obj in self.objects.values() if obj.get("object") == object_type]
            return copy.deepcopy(found)

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Copies of the events emitted so far, oldest first."""
        with self.lock:
            return copy.deepcopy([e for e in self.event_log if event_type is None or e["type"] == event_type])

    def require(self, object_id: str | None, object_type: str, kind: str, param: str = "id") -> dict[str, Any]:
        found = self.objects.get(object_id or "")
        if found is None or found.get("object") != object_type or found.get("deleted"):
            raise no_such(kind, object_id or "", param)
        return found

    def sequence_of(self, object_id: str) -> int:
        return int(self.private.get(object_id, {}).get("sequence", 0))

    # -- events and webhooks -----------------------------------------------------------------

    def add_webhook_endpoint(
        self, url: str, *, secret: str | None = None, enabled_events: Iterable[str] = ("*",)
    ) -> WebhookEndpoint:
        """Register a receiver; returns it with its ``secret`` (``whsec_...``) for verification."""
        with self.lock:
            endpoint = WebhookEndpoint(
                id=self.new_id("we"),
                url=url,
                enabled_events=list(enabled_events),
                secrets=[(secret or "whsec_" + random_token(32), None)],
                created=self.clock.now_int(),
            )
            self.endpoints[endpoint.id] = endpoint
            return endpoint

    def roll_webhook_secret(self, endpoint_id: str, *, old_secret_valid_for: float = ONE_DAY) -> str:
        """Start signing with a new secret; the old one keeps signing (a second ``v1``) meanwhile."""
        with self.lock:
            endpoint = self.endpoints[endpoint_id]
            expires = self.clock.now() + old_secret_valid_for
            endpoint.secrets = [(value, expires if until is None else until) for value, until in endpoint.secrets]
            new_secret = "whsec_" + random_token(32)
            endpoint.secrets.append((new_secret, None))
            return new_secret

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        call: ApiCall | None = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event with a snapshot of ``obj`` and queue it for every interested endpoint."""
        receivers = [endpoint for endpoint in self.endpoints.values() if endpoint.wants(event_type)]
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: dict[str, Any] = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": self.clock.now_int(),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(receivers),
            "request": call.reference if call is not None else {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.store(event)
        self.event_log.append(event)
        body = json.dumps(event, indent=2).encode("utf-8")
        for endpoint in receivers:
            self.queue_webhook(
                event_id=event["id"],
                event_type=event_type,
                url=endpoint.url,
                body=body,
                sign=self._signer(endpoint.id),
            )
        return event

    def _signer(self, endpoint_id: str) -> Callable[[OutgoingMessage], dict[str, str]]:
        def sign(message: OutgoingMessage) -> dict[str, str]:
            with self.lock:
                endpoint = self.endpoints[endpoint_id]
                now = self.clock.now()
                secrets = [value for value, until in endpoint.secrets if until is None or until > now]
            timestamp = int(now + self.signature_time_offset)
            header = signature_header(message.body, secrets, timestamp, include_v0=self.include_v0_signature)
            return {
                "Stripe-Signature": header,
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }

        return sign

    # -- routing -------------------------------------------------------------------------------

    def register_routes(self, router: Router) -> None:
        api = self._api
        for method, pattern, endpoint in (
            customers.ROUTES
            + payments.ROUTES
            + refunds.ROUTES
            + setup_intents.ROUTES
            + catalog.ROUTES
            + checkout.ROUTES
            + self._own_routes()
        ):
            router.add(method, pattern, api(endpoint))
        checkout.register_pages(self, router)

    def _own_routes(self) -> list[tuple[str, str, Endpoint]]:
        return [
            ("GET", "/v1/events", _list_events),
            ("GET", "/v1/events/{id}", _retrieve_event),
            ("POST", "/v1/webhook_endpoints", _create_webhook_endpoint),
            ("GET", "/v1/webhook_endpoints", _list_webhook_endpoints),
            ("GET", "/v1/webhook_endpoints/{id}", _retrieve_webhook_endpoint),
            ("DELETE", "/v1/webhook_endpoints/{id}", _delete_webhook_endpoint),
        ]

    def before_request(self, request: SimulatorRequest) -> None:
        with self.lock:
            checkout.expire_due_sessions(self)

    def error_response(self, status: int, request: SimulatorRequest) -> SimulatorResponse:
        if status == 429:
            error = StripeError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                code="rate_limit",
            )
        else:
            error = StripeError(500, "An unknown error occurred", type="api_error")
        return self._render_error(error, request)

    def not_found_response(self, request: SimulatorRequest) -> SimulatorResponse:
        message = f"Unrecognized request URL ({request.method}: {request.path}). Please see https://stripe.com/docs."
        return self._render_error(StripeError(404, message), request)

    def method_not_allowed_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return self.not_found_response(request)

    def handle_exception(self, request: SimulatorRequest, error: Exception) -> SimulatorResponse | None:
        if isinstance(error, StripeError):
            return self._render_error(error, request)
        return None

    def _headers(self, request: SimulatorRequest) -> dict[str, str]:
        headers = {
            "Request-Id": request.request_id,
            "Stripe-Version": request.header("Stripe-Version") or self.api_version,
            "Access-Control-Allow-Origin": "*",
        }
        key = request.header("Idempotency-Key")
        if key and request.method == "POST":
            headers["Idempotency-Key"] = key
        return headers

    def _render_error(self, error: StripeError, request: SimulatorRequest) -> SimulatorResponse:
        if not request.request_id.startswith("req_"):
            request.request_id = "req_" + random_token(14)
        return SimulatorResponse.json(error.status, error.body(request.request_id), self._headers(request), indent=2)

    def _authenticate(self, request: SimulatorRequest) -> None:
        header = request.header("Authorization") or ""
        scheme, _, value = header.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(value.strip()).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not header:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if key != self.secret_key:
            shown = (key[:8] + "*" * 8 + key[-4:]) if len(key) > 12 else "****"
            raise StripeError(401, f"Invalid API Key provided: {shown}")

    def _api(self, endpoint: Endpoint) -> Callable[[SimulatorRequest], SimulatorResponse]:
        def handle(request: SimulatorRequest) -> SimulatorResponse:
            request.request_id = "req_" + random_token(14)
            self._authenticate(request)
            pairs = request.form_pairs() if request.method == "POST" else _query_pairs(request)
            params = parse_form(pairs)
            key = request.header("Idempotency-Key") if request.method == "POST" else None
            if key is None:
                response, _ = self._execute(endpoint, request, params, None)
                return response
            return self._idempotent(endpoint, request, params, key)

        return handle

    def _execute(
        self, endpoint: Endpoint, request: SimulatorRequest, params: Params, key: str | None
    ) -> tuple[SimulatorResponse, bool]:
        call = ApiCall(request=request, params=params, idempotency_key=key)
        try:
            with self.lock:
                result = endpoint(self, call, **request.params)
                result = self.expand(copy.deepcopy(result), get_list(params, "expand"))
        except StripeError as error:
            return self._render_error(error, request), error.saved
        return SimulatorResponse.json(200, result, self._headers(request), indent=2), True

    def _idempotent(self, endpoint: Endpoint, request: SimulatorRequest, params: Params, key: str) -> SimulatorResponse:
        if len(key) > 255:
            raise invalid("Idempotency-Key", "Idempotency keys may be at most 255 characters long.")
        scope = (self.secret_key, key)
        fingerprint = (request.method, request.path, json.dumps(params, sort_keys=True))
        with self.lock:
            now = self.clock.now()
            self._idempotency.prune(now)
            entry = self._idempotency.get(scope)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                if entry.response is None:
                    raise StripeError(
                        409,
                        "There is currently another in-progress request using this Idempotent Key (that probably "
                        "means you submitted twice, and the other request is still going through): "
                        f"{key}. Please try again later.",
                        code="idempotency_key_in_use",
                    )
                replay = SimulatorResponse(entry.response.status, entry.response.body, dict(entry.response.headers))
                replay.headers.update(
                    {
                        "Request-Id": request.request_id,
                        "Idempotent-Replayed": "true",
                        "Original-Request": entry.request_id,
                    }
                )
                return replay
            entry = _IdempotencyEntry(fingerprint=fingerprint, created=now, request_id=request.request_id)
            self._idempotency.put(scope, entry, now)
        response, saved = self._execute(endpoint, request, params, key)
        request.linger()
        if request.fault is not None and request.fault.executed and request.fault.mode == "error":
            response = self._render_error(StripeError(500, "An unknown error occurred", type="api_error"), request)
            request.fault_response = response
            saved = True
        with self.lock:
            if saved:
                entry.response = response
            else:
                self._idempotency.pop(scope)
        return response

    def expand(self, result: Any, paths: list[Any]) -> Any:
        """Replace id strings named by ``expand[]`` (dotted paths, ``data.`` for lists) by objects."""
        for path in paths:
            if isinstance(path, str):
                _expand_path(self, result, path.split("."))
        return result

    # -- list helper ---------------------------------------------------------------------------

    def list_response(self, url: str, items: list[dict[str, Any]], params: Params) -> dict[str, Any]:
        """Stripe's list object: newest first, ``limit`` (1-100, default 10), ``starting_after``."""
        limit_raw = get_str(params, "limit")
        limit = 10
        if limit_raw is not None:
            if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 100:
                raise invalid("limit", "Invalid limit: must be between 1 and 100")
            limit = int(limit_raw)
        ordered = sorted(items, key=lambda obj: (obj.get("created", 0), self.sequence_of(obj["id"])), reverse=True)
        starting_after = get_str(params, "starting_after")
        ending_before = get_str(params, "ending_before")
        ids = [obj["id"] for obj in ordered]
        if starting_after is not None:
            if starting_after not in ids:
                raise invalid("starting_after", f"No such object: '{starting_after}'")
            ordered = ordered[ids.index(starting_after) + 1 :]
        elif ending_before is not None:
            if ending_before not in ids:
                raise invalid("ending_before", f"No such object: '{ending_before}'")
            ordered = ordered[: ids.index(ending_before)][-limit:]
        return {"object": "list", "url": url, "has_more": len(ordered) > limit, "data": ordered[:limit]}

    # -- controls (Python API for tests and the demo) -----------------------------------------

    def complete_checkout_session(
        self, session_id: str, payment_method: str = "pm_card_visa", *, authenticate: bool | None = True
    ) -> dict[str, Any]:
        """Pay (or, in setup mode, save a card for) an open session as the buyer would.

        A decline card leaves the session open with a failed PaymentIntent; a 3-D Secure card is
        authenticated when ``authenticate`` is True, failed when False, and left waiting
        (``requires_action``) when None. Returns the session.
        """
        with self.lock:
            checkout.pay_session(self, session_id, payment_method, authenticate=authenticate)
            return copy.deepcopy(self.objects[session_id])

    def decline_checkout_session(
        self, session_id: str, payment_method: str = "pm_card_chargeDeclined"
    ) -> dict[str, Any]:
        """The buyer tries a card that is declined; the session stays open."""
        return self.complete_checkout_session(session_id, payment_method)

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            checkout.expire_session(self, self.require(session_id, "checkout.session", "checkout session"))
            return copy.deepcopy(self.objects[session_id])

    def authenticate(self, intent_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """Finish (or fail) the 3-D Secure challenge of a PaymentIntent or SetupIntent in ``requires_action``."""
        with self.lock:
            payments.finish_authentication(self, intent_id, succeeded=succeeded)
            checkout.intent_changed(self, self.objects[intent_id])
            return copy.deepcopy(self.objects[intent_id])

    def settle_payment(self, payment_intent_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """Settle a ``processing`` PaymentIntent (delayed method); Checkout gets its async events."""
        with self.lock:
            payments.settle_processing(self, payment_intent_id, succeeded=succeeded)
            checkout.intent_changed(self, self.objects[payment_intent_id])
            return copy.deepcopy(self.objects[payment_intent_id])

    def script_refunds(self, *statuses: str) -> None:
        """The next refunds start in these statuses (``pending``, ``failed``, ...) instead of ``succeeded``."""
        with self.lock:
            self.scripted_refund_statuses.extend(statuses)

    def settle_refund(self, refund_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """Move a ``pending`` refund to ``succeeded`` or ``failed`` (``refund.updated``)."""
        with self.lock:
            refunds.settle_refund(self, refund_id, succeeded=succeeded)
            return copy.deepcopy(self.objects[refund_id])


def _query_pairs(request: SimulatorRequest) -> list[tuple[str, str]]:
    return parse_qsl(request.query_string, keep_blank_values=True)


def _expand_path(simulator: StripeSimulator, node: Any, path: list[str]) -> None:
    if not path or not isinstance(node, dict):
        return
    head, rest = path[0], path[1:]
    if head == "data" and isinstance(node.get("data"), list):
        for item in node["data"]:
            _expand_path(simulator, item, rest)
        return
    value = node.get(head)
    if isinstance(value, str) and value in simulator.objects:
        node[head] = copy.deepcopy(simulator.objects[value])
    _expand_path(simulator, node.get(head), rest)


# -- events and webhook endpoints over HTTP --------------------------------------------------------


def _list_events(simulator: StripeSimulator, call: ApiCall) -> dict[str, Any]:
    wanted = get_str(call.params, "type")
    types = [t for t in get_list(call.params, "types") if isinstance(t, str)]
    events = [
        e
        for e in simulator.event_log
        if (wanted is None or e["type"] == wanted or (wanted.endswith("*") and e["type"].startswith(wanted[:-1])))
        and (not types or e["type"] in types)
    ]
    return simulator.list_response("/v1/events", events, call.params)


def _retrieve_event(simulator: StripeSimulator, call: ApiCall, id: str) -> dict[str, Any]:
    return simulator.require(id, "event", "event")


def _create_webhook_endpoint(simulator: StripeSimulator, call: ApiCall) -> dict[str, Any]:
    url = get_str(call.params, "url", required=True) or ""
    events = [e for e in get_list(call.params, "enabled_events") if isinstance(e, str)]
    if not events:
        raise StripeError(
            400, "Missing required param: enabled_events.", code="parameter_missing", param="enabled_events"
        )
    endpoint = simulator.add_webhook_endpoint(url, enabled_events=events)
    return endpoint.as_object(with_secret=True)


def _list_webhook_endpoints(simulator: StripeSimulator, call: ApiCall) -> dict[str, Any]:
    items = [endpoint.as_object() for endpoint in simulator.endpoints.values()]
    return {"object": "list", "url": "/v1/webhook_endpoints", "has_more": False, "data": items[::-1]}


def _retrieve_webhook_endpoint(simulator: StripeSimulator, call: ApiCall, id: str) -> dict[str, Any]:
    endpoint = simulator.endpoints.get(id)
    if endpoint is None:
        raise no_such("webhook endpoint", id)
    return endpoint.as_object()


def _delete_webhook_endpoint(simulator: StripeSimulator, call: ApiCall, id: str) -> dict[str, Any]:
    endpoint = simulator.endpoints.pop(id, None)
    if endpoint is None:
        raise no_such("webhook endpoint", id)
    return {"id": id, "object": "webhook_endpoint", "deleted": True}
