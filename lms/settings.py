"""Spreekkamer settings: one module, read from the environment.

Every value has a working default for a laptop (SQLite, Celery eager, DEBUG on),
and a bad value raises ImproperlyConfigured at start-up instead of failing later.
Production sets at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL,
CELERY_BROKER_URL and SITE_URL.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-3f9a8c1e7b"  # noqa: S105
# Secrets kept in the database (LRS passwords) are encrypted with this (lms/encryption.py).
# Without it the key is derived from SECRET_KEY: set it in production, so that SECRET_KEY can
# change on its own. Several keys, comma-separated: the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEY = (
    os.environ.get("FIELD_ENCRYPTION_KEY", "")
    or base64.urlsafe_b64encode(
        hashlib.sha256(b"spreekkamer field encryption\0" + SECRET_KEY.encode()).digest()
    ).decode()
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, got {SITE_URL!r}")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "polymorphic",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prose_editor",  # the rich-text editor's static files (ProseMirror, vendored there)
    "accounts",
    "courses",
    "records",
    "scorm_export",
    "conversations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lms.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.middleware.SecurityHeadersMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; development uses runserver's finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# A shared practice PC: a session without a request of the user's own ends after this long
# (0 switches it off); the page warns a minute before.
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
if 0 < SESSION_IDLE_TIMEOUT_SECONDS < 120:
    raise ImproperlyConfigured("SESSION_IDLE_TIMEOUT_SECONDS must be 0 or at least 120")

# Time on task. The lesson page sends a heartbeat this often while it is visible; the server
# credits at most this much per heartbeat. An accredited course completes only after time on
# task of at least COMPLETION_MIN_TIME_PERCENT of its stated study load.
PLAYER_HEARTBEAT_SECONDS = env_int("PLAYER_HEARTBEAT_SECONDS", 30)
if not 1 <= PLAYER_HEARTBEAT_SECONDS <= 60:
    raise ImproperlyConfigured("PLAYER_HEARTBEAT_SECONDS must be 1 to 60")
COMPLETION_MIN_TIME_PERCENT = env_int("COMPLETION_MIN_TIME_PERCENT", 50)
if not 0 <= COMPLETION_MIN_TIME_PERCENT <= 100:
    raise ImproperlyConfigured("COMPLETION_MIN_TIME_PERCENT must be 0 to 100")

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.idle_timeout",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a Celery-eager task writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The engine opens a server-side cursor (`.iterator()`) only to read every row in chunks
    # (exports of 1M completions). PostgreSQL plans a cursor for its first 10% of rows by
    # default: nested loops with index lookups per row instead of hash joins, 3x the database
    # CPU of the 1M-row completion export. Sent at connection start-up: no query per connection.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c cursor_tuple_fraction=1".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# One backend: Django's ModelBackend behind the login attempt limit (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginLimitBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:dashboard"
LOGOUT_REDIRECT_URL = "courses:catalog"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: authors upload media; the limit is checked again per field.
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The size cap comes first, so an oversized file never fills memory or the temporary disk.
FILE_UPLOAD_HANDLERS = [
    "lms.lib.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Security. Cookies are secure whenever the site is served over https.
_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login rate limiting: failed attempts per e-mail address and per client address.
LOGIN_RATE_LIMIT_ATTEMPTS = env_int("LOGIN_RATE_LIMIT_ATTEMPTS", 5)
LOGIN_RATE_LIMIT_WINDOW_SECONDS = env_int("LOGIN_RATE_LIMIT_WINDOW_SECONDS", 900)
# A practice shares one address among several colleagues, so the per-address limit is looser.
LOGIN_RATE_LIMIT_IP_ATTEMPTS = env_int(
    "LOGIN_RATE_LIMIT_IP_ATTEMPTS", 4 * LOGIN_RATE_LIMIT_ATTEMPTS
)
# Two-factor authentication (TOTP, django-otp): required for staff, superusers and accreditation
# managers (they see names and BIG numbers), optional for learners. Off only in the test suite,
# whose thousands of staff logins are not what it measures (tests/accounts/test_two_factor.py
# switches it on).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = "Spreekkamer"
# django-axes keeps the login failure counters for both login pages (the site's and the admin's);
# accounts.backends counts each attempt before the password hash and decides the lock itself.
AXES_HANDLER = "accounts.backends.LoginAttemptHandler"
AXES_FAILURE_LIMIT = "accounts.backends.login_failure_limit"
AXES_COOLOFF_TIME = "accounts.backends.login_cool_off"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.backends.login_address"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No log of every login and every failure with address and browser: only the counters above,
# deleted when their window has passed.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# The login forms show the lock in Dutch themselves (accounts/forms.py), so axes' middleware,
# which would replace the page with its own, is not installed.
# W006 asks for the client address among axes' lockout parameters: the backend limits per client
# address itself, with its own looser limit, and a successful login must not reset that counter.
SILENCED_SYSTEM_CHECKS = ["axes.W002", "axes.W006"]
# Sign-up attempts and password-reset requests per client address, each counted separately
# (every POST counts: neither form may be used to test many addresses quickly or to send mail
# in bulk).
SIGNUP_RATE_LIMIT_ATTEMPTS = env_int("SIGNUP_RATE_LIMIT_ATTEMPTS", 20)
SIGNUP_RATE_LIMIT_WINDOW_SECONDS = env_int("SIGNUP_RATE_LIMIT_WINDOW_SECONDS", 3600)
# Reverse proxies in front of gunicorn appending to X-Forwarded-For (0: REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
_limits = (
    LOGIN_RATE_LIMIT_ATTEMPTS,
    LOGIN_RATE_LIMIT_WINDOW_SECONDS,
    LOGIN_RATE_LIMIT_IP_ATTEMPTS,
    SIGNUP_RATE_LIMIT_ATTEMPTS,
    SIGNUP_RATE_LIMIT_WINDOW_SECONDS,
)
if min(_limits) < 1:
    raise ImproperlyConfigured("LOGIN_RATE_LIMIT_* and SIGNUP_RATE_LIMIT_* must be at least 1")

# Tiny baseline views for `make bench` (bench/run.py), mounted only when this is on.
BENCH_VIEWS = env_bool("BENCH_VIEWS", False)

CACHES = {
    "default": (
        {
            "BACKEND": "lms.lib.rediscache.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "lms_cache"}
    )
}
# With a Redis cache, sessions are read from it (written through to the database, so a cache
# flush logs nobody out); without one, a cached session would only be a second database read.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if os.environ.get("CACHE_URL")
    else "django.contrib.sessions.backends.db"
)

# E-mail (password reset links). With EMAIL_HOST set, mail goes out over SMTP; without it, the
# laptop default prints each message to the console (`make run` shows the reset link there).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Spreekkamer <noreply@localhost>")

# PE-online (GAIA and other quality registers): the provider account written into attendance
# XML, and the web service it is sent to. Without PE_ONLINE_URL and PE_ONLINE_USER_KEY staff
# download each submission and upload PE-online's reply. The key is only ever written into the
# request, never into a downloadable file.
PE_ONLINE_USER_ID = os.environ.get("PE_ONLINE_USER_ID", "")
PE_ONLINE_USER_KEY = os.environ.get("PE_ONLINE_USER_KEY", "")
PE_ONLINE_URL = os.environ.get("PE_ONLINE_URL", "")
if PE_ONLINE_URL and not PE_ONLINE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("PE_ONLINE_URL must be an http(s) URL")
PE_ONLINE_TIMEOUT_SECONDS = env_int("PE_ONLINE_TIMEOUT_SECONDS", 30)
# A staff list page of an accreditation's learners (records.registers.verdict_page) walks the
# completions newest first until its page is full: for a state almost no completion is in, that is
# all of them (about 20 s at 1M). It gives up after this long and says so, well inside a worker's
# timeout.
STAFF_LIST_TIMEOUT_MS = env_int("STAFF_LIST_TIMEOUT_MS", 5000)
PE_ONLINE_MAX_ATTEMPTS = env_int("PE_ONLINE_MAX_ATTEMPTS", 5)
PE_ONLINE_RETRY_BASE_SECONDS = env_int("PE_ONLINE_RETRY_BASE_SECONDS", 60)
PE_ONLINE_BATCH_SIZE = env_int("PE_ONLINE_BATCH_SIZE", 100)
if not 1 <= PE_ONLINE_BATCH_SIZE <= 100:
    raise ImproperlyConfigured("PE_ONLINE_BATCH_SIZE must be 1 to 100 (PE-online's maximum)")

# Celery: a broker in production; without one, tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# An eager task still borrows a producer: the in-memory transport (nothing goes through it)
# keeps kombu from warning "No hostname was supplied" on every task of `make run`.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# xAPI and accreditation records (records). Statements go through a durable outbox;
# the beat schedule below sweeps whatever an on-commit delivery task did not get through.
XAPI_ACTIVITY_BASE = os.environ.get("XAPI_ACTIVITY_BASE", SITE_URL + "/xapi/")
if not XAPI_ACTIVITY_BASE.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"XAPI_ACTIVITY_BASE must be an http(s) IRI, got {XAPI_ACTIVITY_BASE!r}"
    )
if not XAPI_ACTIVITY_BASE.endswith("/"):
    XAPI_ACTIVITY_BASE += "/"
XAPI_PLATFORM = os.environ.get("XAPI_PLATFORM", "Spreekkamer")
# Actor accounts are an HMAC of the user id: opaque, and stable as long as this key is.
# Set it explicitly in production: changing SECRET_KEY must not turn learners into strangers.
XAPI_ACTOR_KEY = os.environ.get("XAPI_ACTOR_KEY", "") or SECRET_KEY
XAPI_BIG_HOME_PAGE = os.environ.get("XAPI_BIG_HOME_PAGE", "https://www.bigregister.nl/")


def env_lrs_list() -> list[dict]:
    """LRSs from the environment: LRS_ENDPOINT/_USERNAME/_PASSWORD and/or LRS_ENDPOINTS (JSON).

    LRS_ENDPOINTS is a list of
    {"name": ..., "endpoint": ..., "username": ..., "password": ..., "body": <body slug>}.
    """
    import json

    stores = []
    if os.environ.get("LRS_ENDPOINT"):
        stores.append(
            {
                "name": "default",
                "endpoint": os.environ["LRS_ENDPOINT"],
                "username": os.environ.get("LRS_USERNAME", ""),
                "password": os.environ.get("LRS_PASSWORD", ""),
                "body": "",
            }
        )
    raw = os.environ.get("LRS_ENDPOINTS", "")
    if raw:
        try:
            items = json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"LRS_ENDPOINTS must be a JSON list: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ImproperlyConfigured("LRS_ENDPOINTS must be a JSON list of objects")
        for item in items:
            stores.append(
                {
                    "name": str(item.get("name", "")),
                    "endpoint": str(item.get("endpoint", "")),
                    "username": str(item.get("username", "")),
                    "password": str(item.get("password", "")),
                    "body": str(item.get("body", "")),
                }
            )
    names = [s["name"] for s in stores]
    for store in stores:
        if not store["name"]:
            raise ImproperlyConfigured("every LRS in LRS_ENDPOINTS needs a name")
        if not store["endpoint"].startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f"LRS endpoint {store['name']!r} must start with http:// or https://, "
                f"got {store['endpoint']!r}"
            )
        if names.count(store["name"]) > 1:
            raise ImproperlyConfigured(f"LRS name {store['name']!r} is used twice")
    return stores


LRS_STORES = env_lrs_list()
LRS_TIMEOUT_SECONDS = env_int("LRS_TIMEOUT_SECONDS", 10)
LRS_BATCH_SIZE = env_int("LRS_BATCH_SIZE", 50)
LRS_MAX_ATTEMPTS = env_int("LRS_MAX_ATTEMPTS", 12)
LRS_RETRY_BASE_SECONDS = env_int("LRS_RETRY_BASE_SECONDS", 30)
XAPI_SWEEP_SECONDS = env_int("XAPI_SWEEP_SECONDS", 60)
for _name, _value in [
    ("LRS_TIMEOUT_SECONDS", LRS_TIMEOUT_SECONDS),
    ("LRS_BATCH_SIZE", LRS_BATCH_SIZE),
    ("LRS_MAX_ATTEMPTS", LRS_MAX_ATTEMPTS),
    ("LRS_RETRY_BASE_SECONDS", LRS_RETRY_BASE_SECONDS),
    ("XAPI_SWEEP_SECONDS", XAPI_SWEEP_SECONDS),
]:
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1, got {_value}")

# A learner who made no progress in an unfinished course for this many days gets one reminder
# (courses.send_course_reminders, hourly by beat or `manage.py send_course_reminders`).
COURSE_REMINDER_DAYS = env_int("COURSE_REMINDER_DAYS", 14)
if COURSE_REMINDER_DAYS < 1:
    raise ImproperlyConfigured("COURSE_REMINDER_DAYS must be at least 1")

CELERY_BEAT_SCHEDULE: dict = {
    "sweep-xapi-statements": {
        "task": "records.sweep_statements",
        "schedule": float(XAPI_SWEEP_SECONDS),
    },
    "send-course-reminders": {
        "task": "courses.send_course_reminders",
        "schedule": 3600.0,
    },
    # Publishing queues its own sweep; this one catches a sweep that was lost (broker down).
    "move-learners-left-behind": {
        "task": "courses.move_left_behind",
        "schedule": 3600.0,
    },
    "send-live-session-reminders": {
        "task": "courses.send_edition_reminders",
        "schedule": 900.0,
    },
    "delete-expired-group-sessions": {
        "task": "conversations.delete_expired_sessions",
        "schedule": 3600.0,
    },
    # The staff overview's stored verdicts, compared with a live decision and rebuilt if wrong
    # (records.registers.check_verdicts; also `manage.py check_verdicts`).
    "check-stored-verdicts": {
        "task": "records.check_verdicts",
        "schedule": 3600.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Tasks run in-process (no broker): a "Task … succeeded" line per task is noise there.
    "loggers": {"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {},
}
