"""The settings a Pterodactyl product and a Pterodactyl panel connection take (JSON schemas)."""

from __future__ import annotations

from typing import Any

_int = {"type": "integer", "minimum": 0}

LIMITS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "memory": _int,
        "swap": {"type": "integer", "minimum": -1},
        "disk": _int,
        "io": {"type": "integer", "minimum": 10, "maximum": 1000},
        "cpu": _int,
        "threads": {"type": ["string", "null"]},
        "databases": _int,
        "allocations": _int,
        "backups": _int,
    },
}

PRODUCT_SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connection": {"type": "string", "description": "name of the panel connection (default: the first)"},
        "nest": {"type": "integer", "minimum": 1},
        "egg": {"type": "integer", "minimum": 1},
        "docker_image": {"type": "string", "maxLength": 191},
        "startup": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean", "null"]}},
        "location_ids": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "node": {"type": "integer", "minimum": 1},
        "dedicated_ip": {"type": "boolean"},
        "port_range": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,5}(-[0-9]{1,5})?$"}},
        "oom_killer": {"type": "boolean"},
        "start_on_completion": {"type": "boolean"},
        "limits": LIMITS,
        "versions": {
            "type": "object",
            "description": "the 'version' option's value -> egg, docker_image, startup, environment",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "nest": {"type": "integer"},
                    "egg": {"type": "integer"},
                    "docker_image": {"type": "string"},
                    "startup": {"type": "string"},
                    "environment": {"type": "object"},
                },
            },
        },
    },
    "required": ["nest", "egg"],
}

CONNECTION_SETTINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "base_url": {"type": "string", "pattern": "^https?://"},
        "panel_url": {"type": "string", "description": "the address customers use (default: base_url)"},
    },
    "required": ["base_url"],
}
