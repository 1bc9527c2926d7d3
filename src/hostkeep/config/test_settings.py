"""Settings for the test suite: the real settings, with a throw-away data folder and mail
kept in memory. DATABASE_URL and REDIS_URL still come from the environment, so the same
suite runs on SQLite and (in CI's second pass) on PostgreSQL with Redis."""

import os
import tempfile

os.environ.setdefault("HOSTKEEP_DATA_DIR", tempfile.mkdtemp(prefix="hostkeep-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks")

from hostkeep.config.settings import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Fast hashing keeps the suite quick; test_security checks production uses Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns about a missing root
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# A file-backed SQLite test database: the live server used by browser tests answers from
# several threads, each with its own connection, which an in-memory database cannot share.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
