"""Hostkeep's settings, all read from the environment (see README "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from hostkeep.config import env

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()

DEMO = env.flag("HOSTKEEP_DEMO")
DEBUG = env.flag("HOSTKEEP_DEBUG", default=DEMO)
SECRET_KEY = env.secret_key(DATA_DIR)
ALLOWED_HOSTS = env.word_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.word_list("CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env.text("HOSTKEEP_BASE_URL") or "http://127.0.0.1:8000"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "crontask",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "ninja",
    # Hostkeep, bottom-up (see STYLE.md and .importlinter).
    "hostkeep.core",
    "hostkeep.accounts",
    "hostkeep.catalog",
    "hostkeep.services",
    "hostkeep.notifications",
    "hostkeep.ledger",
    "hostkeep.usage",
    "hostkeep.payments",
    "hostkeep.billing",
    "hostkeep.provisioning",
    "hostkeep.helpdesk",
    "hostkeep.documents",
    "hostkeep.api",
    "hostkeep.portal",
    "hostkeep.staff",
    "hostkeep.demo",
    "hostkeep.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hostkeep.api.middleware.ApiMethodNotAllowedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "hostkeep.accounts.middleware.ActorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hostkeep.config.urls"
WSGI_APPLICATION = "hostkeep.config.wsgi.application"
ASGI_APPLICATION = "hostkeep.config.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hostkeep.accounts.context_processors.actor",
                "hostkeep.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": env.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: the same @task code runs on the database backend (embedded default, or
# many workers on PostgreSQL) or on Celery over Redis.
TASKS_ENGINE = env.text("HOSTKEEP_TASKS") or "database"
TASKS: dict[str, dict[str, Any]]
if TASKS_ENGINE == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
elif TASKS_ENGINE == "celery":
    if not REDIS_URL:
        raise env.EnvironmentSettingError("REDIS_URL", "HOSTKEEP_TASKS=celery needs a Redis URL")
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_celery.CeleryBackend",
            "QUEUES": [],
            "OPTIONS": {"CELERY_APP": "hostkeep.core.celery.app"},
        }
    }
elif TASKS_ENGINE == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}
else:
    raise env.EnvironmentSettingError("HOSTKEEP_TASKS", f"expected database, celery or immediate; got {TASKS_ENGINE!r}")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXTENDED = True
CRONTASK = {"REDIS_URL": REDIS_URL} if REDIS_URL else {}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "hostkeep.accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.text("HOSTKEEP_EMAIL_VERIFICATION") or "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Hostkeep] "
# django-axes locks a login after repeated wrong passwords (at 5); allauth's "login_failed"
# limit, which also counts wrong two-factor codes per user, is set above that so the two do
# not fight over passwords while codes cannot be guessed at speed.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/5m/key,60/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "hostkeep.accounts.adapters.MFAAdapter"
MFA_TOTP_ISSUER = env.text("HOSTKEEP_NAME") or "Hostkeep"

AXES_FAILURE_LIMIT = env.integer("HOSTKEEP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "hostkeep.accounts.lockout.username_from_request"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False
# Lock-out is per login name; throttling by address belongs to the proxy in front, since
# many customers of one office or carrier-grade NAT share an address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.time_zone()

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads live outside the web root and are served only through permission-checked views.
MEDIA_ROOT = DATA_DIR / "private"

MAILERS = {"default": env.email(DATA_DIR, demo=DEMO)}
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL") or "Hostkeep <billing@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.flag("HOSTKEEP_SECURE_COOKIES", default=not DEBUG and not DEMO)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.flag("HOSTKEEP_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Money: the currency new customers are billed in, and whether list prices include VAT.
DEFAULT_CURRENCY = (env.text("HOSTKEEP_DEFAULT_CURRENCY") or "USD").upper()
PRICES_INCLUDE_TAX = env.flag("HOSTKEEP_PRICES_INCLUDE_TAX")

# Secrets of integrations are encrypted with these keys (first one encrypts; all decrypt).
ENCRYPTION_KEYS = env.word_list("HOSTKEEP_ENCRYPTION_KEYS", [])

# Outbox handlers, listed explicitly: topic subscribers live in each app's handlers.py.
OUTBOX_HANDLER_MODULES = [
    "hostkeep.accounts.handlers",
    "hostkeep.services.handlers",
    "hostkeep.billing.handlers",
    "hostkeep.payments.handlers",
    "hostkeep.provisioning.handlers",
    "hostkeep.helpdesk.handlers",
    "hostkeep.documents.handlers",
    "hostkeep.notifications.handlers",
]
# Promised payment: the most a customer may take, for how many days, and how often.
PROMISED_PAYMENT_CAP = env.text("HOSTKEEP_PROMISED_PAYMENT_CAP") or "500"
PROMISED_PAYMENT_DAYS = env.integer("HOSTKEEP_PROMISED_PAYMENT_DAYS", 3, minimum=1)
PROMISED_PAYMENT_EVERY_DAYS = env.integer("HOSTKEEP_PROMISED_PAYMENT_EVERY_DAYS", 30, minimum=1)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "apscheduler": {"level": "WARNING"},
    },
}

# --- helpdesk ---
# Attachments live under the private data folder and are served only by permission-checked
# views; limits apply to the portal, the API, the widget and mail alike.
HELPDESK_ATTACHMENT_DIR = DATA_DIR / "private" / "helpdesk"
HELPDESK_ATTACHMENT_MAX_BYTES = env.integer("HOSTKEEP_HELPDESK_ATTACHMENT_MB", 10, minimum=1) * 1024 * 1024
HELPDESK_MAX_ATTACHMENTS = env.integer("HOSTKEEP_HELPDESK_MAX_ATTACHMENTS", 10, minimum=1)
# A mail larger than this, or with more attachments, is refused on its own (recorded, marked seen).
HELPDESK_MAIL_MAX_BYTES = env.integer("HOSTKEEP_HELPDESK_MAIL_MB", 25, minimum=1) * 1024 * 1024
# Replies go to <local>+<ticket token>@<domain> of this address; its mailbox must accept "+" addresses.
HELPDESK_REPLY_ADDRESS = env.text("HOSTKEEP_HELPDESK_ADDRESS") or "support@localhost"
# Inbound webhook (raw MIME POSTed by a mail service): /helpdesk/inbound/<secret>/; empty turns it off.
HELPDESK_INBOUND_SECRET = env.text("HOSTKEEP_HELPDESK_INBOUND_SECRET") or ""
# Mails from one sender per hour beyond which further mail is treated as a loop.
HELPDESK_SENDER_HOURLY_LIMIT = env.integer("HOSTKEEP_HELPDESK_SENDER_HOURLY_LIMIT", 30, minimum=1)
HELPDESK_WIDGET_RATE = env.integer("HOSTKEEP_HELPDESK_WIDGET_PER_HOUR", 20, minimum=1)  # per key and address
HELPDESK_SLA_WARNING_MINUTES = env.integer("HOSTKEEP_HELPDESK_SLA_WARNING_MINUTES", 30, minimum=1)
# django-anymail's inbound webhooks, /helpdesk/anymail/<mailgun|postmark|sparkpost>/inbound/: the
# service calls them with HTTP basic auth "user:password" (the webhook secret; without it they
# answer 404); Mailgun also signs with its webhook signing key.
ANYMAIL = {
    name: value
    for name, value in (
        ("WEBHOOK_SECRET", env.text("HOSTKEEP_ANYMAIL_WEBHOOK_SECRET")),
        ("MAILGUN_WEBHOOK_SIGNING_KEY", env.text("HOSTKEEP_MAILGUN_WEBHOOK_SIGNING_KEY")),
    )
    if value
}

# --- payments ---
# Gateway plug-ins to load; each module registers its gateway in hostkeep.payments.interface.gateways.
PAYMENT_GATEWAY_MODULES = [
    "hostkeep.integrations.stripe.gateway",
    "hostkeep.integrations.paypal.gateway",
    "hostkeep.integrations.payfast.gateway",
    "hostkeep.integrations.yookassa.gateway",
    "hostkeep.integrations.bank.gateway",
]

# --- provisioning ---
# Module packages loaded into the provisioning registry (each registers itself).
PROVISIONING_MODULES = [
    "hostkeep.integrations.pterodactyl.module",
    "hostkeep.integrations.proxmox.module",
    "hostkeep.integrations.manual.module",
]
PROVISIONING_MAX_ATTEMPTS = env.integer("HOSTKEEP_PROVISIONING_MAX_ATTEMPTS", 6, minimum=1)
PROVISIONING_RETRY_BASE_SECONDS = 10.0  # back-off: 10 s, 20 s, 40 s ... (with jitter), capped
PROVISIONING_RETRY_CAP_SECONDS = 900.0
PROVISIONING_POLL_SECONDS = 5.0  # how often an installation in progress is checked
PROVISIONING_INSTALL_TIMEOUT_SECONDS = 1800.0

# --- documents ---
# Issued PDFs and the images they were drawn with are kept in the private storage
# (MEDIA_ROOT, under HOSTKEEP_DATA_DIR) in this folder, and served only through
# permission-checked views. Several web/worker machines need that storage shared.
DOCUMENTS_STORAGE_FOLDER = "documents"
LOGGING["loggers"]["weasyprint"] = {"level": "WARNING"}  # it logs every rendering step at INFO

# --- notifications ---
# E-mail through an e-mail service instead of EMAIL_URL: HOSTKEEP_ANYMAIL_BACKEND names a
# django-anymail backend (mailgun, postmark, sendgrid, amazon_ses, brevo, ...) and
# HOSTKEEP_ANYMAIL_OPTIONS its settings as JSON, e.g. {"api_key": "...", "sender_domain": "..."}.
NOTIFICATIONS_ANYMAIL_BACKEND = env.text("HOSTKEEP_ANYMAIL_BACKEND") or ""
if NOTIFICATIONS_ANYMAIL_BACKEND:
    import json as _json
    import re as _re

    if not _re.fullmatch(r"[a-z][a-z0-9_]*", NOTIFICATIONS_ANYMAIL_BACKEND):
        raise env.EnvironmentSettingError("HOSTKEEP_ANYMAIL_BACKEND", "expected a backend name such as mailgun")
    try:
        _anymail_options = _json.loads(env.text("HOSTKEEP_ANYMAIL_OPTIONS") or "{}")
    except ValueError:
        raise env.EnvironmentSettingError("HOSTKEEP_ANYMAIL_OPTIONS", "expected a JSON object") from None
    MAILERS = {
        **MAILERS,
        "default": {
            "BACKEND": f"anymail.backends.{NOTIFICATIONS_ANYMAIL_BACKEND}.EmailBackend",
            "OPTIONS": _anymail_options,
        },
    }
