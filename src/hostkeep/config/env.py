"""Reading settings from the environment, with errors that name the variable.

Every value Hostkeep takes from the environment passes through one of these readers, so a
wrong value stops start-up with a message such as ``DATABASE_URL: unknown scheme 'mysq'``
instead of a traceback from deep inside Django.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class EnvironmentSettingError(ImproperlyConfigured):
    """A variable of the environment is missing or malformed; the message starts with its name."""

    def __init__(self, name: str, problem: str) -> None:
        self.variable = name
        super().__init__(f"{name}: {problem}")


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def flag(name: str, *, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvironmentSettingError(name, f"expected one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvironmentSettingError(name, f"expected a whole number; got {raw!r}") from None
    if value < minimum:
        raise EnvironmentSettingError(name, f"must be at least {minimum}; got {value}")
    return value


def word_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def data_dir() -> Path:
    """The folder for the SQLite file, the generated secret key, uploads and captured mail."""
    raw = text("HOSTKEEP_DATA_DIR") or "var"
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EnvironmentSettingError("HOSTKEEP_DATA_DIR", f"cannot create {path}: {error}") from None
    return path


def secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, or one generated once and kept in the data folder."""
    configured = text("SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise EnvironmentSettingError("SECRET_KEY", "must be at least 32 characters long")
        return configured
    stored = folder / "secret_key"
    if stored.exists():
        return stored.read_text().strip()
    generated = secrets.token_urlsafe(50)
    stored.touch(mode=0o600)
    stored.write_text(generated)
    return generated


def database(folder: Path) -> dict[str, Any]:
    """DATABASE_URL parsed into Django's form; SQLite in the data folder by default, in WAL mode."""
    raw = text("DATABASE_URL")
    if not raw:
        raw = f"sqlite:///{folder / 'hostkeep.sqlite3'}"
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise EnvironmentSettingError(
            "DATABASE_URL",
            f"expected sqlite:///path or postgres://user@host:port/name; got {raw!r}",
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(raw, conn_max_age=600, conn_health_checks=True))
    except (ValueError, KeyError) as error:
        raise EnvironmentSettingError("DATABASE_URL", f"cannot be parsed ({error})") from None
    if scheme == "sqlite":
        if not config.get("NAME"):
            raise EnvironmentSettingError("DATABASE_URL", "a SQLite URL needs a file path")
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"),
            "transaction_mode": "IMMEDIATE",
        }
    else:
        if not config.get("NAME"):
            raise EnvironmentSettingError("DATABASE_URL", "a PostgreSQL URL needs a database name")
        if config.get("PORT") in ("", None):
            config["PORT"] = 5432
        config.setdefault("OPTIONS", {})
    return config


def redis_url() -> str:
    raw = text("REDIS_URL")
    if raw and urlsplit(raw).scheme not in {"redis", "rediss", "unix"}:
        raise EnvironmentSettingError("REDIS_URL", f"expected redis://host:port/db; got {raw!r}")
    return raw


def time_zone() -> str:
    raw = text("TIME_ZONE") or "UTC"
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise EnvironmentSettingError(
            "TIME_ZONE", f"unknown time zone {raw!r}; use a name such as Africa/Johannesburg"
        ) from None
    return raw


def email(folder: Path, *, demo: bool) -> dict[str, Any]:
    """The default mailer (Django's MAILERS entry) from EMAIL_URL.

    Forms: smtp://user:password@host:587?tls=1, smtps://..., console:// or file:///folder.
    """
    raw = text("EMAIL_URL") or ("console://" if demo else f"file://{folder / 'mail'}")
    parts = urlsplit(raw)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        folder_path = Path(unquote(parts.path or "")).expanduser()
        if not parts.path:
            raise EnvironmentSettingError("EMAIL_URL", "file:// needs a folder path")
        folder_path.mkdir(parents=True, exist_ok=True)
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder_path)},
        }
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise EnvironmentSettingError("EMAIL_URL", "an SMTP URL needs a host")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise EnvironmentSettingError("EMAIL_URL", "the port is not a number") from None
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname,
                "port": port,
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": parts.scheme == "smtps",
                "use_tls": parts.scheme == "smtp" and query.get("tls", "").lower() in TRUE_WORDS,
                "timeout": 20,
            },
        }
    raise EnvironmentSettingError("EMAIL_URL", f"expected smtp://, smtps://, console:// or file:///folder; got {raw!r}")


def fresh_token() -> str:
    return secrets.token_urlsafe(32)
