"""What every endpoint gets: the caller, the normalised input, errors in the panel's shape,
and the list machinery (includes, pagination, filters, sorting) as spatie/fractal do it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from hostkeep.integrations.panelsim.httpd import Request, Response, json_response

from .state import ApiKey, PanelState, User
from .validation import FieldError, RuleSpec, Validator

if TYPE_CHECKING:
    from .panel import PterodactylSimulator

T = TypeVar("T")

NOT_FOUND = "The requested resource could not be found on the server."
UNEXPECTED = "An unexpected error was encountered while processing this request, please try again."
UNAUTHORIZED_ACTION = "This action is unauthorized."
NO_TRIM = {"password", "password_confirmation", "current_password"}


class ApiError(Exception):
    """An error answered in the ``{"errors": [...]}`` envelope, ``status`` as a string."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        entries: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = list(headers or [])
        self.entries = entries

    def body(self) -> dict[str, Any]:
        return {"errors": self.entries or [{"code": self.code, "status": str(self.status), "detail": self.detail}]}

    def response(self) -> Response:
        return json_response(self.status, self.body(), self.headers)


def not_found() -> ApiError:
    return ApiError(404, "NotFoundHttpException", NOT_FOUND)


def display_error(detail: str, code: str = "DisplayException") -> ApiError:
    return ApiError(400, code, detail)


def validation_error(errors: list[FieldError]) -> ApiError:
    entries = [
        {
            "code": "ValidationException",
            "status": "422",
            "detail": error.message,
            "meta": {"source_field": error.field, "rule": error.rule},
        }
        for error in errors
    ]
    return ApiError(422, "ValidationException", errors[0].message, entries=entries)


def unexpected(code: str = "QueryException") -> ApiError:
    return ApiError(500, code, UNEXPECTED)


# -- input ------------------------------------------------------------------------------------


def parse_php_query(query: str) -> dict[str, Any]:
    """``filter[email]=a&location_ids[]=1`` -> ``{"filter": {"email": "a"}, "location_ids": ["1"]}``."""
    result: dict[str, Any] = {}
    for raw_key, value in parse_qsl(query, keep_blank_values=True):
        match = re.match(r"^([^\[\]]+)((?:\[[^\]]*\])*)$", raw_key)
        if match is None:
            result[raw_key] = value
            continue
        parts = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        current = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            key = part if part != "" else str(sum(1 for k in current if str(k).isdigit()))
            if last:
                current[key] = value
            else:
                if not isinstance(current.get(key), dict):
                    current[key] = {}
                current = current[key]
    converted: dict[str, Any] = _lists(result)
    return converted


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {key: _lists(item) for key, item in value.items()}
        keys = list(converted)
        if keys and keys == [str(i) for i in range(len(keys))]:
            return [converted[key] for key in keys]
        return converted
    return value


def normalise(value: Any, key: str | None = None) -> Any:
    """Laravel's TrimStrings + ConvertEmptyStringsToNull, nested structures included."""
    if isinstance(value, str):
        if key not in NO_TRIM:
            value = value.strip()
        return None if value == "" else value
    if isinstance(value, dict):
        return {k: normalise(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


class Includes:
    """``include=eggs.variables,servers``: at most two levels; a child implies its parent."""

    def __init__(self, paths: set[str]) -> None:
        self.paths = paths
        self.names = {path.split(".")[0] for path in paths}

    @classmethod
    def parse(cls, raw: Any) -> Includes:
        if isinstance(raw, list):
            raw = ",".join(str(item) for item in raw if item is not None)
        if not isinstance(raw, str):
            return cls(set())
        paths = set()
        for item in raw.split(","):
            parts = [part.strip() for part in item.split(".") if part.strip()]
            if parts:
                paths.add(".".join(parts[:2]))
        return cls(paths)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def child(self, name: str) -> Includes:
        prefix = name + "."
        return Includes({path[len(prefix) :] for path in self.paths if path.startswith(prefix)})


NO_INCLUDES = Includes(set())


@dataclass
class Context:
    """The authenticated call an endpoint handles; take ``sim.lock`` before touching state."""

    sim: PterodactylSimulator
    request: Request
    key: ApiKey
    user: User
    query: dict[str, Any]
    input: dict[str, Any]
    base_url: str

    @property
    def state(self) -> PanelState:
        return self.sim.db

    @property
    def includes(self) -> Includes:
        return Includes.parse(self.input.get("include"))

    def require(self, resource: str, bit: int) -> None:
        """The form request's ``authorize()``: the key's ACL bit for this resource."""
        if not self.key.can(resource, bit):
            raise ApiError(403, "AccessDeniedHttpException", UNAUTHORIZED_ACTION)

    def validate(self, rules: dict[str, RuleSpec], labels: dict[str, str] | None = None) -> None:
        errors = Validator(self.input, rules, labels).errors()
        if errors:
            raise validation_error(errors)

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- lists ---------------------------------------------------------------------------------

    def filtered(self, items: list[T], allowed: dict[str, Callable[[T, list[str]], bool]]) -> list[T]:
        raw = self.query.get("filter")
        if not isinstance(raw, dict):
            return items
        unknown = [name for name in raw if name not in allowed]
        if unknown:
            raise ApiError(
                400,
                "InvalidFilterQuery",
                f"Requested filter(s) `{', '.join(unknown)}` are not allowed. "
                f"Allowed filter(s) are `{', '.join(allowed)}`.",
            )
        for name, value in raw.items():
            terms = _filter_terms(value)
            if not terms:
                continue
            test = allowed[name]
            items = [item for item in items if test(item, terms)]
        return items

    def sorted(self, items: list[T], allowed: dict[str, Callable[[T], Any]]) -> list[T]:
        raw = self.query.get("sort")
        if not isinstance(raw, str):
            return items
        fields = [field for field in raw.split(",") if field]
        unknown = [field.lstrip("-") for field in fields if field.lstrip("-") not in allowed]
        if unknown:
            raise ApiError(
                400,
                "InvalidSortQuery",
                f"Requested sort(s) `{', '.join(unknown)}` is not allowed. Allowed sort(s) are `{', '.join(allowed)}`.",
            )
        for field in reversed(fields):
            items = sorted(items, key=allowed[field.lstrip("-")], reverse=field.startswith("-"))
        return items

    def page(self, items: list[T]) -> tuple[list[T], dict[str, Any]]:
        """One page plus ``meta.pagination``; its links keep only ``?page=N`` like the panel's."""
        raw = self.query.get("per_page")
        if raw is None:
            per_page = 50
        elif isinstance(raw, str) and raw.isdigit():
            per_page = int(raw) or 15
        else:
            raise unexpected("TypeError")
        raw_page = self.query.get("page")
        current = int(raw_page) if isinstance(raw_page, str) and raw_page.isdigit() and int(raw_page) >= 1 else 1
        total = len(items)
        total_pages = max(1, -(-total // per_page))
        chunk = items[(current - 1) * per_page : current * per_page]
        links: dict[str, str] = {}
        if current > 1:
            links["previous"] = f"{self.base_url}{self.request.path}?page={current - 1}"
        if current < total_pages:
            links["next"] = f"{self.base_url}{self.request.path}?page={current + 1}"
        meta = {
            "pagination": {
                "total": total,
                "count": len(chunk),
                "per_page": per_page,
                "current_page": current,
                "total_pages": total_pages,
                "links": links,
            }
        }
        return chunk, meta


def _filter_terms(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else str(value).split(",")
    return [str(term).lower() for term in values if term is not None and str(term) != ""]


def partial(getter: Callable[[Any], Any]) -> Callable[[Any, list[str]], bool]:
    """A default spatie filter: case-insensitive substring, comma-separated terms OR-ed."""

    def test(item: Any, terms: list[str]) -> bool:
        value = getter(item)
        if value is None:
            return False
        text = str(value).lower()
        return any(term in text for term in terms)

    return test
