"""HTTP plumbing shared by the simulators: request and response values, a router, the server.

Built on the standard library's ``ThreadingHTTPServer`` so that concurrent calls (a duplicate
request racing the original, a benchmark's parallel clients) really run in parallel, and so
that the simulators need nothing beyond Python itself.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl

from hostkeep.integrations.gatewaysim.faults import Fault

if TYPE_CHECKING:
    from hostkeep.integrations.gatewaysim.simulator import GatewaySimulator


class MalformedBody(ValueError):
    """The request body is not what its content type promises (e.g. broken JSON)."""


@dataclass
class SimulatorRequest:
    """One incoming HTTP request, fully read, as the handlers see it."""

    method: str
    path: str
    query_string: str
    headers: Message
    body: bytes
    client_address: tuple[str, int]
    request_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    route: str | None = None
    fault: Fault | None = None
    fault_response: SimulatorResponse | None = None
    stop_event: threading.Event | None = None
    _lingered: bool = False

    def header(self, name: str, default: str | None = None) -> str | None:
        value = self.headers.get(name)
        return default if value is None else str(value)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        values = self.query().get(name)
        return values[0] if values else default

    def form_pairs(self) -> list[tuple[str, str]]:
        """The body as ordered ``(name, value)`` pairs, blanks kept (PayFast signs the order)."""
        try:
            return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as error:
            raise MalformedBody("the form body is not UTF-8") from error

    def json(self) -> Any:
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise MalformedBody(f"the body is not valid JSON: {error}") from error

    def linger(self) -> None:
        """Sleep for a ``slow`` fault now, while the request is still in flight.

        Handlers that keep per-request state (an idempotency key marked "in progress") call
        this before releasing it, so a concurrent duplicate really sees the first one running.
        The server calls it after the handler otherwise.
        """
        if self._lingered or self.fault is None or self.fault.mode != "slow":
            return
        self._lingered = True
        if self.stop_event is not None:
            self.stop_event.wait(self.fault.seconds)


@dataclass
class SimulatorResponse:
    """What to answer. ``DROP`` (below) means: close the connection and answer nothing."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: dict[str, str] | None = None, *, indent: int | None = None
    ) -> SimulatorResponse:
        body = json.dumps(payload, indent=indent, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def html(cls, status: int, text: str, headers: dict[str, str] | None = None) -> SimulatorResponse:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> SimulatorResponse:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> SimulatorResponse:
        return cls(status, b"", {"Location": location})

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None


DROP = SimulatorResponse(0)

Handler = Callable[[SimulatorRequest], SimulatorResponse]


class Router:
    """Method + path pattern (``/v1/customers/{id}``) to handler."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/")
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), pattern, handler))

    def resolve(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], str | None]:
        """``(handler, path params, pattern)``; no handler but a known pattern means 405."""
        known: str | None = None
        for route_method, regex, pattern, handler in self._routes:
            match = regex.match(path)
            if match is None:
                continue
            known = pattern
            if route_method == method:
                return handler, match.groupdict(), pattern
        return None, {}, known


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        path, _, query_string = self.path.partition("?")
        request = SimulatorRequest(
            method=self.command.upper(),
            path=path,
            query_string=query_string,
            headers=self.headers,
            body=self._read_body(),
            client_address=(self.client_address[0], self.client_address[1]),
        )
        response = self.server.simulator.dispatch(request)
        if response is DROP:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.verbose:
            sys.stderr.write(f"[{self.server.simulator.name}] {self.address_string()} {format % args}\n")


class SimulatorHTTPServer(ThreadingHTTPServer):
    """One thread per connection; handler threads never keep the process alive."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], simulator: GatewaySimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _RequestHandler)
