"""Fixtures of the notifications tests: a test event in the catalogue, local HTTP receivers
on 127.0.0.1, and a way to run everything an event sets off."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hostkeep.core.outbox import handlers_by_topic
from hostkeep.notifications.catalogue import (
    EVENT_TYPES,
    Audience,
    DefaultTemplate,
    EventCategory,
    EventDescription,
    EventType,
    event_type_register,
)


def describe_ping(payload: dict[str, Any]) -> EventDescription | None:
    if payload.get("skip"):
        return None
    return EventDescription(
        customer_id=payload["customer_id"],
        context={"name": payload.get("name", "")},
        link="/portal/",
        key=payload.get("key", ""),
    )


def ping_type(*, critical: bool = False, category: EventCategory = EventCategory.SERVICES) -> EventType:
    return EventType(
        topic="test.ping",
        label="Ping",
        category=category,
        audience=(Audience.CONTACT_BILLING,),
        describe=describe_ping,
        critical=critical,
        sample={"name": "Sample"},
        templates={
            "en": DefaultTemplate("Ping {{ name }}", "Hello {{ recipient_name }}: {{ name }}"),
            "ru": DefaultTemplate("Пинг {{ name }}", "Здравствуйте, {{ recipient_name }}: {{ name }}"),
            "es": DefaultTemplate("Aviso {{ name }}", "Hola, {{ recipient_name }}: {{ name }}"),
        },
    )


@pytest.fixture
def ping() -> Iterator[EventType]:
    event_type = event_type_register(ping_type())
    handlers_by_topic.cache_clear()
    yield event_type
    EVENT_TYPES.pop("test.ping", None)
    handlers_by_topic.cache_clear()


@pytest.fixture
def critical_ping() -> Iterator[EventType]:
    event_type = event_type_register(ping_type(critical=True, category=EventCategory.BILLING))
    handlers_by_topic.cache_clear()
    yield event_type
    EVENT_TYPES.pop("test.ping", None)
    handlers_by_topic.cache_clear()


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers with ``status``."""

    url: str
    port: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def bodies(self) -> list[Any]:
        return [json.loads(r["body"] or b"null") for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            target = box["receiver"]
            target.requests.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
            body = json.dumps({"ok": target.status < 300, "result": {"message_id": 1}}).encode()
            self.send_response(target.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    box["receiver"] = Receiver(url=f"http://127.0.0.1:{port}", port=port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def emit(django_capture_on_commit_callbacks, run_jobs):
    """Emit an outbox event and run everything it sets off: the outbox delivery, then every
    delivery job that is due."""
    from hostkeep.core.actions import outbox_emit

    def run(topic: str, payload: dict[str, Any]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            outbox_emit(topic=topic, payload=payload)
        with django_capture_on_commit_callbacks(execute=True):
            run_jobs()
        run_jobs()

    return run
