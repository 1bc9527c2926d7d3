"""A threaded HTTP server on 127.0.0.1 with the failure controls every panel simulator needs.

Standard library only, so a simulator runs without Django or Hostkeep; shared by both panel
simulators.

What a test can do to a running simulator, besides its domain controls:

* ``latency_ms``: every API call sleeps this long before it is handled. Each connection has its
  own thread, so concurrent clients overlap (a benchmark's 200 ms per call with 8 clients).
* faults, consumed in order by the requests they match (``method`` and a ``path`` regex):
  ``fail_next`` answers with a status, ``delay_next`` sleeps (longer than a client's timeout to
  simulate a hang), ``drop_next`` closes the connection without an answer. With ``after=True``
  the request is carried out first and only its answer is lost, replaced or late: the
  ambiguous outcome a provisioning client has to reconcile.
* ``go_down("refuse")`` stops listening and cuts open keep-alive connections, so clients get
  "connection refused"; ``go_down("502")`` keeps the port and answers every call with a
  reverse proxy's 502 page. ``come_up()`` undoes either.

Paths under ``/_sim/`` are the simulator's own control endpoints: they skip latency, faults
and "down 502".
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast
from urllib.parse import unquote

FAULT_KINDS = ("status", "delay", "drop")


@dataclass
class Request:
    """One HTTP request as the simulator sees it."""

    method: str
    path: str
    query_string: str
    headers: Message
    body: bytes
    client_ip: str

    def header(self, name: str, default: str = "") -> str:
        return cast(str, self.headers.get(name, default))


@dataclass
class Response:
    """What the simulator answers; ``reason`` overrides the reason phrase (Proxmox puts its
    error message there)."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None, reason: str | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, "application/json", list(headers or []), reason)


def html_response(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, text.encode(), "text/html; charset=UTF-8", list(headers or []))


@dataclass
class Fault:
    """A planned misbehaviour for the next ``count`` matching requests."""

    kind: str
    count: int = 1
    method: str | None = None
    path: str | None = None
    status: int = 500
    seconds: float = 0.0
    after: bool = False
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {self.kind!r}")
        self._pattern = re.compile(self.path) if self.path else None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "seconds": self.seconds,
            "after": self.after,
            "reason": self.reason,
        }


class FaultQueue:
    """Faults in the order they were planned; the first match is consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], simulator: HttpSimulator, context: ssl.SSLContext | None) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.simulator.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    # Headers and body leave in two writes; without this, Nagle plus delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return cast(_Server, self.server).simulator.server_header

    def log_message(self, format: str, *args: Any) -> None:
        if cast(_Server, self.server).simulator.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        cast(_Server, self.server).simulator._serve(self)


for _method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
    setattr(_Handler, f"do_{_method}", _Handler._serve)


class HttpSimulator:
    """Start/stop, latency, faults and "down" modes; subclasses answer the API itself."""

    server_header = "simulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0, verbose: bool = False) -> None:
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.verbose = verbose
        self.faults = FaultQueue()
        self.down_mode: str | None = None
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=5000)
        self._ssl_context: ssl.SSLContext | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self._ssl_context is not None else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> Self:
        with self._lifecycle:
            self._listen()
        return self

    def stop(self) -> None:
        with self._lifecycle:
            self._close()
            self.down_mode = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self) -> None:
        if self._httpd is not None:
            return
        httpd = _Server((self.host, self.port), self, self._ssl_context)
        self.port = int(httpd.server_address[1])
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{type(self).__name__}:{self.port}"
        )
        thread.daemon = True
        thread.start()
        self._httpd, self._thread = httpd, thread

    def _close(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.cut_connections()
        if thread is not None:
            thread.join(timeout=5)

    # -- controls ----------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        method: str | None = None,
        path: str | None = None,
        after: bool = False,
        reason: str | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests with ``status``.

        With ``after=True`` the request is carried out and only its answer is replaced.
        """
        return self.faults.add(Fault("status", count, method, path, status=status, after=after, reason=reason))

    def delay_next(
        self,
        seconds: float,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        after: bool = False,
    ) -> Fault:
        """Sleep ``seconds`` on the next ``count`` matching requests (a hang, if longer than the
        client's timeout). Before the work by default; ``after=True`` does the work, then sleeps."""
        return self.faults.add(Fault("delay", count, method, path, seconds=seconds, after=after))

    def drop_next(
        self, count: int = 1, *, method: str | None = None, path: str | None = None, after: bool = False
    ) -> Fault:
        """Close the connection without answering the next ``count`` matching requests."""
        return self.faults.add(Fault("drop", count, method, path, after=after))

    def clear_faults(self) -> None:
        self.faults.clear()

    def go_down(self, mode: str = "refuse") -> None:
        """``refuse``: stop listening (connection refused); ``502``: answer every call with a
        proxy's Bad Gateway page."""
        if mode not in ("refuse", "502"):
            raise ValueError("mode must be 'refuse' or '502'")
        with self._lifecycle:
            self.down_mode = mode
            if mode == "refuse":
                self._close()

    def come_up(self) -> None:
        with self._lifecycle:
            self.down_mode = None
            self._listen()

    def request_count(self, method: str | None = None, path: str | None = None) -> int:
        """How many API calls were answered (or dropped), optionally matching method and a path regex."""
        pattern = re.compile(path) if path else None
        return sum(
            1
            for m, p, _ in list(self.requests)
            if (method is None or m == method.upper()) and (pattern is None or pattern.search(p))
        )

    # -- hooks for subclasses ------------------------------------------------------------------

    def handle_api(self, request: Request) -> Response:
        raise NotImplementedError

    def handle_control(self, request: Request) -> Response:
        return json_response(404, {"error": "unknown control endpoint"})

    def fault_response(self, status: int, reason: str | None) -> Response:
        return json_response(status, {"error": reason or "injected failure"}, reason=reason)

    def bad_gateway_response(self) -> Response:
        return html_response(502, NGINX_PAGE.format(code=502, text="Bad Gateway"))

    def internal_error_response(self) -> Response:
        return self.fault_response(500, None)

    # -- the request cycle -------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        request = self._read(handler)
        if request.path.startswith("/_sim/"):
            self._send(handler, request, self._call(self.handle_control, request))
            return
        if self.down_mode == "502":
            self._send(handler, request, self.bad_gateway_response())
            return
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        fault = self.faults.take(request.method, request.path)
        if fault is not None and not fault.after:
            if fault.kind == "drop":
                self._drop(handler, request)
                return
            if fault.kind == "status":
                self._send(handler, request, self.fault_response(fault.status, fault.reason))
                return
            time.sleep(fault.seconds)
        response = self._call(self.handle_api, request)
        if fault is not None and fault.after:
            if fault.kind == "drop":
                self._drop(handler, request)
                return
            if fault.kind == "status":
                response = self.fault_response(fault.status, fault.reason)
            else:
                time.sleep(fault.seconds)
        self._send(handler, request, response)

    def _call(self, method: Any, request: Request) -> Response:
        try:
            return cast(Response, method(request))
        except Exception:
            if self.verbose:
                traceback.print_exc(file=sys.stderr)
            return self.internal_error_response()

    @staticmethod
    def _read(handler: BaseHTTPRequestHandler) -> Request:
        raw_path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        path = unquote(raw_path) or "/"
        return Request(handler.command, path, query, handler.headers, body, str(handler.client_address[0]))

    def _drop(self, handler: BaseHTTPRequestHandler, request: Request) -> None:
        self.requests.append((request.method, request.path, 0))
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, handler: BaseHTTPRequestHandler, request: Request, response: Response) -> None:
        if not request.path.startswith("/_sim/"):
            self.requests.append((request.method, request.path, response.status))
        try:
            handler.send_response(response.status, response.reason)
            for name, value in response.headers:
                handler.send_header(name, value)
            if response.status not in (204, 304):
                if response.content_type:
                    handler.send_header("Content-Type", response.content_type)
                handler.send_header("Content-Length", str(len(response.body)))
            handler.end_headers()
            if response.body and request.method != "HEAD" and response.status not in (204, 304):
                handler.wfile.write(response.body)
            handler.wfile.flush()
        except OSError:
            # The client gave up (its timeout ran out during a delay); nothing to tell it.
            handler.close_connection = True


NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
