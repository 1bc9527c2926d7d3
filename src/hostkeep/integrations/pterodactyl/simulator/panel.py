"""``PterodactylSimulator``: the Application API of Pterodactyl Panel 1.11 as a real HTTP server.

The request pipeline follows the panel's middleware order: route match (unknown route 404,
wrong method 405) -> Sanctum bearer auth (401, or a 302 to ``/auth/login`` for a caller that
does not ask for JSON) -> malformed JSON (400) -> forced 2FA (400) -> key IP allow-list (403)
-> root-admin check (403) -> rate limit (429, ``X-RateLimit-*`` on every answer) -> model
binding (404) -> the key's ACL (403) -> validation (422) -> the action.

Start it with ``with PterodactylSimulator() as sim:`` and point a client at ``sim.url`` with
``sim.api_key``. ``sim.state`` is the in-memory database for assertions.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hostkeep.integrations.panelsim.httpd import (
    NGINX_PAGE,
    Fault,
    HttpSimulator,
    Request,
    Response,
    html_response,
    json_response,
)

from . import catalogue, servers, users
from .context import NO_INCLUDES, UNEXPECTED, ApiError, Context, normalise, parse_php_query
from .page import render
from .presenters import Presenter
from .state import (
    READ,
    RESOURCES,
    WRITE,
    ApiKey,
    Node,
    PanelState,
    Server,
    User,
    Wings,
    new_application_key,
    seed_panel,
    utcnow,
)

PREFIX = "/api/application"
Handler = Callable[..., Response]
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Pterodactyl</title></head>"
    "<body><div id='app'>Login (simulated panel: the Application API wants a Bearer key)</div></body></html>"
)
WINGS_UNREACHABLE = "Could not establish a connection to the machine running this server. Please try again."


class Router:
    """``/users/{user}`` patterns; ``{name?}`` is an optional last segment."""

    def __init__(self, routes: list[tuple[str, str, Handler]]) -> None:
        self.routes = [(method, self._compile(pattern), handler) for method, pattern, handler in routes]

    @staticmethod
    def _compile(pattern: str) -> re.Pattern[str]:
        regex = re.sub(r"/\{(\w+)\?\}", r"(?:/(?P<\1>[^/]+))?", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")

    def match(self, method: str, path: str, full_path: str) -> tuple[Handler, dict[str, str]]:
        wanted = "GET" if method == "HEAD" else method
        allowed: list[str] = []
        for route_method, regex, handler in self.routes:
            found = regex.match(path)
            if found is None:
                continue
            if route_method == wanted:
                return handler, {k: v for k, v in found.groupdict().items() if v is not None}
            allowed.extend(["GET", "HEAD"] if route_method == "GET" else [route_method])
        route = full_path.strip("/")
        if allowed:
            raise ApiError(
                405,
                "MethodNotAllowedHttpException",
                f"The {method} method is not supported for route {route}. "
                f"Supported methods: {', '.join(dict.fromkeys(allowed))}.",
            )
        raise ApiError(404, "NotFoundHttpException", f"The route {route} could not be found.")


def wants_json(request: Request) -> bool:
    """Laravel's ``expectsJson()``: the first acceptable type mentions json, or an XHR."""
    accept = request.header("Accept")
    types: list[tuple[float, int, str]] = []
    for index, part in enumerate(p for p in accept.split(",") if p.strip()):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        types.append((-quality, index, media.lower()))
    types.sort()
    if types and ("/json" in types[0][2] or "+json" in types[0][2]):
        return True
    xhr = request.header("X-Requested-With") == "XMLHttpRequest"
    return xhr and (not types or types[0][2] in ("*/*", "*"))


class PterodactylSimulator(HttpSimulator):
    """A faithful Pterodactyl panel (Application API) on 127.0.0.1.

    ``install_seconds``: how long Wings takes to install a new or reinstalled server (``None``
    means never on its own: call ``complete_install``). ``rate_limit`` per ``rate_limit_window_s``
    per key owner, as the panel's throttle. ``seed`` makes auto-deploy's random allocation
    choice repeatable.
    """

    server_header = "nginx"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        *,
        api_key: str | None = None,
        install_seconds: float | None = 2.0,
        rate_limit: int = 240,
        rate_limit_window_s: float = 60.0,
        seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(host, port, latency_ms, verbose)
        self.lock = threading.RLock()
        self.db = PanelState()
        self.api_key = api_key or new_application_key()
        seed_panel(self.db, self.api_key)
        self.install_seconds = install_seconds
        self.rate_limit = rate_limit
        self.rate_limit_window_s = rate_limit_window_s
        self.rng = random.Random(seed)  # noqa: S311 - picks a free port, as the panel does
        self.router = Router(users.ROUTES + servers.ROUTES + catalogue.ROUTES)

    # -- state for tests -------------------------------------------------------------------------

    @property
    def state(self) -> PanelState:
        """The database, with every install that is due finished first."""
        with self.lock:
            self.db.settle(time.monotonic())
            return self.db

    def server(self, server_id: int) -> Server:
        return self.state.servers[server_id]

    def server_by_external_id(self, external_id: str) -> Server | None:
        return self.state.server_by_external_id(external_id)

    def user_by_email(self, email: str) -> User | None:
        return self.state.user_by_email(email)

    def add_user(self, username: str, email: str, **fields: Any) -> User:
        """A panel user made directly in the database (e.g. a non-admin to test 403s)."""
        with self.lock:
            return self.db.add_user(username=username, email=email, **fields)

    def create_api_key(
        self,
        user_id: int | None = None,
        *,
        kind: str = "application",
        permissions: dict[str, int] | None = None,
        allowed_ips: list[str] | None = None,
        expires_at: datetime | None = None,
    ) -> str:
        """Another key (default owner: the admin). ``permissions`` maps resource -> READ|WRITE
        bits; resources left out get 0. Returns the token to send as Bearer."""
        with self.lock:
            owner = user_id if user_id is not None else 1
            return self.db.add_api_key(
                owner, kind=kind, permissions=permissions, allowed_ips=allowed_ips, expires_at=expires_at
            ).token

    def add_node(
        self, name: str, location_id: int, *, memory: int, disk: int, ip: str, ports: list[int], **fields: Any
    ) -> Node:
        with self.lock:
            node = self.db.add_node(name, location_id, memory=memory, disk=disk, **fields)
            self.db.add_allocations(node.id, ip, ports)
            return node

    def set_wings(
        self,
        node_id: int | None = None,
        mode: str = "online",
        *,
        status: int = 500,
        message: str | None = None,
        latency_s: float = 0.0,
    ) -> None:
        """Wings on one node (or all): ``online``, ``offline`` (no answer: the panel says 504) or
        ``error`` (answers ``status`` with ``message``). ``latency_s`` delays every Wings call,
        so a create can outlast a client's timeout and still succeed."""
        if mode not in ("online", "offline", "error"):
            raise ValueError("mode must be online, offline or error")
        with self.lock:
            for node in self.db.nodes.values():
                if node_id is None or node.id == node_id:
                    node.wings = Wings(mode, status, message or Wings().message, latency_s)

    def complete_install(self, server_id: int, ok: bool = True) -> None:
        """Wings' install callback, now: success -> status ``null``, failure -> ``install_failed``."""
        with self.lock:
            self.db.finish_install(server_id, ok)

    def fail_installs(self, count: int = 1) -> None:
        """The next ``count`` installs that finish on their own fail."""
        with self.lock:
            self.db.install_failures_planned += count

    def set_transferring(self, server_id: int, transferring: bool = True) -> None:
        with self.lock:
            self.db.servers[server_id].transferring = transferring

    def require_two_factor(self, level: int) -> None:
        """``APP_2FA_REQUIRED``: 0 off, 1 admins, 2 everyone."""
        with self.lock:
            self.db.two_factor_required = level

    def install_due(self) -> float | None:
        return None if self.install_seconds is None else time.monotonic() + self.install_seconds

    def wings_call(self, node_id: int) -> ApiError | None:
        """One call from the panel to a node's Wings; never call it holding ``lock``."""
        with self.lock:
            node = self.db.nodes.get(node_id)
            wings = Wings(**vars(node.wings)) if node else Wings()
        if wings.latency_s:
            time.sleep(wings.latency_s)
        if wings.mode == "offline":
            return ApiError(504, "DaemonConnectionException", WINGS_UNREACHABLE)
        if wings.mode == "error":
            status = wings.status if wings.status >= 400 else 502
            detail = f"An error occurred on the remote host: {wings.message}. (request id: {_request_id()})"
            return ApiError(status, "DaemonConnectionException", detail)
        return None

    # -- the pipeline ------------------------------------------------------------------------------

    def base_url(self, request: Request) -> str:
        host = request.header("Host") or f"{self.host}:{self.port}"
        return f"{self.scheme}://{host}"

    def handle_api(self, request: Request) -> Response:
        if request.path == "/" and request.method in ("GET", "HEAD"):
            with self.lock:
                self.db.settle(time.monotonic())
                return html_response(200, render(self.db, self.url))
        if request.path == "/auth/login" and request.method in ("GET", "HEAD"):
            # Where the panel sends an unauthenticated caller that did not ask for JSON: a
            # client following the redirect gets a 200 HTML page instead of an error.
            return html_response(200, LOGIN_PAGE)
        json_wanted = wants_json(request)
        try:
            return self._pipeline(request)
        except ApiError as error:
            if json_wanted or (error.status == 400 and error.code == "BadRequestHttpException"):
                return error.response()
            return self._non_json_error(request, error)

    def _non_json_error(self, request: Request, error: ApiError) -> Response:
        base = self.base_url(request)
        if error.status == 401:
            return _redirect(f"{base}/auth/login", error.headers)
        if error.status == 422:
            return _redirect(request.header("Referer") or f"{base}/", error.headers)
        page = f"<!doctype html><html><head><title>{error.status}</title></head><body><h1>{error.status}</h1>"
        return html_response(error.status, page + f"<p>{error.detail}</p></body></html>", error.headers)

    def _pipeline(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            raise ApiError(404, "NotFoundHttpException", f"The route {path.strip('/')} could not be found.")
        handler, params = self.router.match(request.method, path[len(PREFIX) :] or "/", path)
        with self.lock:
            self.db.settle(time.monotonic())
            key, user = self._authenticate(request)
            body = _parse_body(request)
            level = self.db.two_factor_required
            if level and not user.use_totp and (level == 2 or user.root_admin):
                raise ApiError(
                    400,
                    "TwoFactorAuthRequiredException",
                    "Two-factor authentication is required on this account in order to access this endpoint.",
                )
            if key.allowed_ips and not _ip_allowed(request.client_ip, key.allowed_ips):
                raise ApiError(
                    403,
                    "AccessDeniedHttpException",
                    f"This IP address ({request.client_ip}) does not have permission to access the API "
                    "using these credentials.",
                )
            if not user.root_admin:
                raise ApiError(
                    403, "AccessDeniedHttpException", "This account does not have permission to access the API."
                )
            rate_headers = self._throttle(user)
        query = parse_php_query(request.query_string)
        merged = {**query, **body} if isinstance(body, dict) else dict(query)
        context = Context(self, request, key, user, normalise(query), normalise(merged), self.base_url(request))
        try:
            response = handler(context, **params)
        except ApiError as error:
            error.headers.extend(rate_headers)
            raise
        response.headers.extend(rate_headers)
        return response

    def _authenticate(self, request: Request) -> tuple[ApiKey, User]:
        match = re.match(r"(?i)^bearer\s+(\S+)\s*$", request.header("Authorization"))
        token = match.group(1) if match else ""
        key = self.db.api_keys.get(token[:16]) if len(token) > 16 else None
        user = self.db.users.get(key.user_id) if key else None
        if (
            key is None
            or user is None
            or not hmac.compare_digest(key.secret, token[16:])
            or (key.expires_at is not None and key.expires_at <= utcnow())
        ):
            raise ApiError(401, "AuthenticationException", "Unauthenticated.")
        return key, user

    def _throttle(self, user: User) -> list[tuple[str, str]]:
        now = time.time()
        started, hits = self.db.rate_buckets.get(user.uuid, (now, 0))
        if now >= started + self.rate_limit_window_s:
            started, hits = now, 0
        if hits >= self.rate_limit:
            retry_after = max(1, math.ceil(started + self.rate_limit_window_s - now))
            headers = [
                ("X-RateLimit-Limit", str(self.rate_limit)),
                ("X-RateLimit-Remaining", "0"),
                ("Retry-After", str(retry_after)),
                ("X-RateLimit-Reset", str(int(now) + retry_after)),
            ]
            raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=headers)
        hits += 1
        self.db.rate_buckets[user.uuid] = (started, hits)
        return [("X-RateLimit-Limit", str(self.rate_limit)), ("X-RateLimit-Remaining", str(self.rate_limit - hits))]

    # -- injected failures look like the panel's (or its nginx's) own ------------------------------

    def fault_response(self, status: int, reason: str | None) -> Response:
        if status in (502, 503, 504):
            text = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}[status]
            return html_response(status, NGINX_PAGE.format(code=status, text=text))
        if status == 429:
            return ApiError(
                429,
                "ThrottleRequestsException",
                "Too Many Attempts.",
                headers=[
                    ("Retry-After", "1"),
                    ("X-RateLimit-Limit", str(self.rate_limit)),
                    ("X-RateLimit-Remaining", "0"),
                ],
            ).response()
        if status == 500:
            return ApiError(500, "QueryException", reason or UNEXPECTED).response()
        return ApiError(status, "HttpException", reason or "Injected failure.").response()

    # -- /_sim/ control endpoints ---------------------------------------------------------------

    def handle_control(self, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return json_response(400, {"error": "body must be JSON"})
        if not isinstance(body, dict):
            return json_response(400, {"error": "body must be a JSON object"})
        route = (request.method, request.path.rstrip("/"))
        try:
            return self._control(route, body)
        except (KeyError, TypeError, ValueError) as error:
            return json_response(400, {"error": str(error)})

    def _control(self, route: tuple[str, str], body: dict[str, Any]) -> Response:
        method, path = route
        if route == ("GET", "/_sim/state"):
            return json_response(200, self.snapshot())
        if route == ("GET", "/_sim/faults"):
            return json_response(200, [fault.as_dict() for fault in self.faults.pending()])
        if route == ("POST", "/_sim/faults"):
            fault = self.faults.add(Fault(**body))
            return json_response(201, fault.as_dict())
        if route == ("DELETE", "/_sim/faults"):
            self.clear_faults()
            return Response(204)
        if route == ("POST", "/_sim/latency"):
            self.latency_ms = float(body["ms"])
            return Response(204)
        if route == ("POST", "/_sim/down"):
            mode = str(body.get("mode", "502"))
            seconds = body.get("seconds")
            if mode == "refuse" and seconds is None:
                raise ValueError("refusing connections needs 'seconds', or nobody could bring it back up")
            if seconds is not None:
                timer = threading.Timer(float(seconds), self.come_up)
                timer.daemon = True
                timer.start()
            # Let this answer leave before the connections are cut.
            threading.Timer(0.05, self.go_down, args=(mode,)).start()
            return Response(204)
        if route == ("POST", "/_sim/up"):
            self.come_up()
            return Response(204)
        if route == ("POST", "/_sim/wings"):
            self.set_wings(
                body.get("node_id"),
                body.get("mode", "online"),
                status=int(body.get("status", 500)),
                message=body.get("message"),
                latency_s=float(body.get("latency_s", 0)),
            )
            return Response(204)
        if route == ("POST", "/_sim/install-failures"):
            self.fail_installs(int(body.get("count", 1)))
            return Response(204)
        if route == ("POST", "/_sim/settings"):
            for name in ("install_seconds", "rate_limit", "rate_limit_window_s"):
                if name in body:
                    setattr(self, name, body[name])
            if "two_factor_required" in body:
                self.require_two_factor(int(body["two_factor_required"]))
            return Response(204)
        install = re.fullmatch(r"/_sim/servers/(\d+)/install", path)
        if method == "POST" and install:
            self.complete_install(int(install.group(1)), bool(body.get("ok", True)))
            return Response(204)
        return json_response(404, {"error": f"no control endpoint {method} {path}"})

    def snapshot(self) -> dict[str, Any]:
        """Every server and user as the API shows them, plus free allocations per node."""
        with self.lock:
            self.db.settle(time.monotonic())
            everything = ApiKey("", "", 1, permissions=dict.fromkeys(RESOURCES, READ | WRITE))
            presenter = Presenter(self.db, everything)
            return {
                "servers": [presenter.server(s, NO_INCLUDES)["attributes"] for s in self.db.servers.values()],
                "users": [presenter.user(u, NO_INCLUDES)["attributes"] for u in self.db.users.values()],
                "free_allocations": {
                    node.name: sum(
                        1 for a in self.db.allocations.values() if a.node_id == node.id and a.server_id is None
                    )
                    for node in self.db.nodes.values()
                },
            }


def _redirect(location: str, headers: list[tuple[str, str]]) -> Response:
    page = (
        '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n'
        f'        <meta http-equiv="refresh" content="0;url=\'{location}\'" />\n\n'
        f"        <title>Redirecting to {location}</title>\n    </head>\n"
        f'    <body>\n        Redirecting to <a href="{location}">{location}</a>.\n    </body>\n</html>'
    )
    return Response(302, page.encode(), "text/html; charset=UTF-8", [("Location", location), *headers])


def _parse_body(request: Request) -> Any:
    content_type = request.header("Content-Type").lower()
    if "/json" in content_type or "+json" in content_type:
        if not request.body.strip():
            return {}
        try:
            decoded = json.loads(request.body)
        except ValueError as error:
            raise ApiError(
                400,
                "BadRequestHttpException",
                "The JSON data passed in the request appears to be malformed: Syntax error",
            ) from error
        return decoded if isinstance(decoded, dict) else {}
    if "application/x-www-form-urlencoded" in content_type:
        return parse_php_query(request.body.decode("utf-8", "replace"))
    return {}


def _ip_allowed(client_ip: str, allowed: list[str]) -> bool:
    address = ipaddress.ip_address(client_ip)
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _request_id() -> str:
    return str(uuid.uuid4())
