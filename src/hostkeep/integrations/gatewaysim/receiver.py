"""A recording HTTP endpoint for tests: receives notifications, answers scripted statuses.

Stands in for the merchant's webhook URL when a test exercises a simulator on its own (the
integrations' own tests point the simulators at Django's live server instead).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_ip: str
    answered: int

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    def form_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        status = receiver.next_status()
        receiver.record(
            ReceivedRequest(self.command, self.path, dict(self.headers.items()), body, self.client_address[0], status)
        )
        payload = b"ok" if 200 <= status < 300 else b"not ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        super().__init__((receiver.host, 0), _Handler)


class WebhookReceiver:
    """``with WebhookReceiver() as hook:`` then give ``hook.url`` to a simulator.

    ``respond_with(500, 500)`` makes the next two deliveries fail; later ones get ``default_status``.
    """

    def __init__(self, *, host: str = "127.0.0.1", default_status: int = 200) -> None:
        self.host = host
        self.default_status = default_status
        self.requests: list[ReceivedRequest] = []
        self._statuses: list[int] = []
        self._condition = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not running")
        return f"http://{self.host}:{self._server.server_address[1]}/hook"

    def respond_with(self, *statuses: int) -> None:
        with self._condition:
            self._statuses.extend(statuses)

    def next_status(self) -> int:
        with self._condition:
            return self._statuses.pop(0) if self._statuses else self.default_status

    def record(self, request: ReceivedRequest) -> None:
        with self._condition:
            self.requests.append(request)
            self._condition.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` requests arrived."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True
