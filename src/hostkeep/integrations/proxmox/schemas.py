"""The settings a Proxmox product and a Proxmox connection take (JSON schemas)."""

from __future__ import annotations

from typing import Any

PRODUCT_SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connection": {"type": "string"},
        "node": {"type": "string", "minLength": 1},
        "template_vmid": {"type": "integer", "minimum": 100},
        "full_clone": {"type": "boolean"},
        "storage": {"type": "string"},
        "disk": {"type": "string", "description": "the disk to resize, e.g. scsi0"},
        "limits": {
            "type": "object",
            "properties": {
                "cores": {"type": "integer", "minimum": 1},
                "memory": {"type": "integer", "minimum": 128},
                "disk_gib": {"type": "integer", "minimum": 1},
            },
        },
    },
    "required": ["node", "template_vmid"],
}

CONNECTION_SETTINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "user": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
        "token_name": {"type": "string", "minLength": 1},
        "scheme": {"enum": ["https", "http"]},
        "verify_ssl": {"type": ["boolean", "string"]},
        "task_poll_seconds": {"type": "number", "minimum": 0.01},
        "task_timeout_seconds": {"type": "number", "minimum": 1},
    },
    "required": ["host", "user", "token_name"],
}
