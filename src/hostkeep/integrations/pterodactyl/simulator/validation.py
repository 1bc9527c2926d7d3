"""The subset of Laravel's validator the panel's requests and egg variables use.

One error per failed rule, in rule order, with Laravel's semantics for absent keys, ``null``,
``nullable``, ``sometimes`` and implicit rules (``required``, ``present``, ``required_with``,
``required_without``): after an implicit rule fails, the field's other rules are skipped.
Messages are the panel's English strings; clients must branch on ``source_field`` and
``rule``, never on the wording.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MISSING: Any = object()
IMPLICIT = {"required", "present", "required_with", "required_without"}
NUMERIC_RULES = {"numeric", "integer"}

MESSAGES = {
    "required": "The :attribute field is required.",
    "present": "The :attribute field must be present.",
    "required_with": "The :attribute field is required when :values is present.",
    "required_without": "The :attribute field is required when :values is not present.",
    "string": "The :attribute must be a string.",
    "integer": "The :attribute must be an integer.",
    "numeric": "The :attribute must be a number.",
    "boolean": "The :attribute field must be true or false.",
    "array": "The :attribute must be an array.",
    "email": "The :attribute must be a valid email address.",
    "in": "The selected :attribute is invalid.",
    "regex": "The :attribute format is invalid.",
    "url": "The :attribute format is invalid.",
    "alpha_dash": "The :attribute may only contain letters, numbers, and dashes.",
}
SIZE_MESSAGES = {
    "min": {
        "numeric": "The :attribute must be at least :min.",
        "string": "The :attribute must be at least :min characters.",
        "array": "The :attribute must have at least :min items.",
    },
    "max": {
        "numeric": "The :attribute may not be greater than :max.",
        "string": "The :attribute may not be greater than :max characters.",
        "array": "The :attribute may not have more than :max items.",
    },
    "between": {
        "numeric": "The :attribute must be between :min and :max.",
        "string": "The :attribute must be between :min and :max characters.",
        "array": "The :attribute must have between :min and :max items.",
    },
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Check:
    """A rule the panel implements itself (``unique``, ``exists``, the username rule)."""

    name: str
    test: Callable[[Any], bool]
    message: str


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str
    message: str


RuleSpec = str | list[str | Check]


def parse(spec: RuleSpec) -> list[tuple[str, list[str]] | Check]:
    """``"required|max:20"`` or a list mixing strings and checks -> (name, params) or Check."""
    items = spec.split("|") if isinstance(spec, str) else spec
    parsed: list[tuple[str, list[str]] | Check] = []
    for item in items:
        if isinstance(item, Check):
            parsed.append(item)
            continue
        if not item:
            continue
        name, _, argument = item.partition(":")
        params = [argument] if name == "regex" else (argument.split(",") if argument else [])
        parsed.append((name.strip().lower(), params))
    return parsed


def lookup(data: Any, dotted: str) -> Any:
    current = data
    for part in dotted.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def expand(data: Any, dotted: str) -> list[str]:
    """``deploy.port_range.*`` -> ``deploy.port_range.0``, ``...1`` for the keys that exist."""
    if "*" not in dotted:
        return [dotted]
    head, _, tail = dotted.partition(".*")
    container = lookup(data, head)
    if isinstance(container, list):
        keys = [str(index) for index in range(len(container))]
    elif isinstance(container, dict):
        keys = [str(key) for key in container]
    else:
        return []
    fields: list[str] = []
    for key in keys:
        fields.extend(expand(data, f"{head}.{key}{tail}"))
    return fields


def is_empty(value: Any) -> bool:
    if value is MISSING or value is None:
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    return isinstance(value, list | dict) and len(value) == 0


def is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))
    if isinstance(value, str):
        return re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value) is not None
    return False


def is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value) is not None


def php_regex(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) < 2:
        return None
    delimiter = pattern[0]
    end = pattern.rfind(delimiter)
    if end <= 0:
        return None
    body, modifiers = pattern[1:end], pattern[end + 1 :]
    flags = 0
    if "i" in modifiers:
        flags |= re.IGNORECASE
    if "m" in modifiers:
        flags |= re.MULTILINE
    if "s" in modifiers:
        flags |= re.DOTALL
    if "x" in modifiers:
        flags |= re.VERBOSE
    try:
        return re.compile(body, flags)
    except re.error:
        return None


class Validator:
    """``Validator(data, {"field": "required|string"}, labels).errors()``."""

    def __init__(self, data: Any, rules: dict[str, RuleSpec], labels: dict[str, str] | None = None) -> None:
        self.data = data
        self.rules = {name: parse(spec) for name, spec in rules.items()}
        self.labels = labels or {}

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        for pattern, rules in self.rules.items():
            for field in expand(self.data, pattern):
                found.extend(self._validate(field, pattern, rules))
        return found

    def _label(self, field: str, pattern: str) -> str:
        return self.labels.get(field) or self.labels.get(pattern) or field.replace("_", " ")

    def _has(self, rules: list[tuple[str, list[str]] | Check], name: str | set[str]) -> bool:
        names = {name} if isinstance(name, str) else name
        return any(not isinstance(rule, Check) and rule[0] in names for rule in rules)

    def _validate(self, field: str, pattern: str, rules: list[tuple[str, list[str]] | Check]) -> list[FieldError]:
        value = lookup(self.data, field)
        if self._has(rules, "sometimes") and value is MISSING:
            return []
        nullable = self._has(rules, "nullable")
        bail = self._has(rules, "bail")
        numeric = self._has(rules, NUMERIC_RULES)
        errors: list[FieldError] = []
        for rule in rules:
            name = rule.name if isinstance(rule, Check) else rule[0]
            if name in ("sometimes", "nullable", "bail"):
                continue
            implicit = name in IMPLICIT
            if not implicit:
                if value is MISSING:
                    continue
                if isinstance(value, str) and value.strip() == "":
                    continue
                if nullable and value is None:
                    continue
            failed = self._fails(rule, value, numeric)
            if failed is None:
                continue
            label = self._label(field, pattern)
            errors.append(FieldError(field, name, failed.replace(":attribute", label)))
            if implicit or bail:
                break
        return errors

    def _fails(self, rule: tuple[str, list[str]] | Check, value: Any, numeric: bool) -> str | None:
        """The message template if ``value`` fails ``rule``, else None."""
        if isinstance(rule, Check):
            return None if rule.test(value) else rule.message
        name, params = rule
        message = MESSAGES.get(name, "The :attribute is invalid.")
        ok: bool
        if name == "required":
            ok = not is_empty(value)
        elif name == "present":
            ok = value is not MISSING
        elif name in ("required_with", "required_without"):
            others_present = any(not is_empty(lookup(self.data, other)) for other in params)
            needed = others_present if name == "required_with" else not others_present
            ok = not needed or not is_empty(value)
            message = message.replace(":values", " / ".join(p.replace("_", " ") for p in params))
        elif name == "string":
            ok = isinstance(value, str)
        elif name == "integer":
            ok = is_integer(value)
        elif name == "numeric":
            ok = is_numeric(value)
        elif name == "boolean":
            ok = value in (True, False, 0, 1, "0", "1") and not isinstance(value, float)
        elif name == "array":
            ok = isinstance(value, list | dict)
        elif name == "email":
            ok = isinstance(value, str) and EMAIL.match(value) is not None
        elif name == "in":
            ok = php_string(value) in params and not isinstance(value, list | dict)
        elif name == "regex":
            compiled = php_regex(params[0]) if params else None
            ok = (
                compiled is not None
                and (isinstance(value, str) or is_numeric(value))
                and compiled.search(php_string(value)) is not None
            )
        elif name == "url":
            ok = isinstance(value, str) and re.match(r"^https?://[^\s/$.?#].[^\s]*$", value) is not None
        elif name == "alpha_dash":
            ok = (isinstance(value, str) or is_numeric(value)) and re.fullmatch(
                r"[\w-]+", php_string(value)
            ) is not None
        elif name in SIZE_MESSAGES:
            return self._size_fails(name, params, value, numeric)
        else:
            return None
        return None if ok else message

    @staticmethod
    def _size_fails(name: str, params: list[str], value: Any, numeric: bool) -> str | None:
        if numeric and is_numeric(value):
            size, kind = float(value), "numeric"
        elif isinstance(value, list | dict):
            size, kind = float(len(value)), "array"
        else:
            size, kind = float(len(php_string(value))), "string"
        bounds = [float(p) for p in params]
        if name == "min":
            ok = size >= bounds[0]
        elif name == "max":
            ok = size <= bounds[0]
        else:
            ok = bounds[0] <= size <= bounds[1]
        if ok:
            return None
        message = SIZE_MESSAGES[name][kind]
        if name == "between":
            return message.replace(":min", params[0]).replace(":max", params[1])
        return message.replace(":" + name, params[0])


def php_string(value: Any) -> str:
    """PHP's ``(string)`` cast, which is how the panel stores variable values."""
    if value is None or value is MISSING or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return "Array"
    return str(value)
