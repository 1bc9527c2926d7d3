import os
import subprocess
import sys

import pytest

from hostkeep.config import env


def run_hostkeep(tmp_path, **variables):
    dropped = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "REDIS_URL", "HOSTKEEP_TASKS"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update({"HOSTKEEP_DATA_DIR": str(tmp_path), **variables})
    return subprocess.run(
        [sys.executable, "-m", "hostkeep", "check"], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DATABASE_URL": "mysq://nobody@host/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"HOSTKEEP_DEBUG": "maybe"}, "HOSTKEEP_DEBUG"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"EMAIL_URL": "pigeon://coop"}, "EMAIL_URL"),
        ({"HOSTKEEP_TASKS": "celery"}, "REDIS_URL"),
    ],
)
def test_a_wrong_value_stops_start_up_naming_the_variable(tmp_path, variables, named):
    result = run_hostkeep(tmp_path, **variables)
    assert result.returncode == 2
    assert result.stderr.startswith(f"hostkeep: configuration error: {named}:")
    assert "Traceback" not in result.stderr


def test_defaults_start_cleanly_and_generate_the_secret_key_once(tmp_path):
    result = run_hostkeep(tmp_path)
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    run_hostkeep(tmp_path)
    assert (tmp_path / "secret_key").read_text() == key


def test_sqlite_default_uses_wal_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.database(tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "hostkeep.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_email_url_forms(tmp_path, monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://mailer:p%40ss@mail.example.com:587?tls=1")
    smtp = env.email(tmp_path, demo=False)["OPTIONS"]
    assert smtp["host"] == "mail.example.com"
    assert smtp["port"] == 587
    assert smtp["password"] == "p@ss"
    assert smtp["use_tls"] is True
    monkeypatch.setenv("EMAIL_URL", f"file://{tmp_path}/outgoing")
    assert env.email(tmp_path, demo=False)["OPTIONS"]["file_path"] == f"{tmp_path}/outgoing"
