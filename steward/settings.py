"""The only settings file. Every value comes from an environment variable (see README)."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_secret(name: str) -> str | None:
    """Read NAME, or the file named by NAME_FILE (for container secrets)."""
    if value := os.environ.get(name):
        return value
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return None


STEWARD_HOME = Path(env_str("STEWARD_HOME", "./var")).resolve()
STEWARD_HOME.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    # A local run without STEWARD_SECRET_KEY keeps one random key in STEWARD_HOME,
    # so sessions survive restarts without a well-known default key.
    path = STEWARD_HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_secret("STEWARD_SECRET_KEY") or _local_secret_key()
DEBUG = env_bool("STEWARD_DEBUG", False)

STEWARD_BASE_URL = env_str("STEWARD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Who runs this installation: the publisher of the catalogue's DCAT export.
STEWARD_OPERATOR_NAME = env_str("STEWARD_OPERATOR_NAME", "Steward")
_base = urlsplit(STEWARD_BASE_URL)
_https = _base.scheme == "https"

ALLOWED_HOSTS = [
    host.strip()
    for host in env_str("STEWARD_ALLOWED_HOSTS", f"{_base.hostname},localhost,127.0.0.1").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    # Before allauth, so that the templates in accounts/templates/ override allauth's.
    "steward.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "steward",
    "steward.audit",
    "steward.organizations",
    "steward.licensing",
    "steward.storage",
    "steward.catalog",
    "steward.moderation",
    "steward.access",
    "steward.payments",
    "steward.search",
    "steward.exports",
    "steward.operations",
    "django_tasks",
    "django_tasks_db",
    # So that /api/docs serves Swagger UI from our static files, without inline script, as the
    # Content-Security-Policy requires (without it django-ninja loads it from a CDN).
    "ninja",
]

MIDDLEWARE = [
    # First: the request id is on every log line of the request and on every response.
    "steward.audit.context.RequestContextMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response, static files included.
    "steward.operations.middleware.SecurityHeadersMiddleware",
    # /healthz and /readyz answer before the host check and the HTTPS redirect, which
    # probes addressing the container directly would fail, and are not counted as traffic.
    "steward.operations.middleware.HealthProbeMiddleware",
    "steward.operations.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that could look up the address or its parameters in the database.
    "steward.lib.http.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, so that every post of a limited form counts.
    "steward.operations.ratelimit.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "steward.accounts.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers locked-out log-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "steward.urls"
WSGI_APPLICATION = "steward.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # It holds the database password: DATABASE_URL_FILE may name a file holding it instead.
        env_secret("DATABASE_URL") or f"sqlite:///{STEWARD_HOME / 'steward.sqlite3'}",
        conn_max_age=env_int("STEWARD_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside one writer; IMMEDIATE avoids lock upgrades
        # that fail under concurrent writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out user is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each language is named in itself, so that a reader finds their own in the switcher.
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("sw", "Kiswahili"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = STEWARD_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Files are served from the app folders directly, so a fresh install needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

STEWARD_FILES_DIR = STEWARD_HOME / "files"
# S3-compatible storage: used instead of STEWARD_FILES_DIR when a bucket is named.
STEWARD_S3_BUCKET = env_str("STEWARD_S3_BUCKET", "")
STEWARD_S3_ENDPOINT = env_str("STEWARD_S3_ENDPOINT", "")
STEWARD_S3_REGION = env_str("STEWARD_S3_REGION", "us-east-1")
STEWARD_S3_ACCESS_KEY_ID = env_secret("STEWARD_S3_ACCESS_KEY_ID") or ""
STEWARD_S3_SECRET_ACCESS_KEY = env_secret("STEWARD_S3_SECRET_ACCESS_KEY") or ""
# While `steward migrate-storage` moves the files: "local" or "s3", the store they are moving
# from. Steward then stores new files in the other one and reads from this one what the
# other does not hold yet (storage/objectstore.py FallbackStore).
STEWARD_STORAGE_MIGRATING_FROM = env_str("STEWARD_STORAGE_MIGRATING_FROM", "").strip().lower()

# Email. Without STEWARD_EMAIL_URL messages are written to the log (console backend).
_email_url = env_secret("STEWARD_EMAIL_URL") or ""
if _email_url:
    _email = urlsplit(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 587
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = env_secret("STEWARD_EMAIL_PASSWORD") or _email.password or ""
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("STEWARD_FROM_EMAIL", f"Steward <noreply@{_base.hostname}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Accounts (django-allauth): log in by username or email; email must be verified.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _base.scheme
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Steward] "
# Per-account lock-out is django-axes's job (below); allauth only slows one address.
# Log-in and sign-up posts are limited by Steward's own limits (STEWARD_RATE_LIMIT_*), which
# all processes share; allauth's would be counted in each process's memory.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip", "login": None, "signup": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Steward"
ACCOUNT_ADAPTER = "steward.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "steward.accounts.forms.SignupForm"}

# Repeated failed log-ins: after AXES_FAILURE_LIMIT failures for one username from one
# address, log-in is refused for the cool-off period.
AXES_FAILURE_LIMIT = env_int("STEWARD_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("STEWARD_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with username= or email=, not login=: count failures per account.
AXES_USERNAME_CALLABLE = "steward.accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False
# Redis (optional): with it, the cache and the rate-limit counters live there, so that web
# processes on several machines share them; without it, rate limits are counted in the
# database and the cache is each process's memory.
STEWARD_REDIS_URL = env_secret("STEWARD_REDIS_URL") or ""
# Keys are prefixed with this, so that several sites can share one Redis.
STEWARD_REDIS_PREFIX = env_str("STEWARD_REDIS_PREFIX", "steward")
if STEWARD_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": STEWARD_REDIS_URL,
            "KEY_PREFIX": STEWARD_REDIS_PREFIX,
        }
    }

# Rate limits (steward.operations.ratelimit): requests per period, e.g. "300/minute" or
# "5/10seconds"; "0" or "off" for none. API calls count per API key (per address without
# one); log-in, sign-up and access-request form posts per address. Creating an access
# request through the API counts against both the API and the access-request limit.
STEWARD_RATE_LIMIT_API = env_str("STEWARD_RATE_LIMIT_API", "300/minute")
STEWARD_RATE_LIMIT_LOGIN = env_str("STEWARD_RATE_LIMIT_LOGIN", "20/minute")
STEWARD_RATE_LIMIT_SIGNUP = env_str("STEWARD_RATE_LIMIT_SIGNUP", "20/hour")
STEWARD_RATE_LIMIT_ACCESS_REQUEST = env_str("STEWARD_RATE_LIMIT_ACCESS_REQUEST", "30/hour")

# Background work (file checks, large-upload verification) runs in `steward worker`,
# which takes tasks from the database; no broker is needed.
# The backend is django-tasks-db's, with tasks that carry the enqueuing request's id into
# their log lines (steward/operations/taskqueue.py).
TASKS = {"default": {"BACKEND": "steward.operations.taskqueue.DatabaseBackend"}}
# A running task whose worker has not been heard from for this many seconds (killed, machine
# lost) is queued again by another worker (steward/management/commands/worker.py).
STEWARD_TASK_WORKER_TIMEOUT = env_int("STEWARD_TASK_WORKER_TIMEOUT", 60)

# Downloads: how long a signed link lives, and how Steward hands out local files:
# "direct" streams them itself (zero-copy through sendfile); "x-accel" leaves the bytes to
# an nginx in front, which serves STEWARD_FILES_DIR at the internal location /_files/.
STEWARD_DOWNLOAD_URL_SECONDS = env_int("STEWARD_DOWNLOAD_URL_SECONDS", 3600)
STEWARD_DOWNLOAD_MODE = env_str("STEWARD_DOWNLOAD_MODE", "direct")
STEWARD_UPLOAD_PART_URL_SECONDS = env_int("STEWARD_UPLOAD_PART_URL_SECONDS", 3600)
# Uploads not completed within this many days are abandoned (their URLs answer 410).
STEWARD_UPLOAD_EXPIRY_DAYS = env_int("STEWARD_UPLOAD_EXPIRY_DAYS", 7)
# Completion hashes files up to this size at once; larger ones are verified by the worker.
STEWARD_INLINE_VERIFY_BYTES = env_int("STEWARD_INLINE_VERIFY_BYTES", 256 * 1024 * 1024)

STEWARD_PLATFORM_FEE_RATE = env_str("STEWARD_PLATFORM_FEE_RATE", "0.05")
# How buyers pay: "manual" (invoice details; staff mark orders paid) or "stripe".
STEWARD_PAYMENT_PROVIDER = env_str("STEWARD_PAYMENT_PROVIDER", "manual")
# Shown to buyers of the manual provider: where to send the money.
STEWARD_INVOICE_DETAILS = env_str(
    "STEWARD_INVOICE_DETAILS", "Pay by bank transfer; the platform's staff will send the details."
)
STEWARD_STRIPE_SECRET_KEY = env_secret("STEWARD_STRIPE_SECRET_KEY") or ""
STEWARD_STRIPE_PUBLISHABLE_KEY = env_str("STEWARD_STRIPE_PUBLISHABLE_KEY", "")
STEWARD_STRIPE_WEBHOOK_SECRET = env_secret("STEWARD_STRIPE_WEBHOOK_SECRET") or ""
# Another Stripe-protocol server (e.g. localstripe in tests); empty: Stripe itself.
STEWARD_STRIPE_API_BASE = env_str("STEWARD_STRIPE_API_BASE", "")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env_bool("STEWARD_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("STEWARD_HSTS_SECONDS", 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = False
# Behind a reverse proxy: trust its X-Forwarded-Proto/-Host, and take the client address from
# the last X-Forwarded-For entry (steward.lib.geoip.client_ip).
STEWARD_BEHIND_PROXY = env_bool("STEWARD_BEHIND_PROXY", False)
if STEWARD_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# A MaxMind GeoIP2/GeoLite2 Country (or City) .mmdb file; empty: request countries unchecked.
STEWARD_GEOIP_DATABASE = env_str("STEWARD_GEOIP_DATABASE", "")

# The discovery assistant. "auto" reranks by meaning when the semantic extra is installed
# (pip install steward[semantic]); "off" never does.
STEWARD_ASSISTANT_SEMANTIC = env_str("STEWARD_ASSISTANT_SEMANTIC", "auto")
# An optional language model that phrases the assistant's answers (an OpenAI-compatible
# chat endpoint: llama.cpp server, vLLM, Ollama). Off unless STEWARD_LLM_URL is set.
STEWARD_LLM_URL = env_str("STEWARD_LLM_URL", "")
STEWARD_LLM_MODEL = env_str("STEWARD_LLM_MODEL", "")
STEWARD_LLM_API_KEY = env_secret("STEWARD_LLM_API_KEY") or ""
STEWARD_LLM_TIMEOUT = env_int("STEWARD_LLM_TIMEOUT", 10)

# Logs go to stderr: "text" for a person at a terminal, "json" (one object per line, with the
# request id) for a log collector. Each request writes one line to steward.access at INFO.
STEWARD_LOG_FORMAT = env_str("STEWARD_LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "steward.operations.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "steward.operations.logs.TextFormatter"},
        "json": {"()": "steward.operations.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if STEWARD_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("STEWARD_LOG_LEVEL", "WARNING")},
    "loggers": {"steward.access": {"level": "INFO"}},
}
# Prometheus metrics at /metrics for whoever sends this token (Authorization: Bearer);
# without a token /metrics answers 404.
STEWARD_METRICS_TOKEN = env_secret("STEWARD_METRICS_TOKEN") or ""
# HSTS preload is a commitment that cannot be undone quickly; operators opt in themselves.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# File inspection: an uploaded archive is refused when it unpacks to more than this many
# bytes, holds more entries, or expands more than this ratio (a decompression bomb).
STEWARD_INSPECTION_MAX_UNPACKED_BYTES = env_int(
    "STEWARD_INSPECTION_MAX_UNPACKED_BYTES", 200 * 1024**3
)
STEWARD_INSPECTION_MAX_ENTRIES = env_int("STEWARD_INSPECTION_MAX_ENTRIES", 5_000_000)
STEWARD_INSPECTION_MAX_RATIO = env_int("STEWARD_INSPECTION_MAX_RATIO", 200)
