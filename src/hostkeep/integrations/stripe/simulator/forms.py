"""Stripe's form encoding: ``metadata[order]=42&line_items[0][price_data][currency]=usd``.

Stripe's API takes ``application/x-www-form-urlencoded`` bodies (and GET query strings) in which
brackets nest hashes and numeric or empty brackets make arrays; the SDKs encode that way. Values
stay strings here; endpoints coerce them with the helpers below, answering the same 400s Stripe
does for a missing, unknown or malformed parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hostkeep.integrations.stripe.simulator.errors import StripeError, invalid, missing

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

Params = dict[str, Any]


def parse_form(pairs: Iterable[tuple[str, str]]) -> Params:
    """Nest ``a[b][0]=v`` pairs into dicts and lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {raw_key}", param=raw_key)
        path = [match.group(1), *_PART.findall(match.group(2))]
        _assign(root, path, value, raw_key)
    result: Params = _listify(root)
    return result


def _assign(node: dict[str, Any], path: list[str], value: str, raw_key: str) -> None:
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if part == "":  # "a[]" appends
            part = str(sum(1 for key in node if key.isdigit()))
        if last:
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise StripeError(400, f"Invalid parameter structure at {raw_key}", param=raw_key)
        node = child


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(child) for key, child in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def reject_unknown(params: Params, allowed: Iterable[str]) -> None:
    known = {*allowed, "expand"}
    for name in params:
        if name not in known:
            raise StripeError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def get_str(params: Params, name: str, *, required: bool = False, max_length: int | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, f"Invalid string: {name} must be a string.")
    if max_length is not None and len(value) > max_length:
        raise invalid(name, f"Invalid {name}: must be at most {max_length} characters")
    return value


def get_int(params: Params, name: str, *, required: bool = False) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise invalid(name, f"Invalid integer: {value}", code="parameter_invalid_integer")
    return int(value)


def get_bool(params: Params, name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise invalid(name, f"Invalid boolean: {value}")


def get_dict(params: Params, name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(name, f"Invalid object: {name} must be a hash")
    return value


def get_list(params: Params, name: str) -> list[Any]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, dict) and not value:
        return []
    if not isinstance(value, list):
        raise invalid(name, f"Invalid array: {name} must be an array")
    return value


def get_enum(params: Params, name: str, choices: Iterable[str], *, required: bool = False) -> str | None:
    value = get_str(params, name, required=required)
    allowed = tuple(choices)
    if value is not None and value not in allowed:
        raise invalid(name, f"Invalid {name}: must be one of {', '.join(allowed)}", code="parameter_invalid_string")
    return value


def metadata_from(params: Params, name: str = "metadata", *, current: dict[str, str] | None = None) -> dict[str, str]:
    """Validate and merge metadata: at most 50 keys, keys up to 40 chars, values up to 500.

    As in Stripe, an empty value unsets a key on update.
    """
    raw = params.get(name)
    result = dict(current or {})
    if raw is None:
        return result
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid(name, "Invalid hash: metadata must be a hash of string keys and string values")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise invalid(f"{name}[{key}]", "Metadata values must be strings (nested objects are not allowed)")
        if len(key) > 40:
            raise invalid(f"{name}[{key}]", f"Metadata keys must be at most 40 characters: {key}")
        if len(value) > 500:
            raise invalid(f"{name}[{key}]", "Metadata values must be at most 500 characters")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise invalid(name, "Metadata may have at most 50 keys")
    return result
