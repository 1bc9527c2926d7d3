"""``/api/application/users``: list, view, exact external-id lookup, create, full-replacement
update and delete (refused while the user owns servers)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from hostkeep.integrations.panelsim.httpd import Response, json_response

from .context import Context, display_error, not_found, partial
from .presenters import Presenter
from .state import LANGUAGES, READ, WRITE, User, utcnow
from .validation import Check, RuleSpec

USERNAME = re.compile(r"^[a-z0-9]([\w.-]+)[a-z0-9]$")
LABELS = {
    "external_id": "Third Party Identifier",
    "first_name": "First Name",
    "last_name": "Last Name",
    "root_admin": "Root Administrator Status",
}
USER_FILTERS = {
    "email": partial(lambda u: u.email),
    "uuid": partial(lambda u: u.uuid),
    "username": partial(lambda u: u.username),
    "external_id": partial(lambda u: u.external_id),
}
USER_SORTS = {"id": lambda u: u.id, "uuid": lambda u: u.uuid}


def bind_user(ctx: Context, raw_id: str) -> User:
    user = ctx.state.users.get(int(raw_id)) if raw_id.isdigit() else None
    if user is None:
        raise not_found()
    return user


def _unique(ctx: Context, attribute: str, ignore_id: int | None) -> Check:
    def test(value: Any) -> bool:
        wanted = str(value).lower()
        return not any(
            getattr(user, attribute) is not None
            and str(getattr(user, attribute)).lower() == wanted
            and user.id != ignore_id
            for user in ctx.state.users.values()
        )

    return Check("unique", test, "The :attribute has already been taken.")


def user_rules(ctx: Context, ignore_id: int | None = None) -> dict[str, RuleSpec]:
    username_rule = Check(
        "p_username",
        lambda value: isinstance(value, str) and USERNAME.match(value.lower()) is not None,
        "The :attribute must start and end with alpha-numeric characters and contain only letters, "
        "numbers, dashes, underscores, and periods.",
    )
    return {
        "external_id": ["sometimes", "nullable", "string", "max:191", _unique(ctx, "external_id", ignore_id)],
        "email": ["required", "email", "between:1,191", _unique(ctx, "email", ignore_id)],
        "username": ["required", "between:1,191", _unique(ctx, "username", ignore_id), username_rule],
        "password": "sometimes|nullable|string",
        "language": ["string", "in:" + ",".join(LANGUAGES)],
        "root_admin": "boolean",
        "first_name": "required|string|between:1,191",
        "last_name": "required|string|between:1,191",
    }


def _boolean(value: Any) -> bool:
    return value in (True, 1, "1")


def list_users(ctx: Context) -> Response:
    ctx.require("users", READ)
    with ctx.sim.lock:
        users = list(ctx.state.users.values())
        users = ctx.sorted(ctx.filtered(users, USER_FILTERS), USER_SORTS)
        chunk, meta = ctx.page(users)
        presenter = Presenter(ctx.state, ctx.key)
        data = [presenter.user(user, ctx.includes) for user in chunk]
    return json_response(200, {"object": "list", "data": data, "meta": meta})


def view_user(ctx: Context, user: str) -> Response:
    with ctx.sim.lock:
        found = bind_user(ctx, user)
        ctx.require("users", READ)
        return json_response(200, Presenter(ctx.state, ctx.key).user(found, ctx.includes))


def view_user_by_external_id(ctx: Context, external_id: str) -> Response:
    with ctx.sim.lock:
        found = ctx.state.user_by_external_id(external_id)
        if found is None:
            raise not_found()
        ctx.require("users", READ)
        return json_response(200, Presenter(ctx.state, ctx.key).user(found, ctx.includes))


def create_user(ctx: Context) -> Response:
    ctx.require("users", WRITE)
    with ctx.sim.lock:
        ctx.validate(user_rules(ctx), LABELS)
        data = ctx.input
        state = ctx.state
        created = User(
            id=state.next_id("users"),
            uuid=str(uuid.uuid4()),
            username=str(data["username"]).lower(),
            email=str(data["email"]),
            first_name=str(data["first_name"]),
            last_name=str(data["last_name"]),
            external_id=data.get("external_id"),
            language=str(data.get("language") or "en"),
            root_admin=_boolean(data.get("root_admin", False)),
            password=data.get("password"),
        )
        state.users[created.id] = created
        payload = Presenter(state, ctx.key).user(created, ctx.includes)
    payload["meta"] = {"resource": ctx.url(f"/api/application/users/{created.id}")}
    return json_response(201, payload)


def update_user(ctx: Context, user: str) -> Response:
    with ctx.sim.lock:
        found = bind_user(ctx, user)
        ctx.require("users", WRITE)
        ctx.validate(user_rules(ctx, ignore_id=found.id), LABELS)
        data = ctx.input
        found.username = str(data["username"]).lower()
        found.email = str(data["email"])
        found.first_name = str(data["first_name"])
        found.last_name = str(data["last_name"])
        if "external_id" in data:
            found.external_id = data["external_id"]
        if data.get("language") is not None:
            found.language = str(data["language"])
        if "root_admin" in data and data["root_admin"] is not None:
            found.root_admin = _boolean(data["root_admin"])
        if data.get("password"):
            found.password = str(data["password"])
        found.updated_at = utcnow()
        return json_response(200, Presenter(ctx.state, ctx.key).user(found, ctx.includes))


def delete_user(ctx: Context, user: str) -> Response:
    with ctx.sim.lock:
        found = bind_user(ctx, user)
        ctx.require("users", WRITE)
        state = ctx.state
        if state.servers_of_user(found.id):
            raise display_error(
                "Cannot delete a user with active servers attached to their account. "
                "Please delete their servers before continuing."
            )
        del state.users[found.id]
        for key_id in [k for k, key in state.api_keys.items() if key.user_id == found.id]:
            del state.api_keys[key_id]
    return Response(204)


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/users", list_users),
    ("GET", "/users/external/{external_id}", view_user_by_external_id),
    ("GET", "/users/{user}", view_user),
    ("POST", "/users", create_user),
    ("PATCH", "/users/{user}", update_user),
    ("DELETE", "/users/{user}", delete_user),
]
