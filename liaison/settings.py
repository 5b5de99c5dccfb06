"""One settings module; every knob comes from the environment (LIAISON_*, DATABASE_URL).

With nothing set, Liaison runs in demo mode on SQLite under ./var/, with a secret key
generated once into var/secret_key. Production sets LIAISON_SECRET_KEY,
LIAISON_ALLOWED_HOSTS, DATABASE_URL and LIAISON_DEBUG=0; `liaison check --deploy`
then passes (see README, "Production").
"""

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env(name, default=""):
    """The variable's value; unset and empty both mean the default."""
    return os.environ.get(name) or default


def envbool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("LIAISON_DATA_DIR", str(BASE_DIR.parent / "var")))

DEBUG = envbool("LIAISON_DEBUG", False)


def _secret_key():
    """The secret key from the environment, else one generated once into DATA_DIR.

    A production deployment sets LIAISON_SECRET_KEY; the demo and the tests get a
    random per-machine key instead of one committed to the repository.
    """
    if key := env("LIAISON_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


SECRET_KEY = _secret_key()
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("LIAISON_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = envlist("LIAISON_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("LIAISON_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("LIAISON_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# django-ninja's templates and static files (the API docs' Swagger UI is served from them,
# not from a CDN), found without importing the package: as an installed app, `ninja`
# (and pydantic with it) would load in every process, the MTA pipe's included (issue 15).
_NINJA = Path(importlib.util.find_spec("ninja").submodule_search_locations[0])
STATICFILES_DIRS = [_NINJA / "static"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "liaison.core",
    "liaison.org",
    "liaison.notify",
    "liaison.requests",
    "liaison.mail",
    "liaison.network",
    "liaison.agenda",
    "liaison.incidents",
    "liaison.playbook",
    "liaison.insights",
    "liaison.web",
    "liaison.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "liaison.core.times.ViewerTimeZoneMiddleware",  # times and forms in the viewer's zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the answer (liaison.core.throttle)
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_NINJA / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liaison.web.context.site",
                "liaison.notify.context.unread",
            ],
            # {{ value|when }}: every time in the viewer's zone, with the zone named.
            "builtins": ["liaison.core.templatetags.times"],
        },
    },
]

# --- Database: SQLite under DATA_DIR unless DATABASE_URL says otherwise -------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'liaison.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _default_sqlite), conn_max_age=60)}
# PostgreSQL: the hottest statement (creating a request) is prepared once per connection;
# 0 for a pooler that shares server connections between clients (PgBouncer, transaction mode).
LIAISON_DB_PREPARED_STATEMENTS = envbool("LIAISON_DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.Person"
AUTHENTICATION_BACKENDS = ["liaison.core.throttle.ThrottledBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env("LIAISON_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("LIAISON_STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("LIAISON_MEDIA_ROOT", str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env("LIAISON_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("LIAISON_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("LIAISON_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("LIAISON_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("LIAISON_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("LIAISON_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("LIAISON_FROM_EMAIL", "Liaison <liaison@liaison.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
LIAISON_MAIL_DOMAIN = env("LIAISON_MAIL_DOMAIN", "liaison.example")
# Mail in (liaison/mail): the three doors, limits, and how far From is trusted.
LIAISON_SMTPD_HOST = env("LIAISON_SMTPD_HOST", "127.0.0.1")
LIAISON_SMTPD_PORT = envint("LIAISON_SMTPD_PORT", 8025)
LIAISON_IMAP_HOST = env("LIAISON_IMAP_HOST")
LIAISON_IMAP_PORT = envint("LIAISON_IMAP_PORT", 993)
LIAISON_IMAP_SSL = envbool("LIAISON_IMAP_SSL", True)
LIAISON_IMAP_USER = env("LIAISON_IMAP_USER")
LIAISON_IMAP_PASSWORD = env("LIAISON_IMAP_PASSWORD")
LIAISON_IMAP_FOLDER = env("LIAISON_IMAP_FOLDER", "INBOX")
LIAISON_MAIL_MAX_MESSAGE_BYTES = envint("LIAISON_MAIL_MAX_MESSAGE_BYTES", 50 * 1024 * 1024)
LIAISON_MAIL_MAX_ATTACHMENT_BYTES = envint("LIAISON_MAIL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
# Every attachment, whichever door it comes through (liaison/requests/attachments.py).
LIAISON_ATTACHMENT_MAX_BYTES = envint("LIAISON_ATTACHMENT_MAX_BYTES", LIAISON_MAIL_MAX_ATTACHMENT_BYTES)
LIAISON_MAIL_SENDER_RATE = envint("LIAISON_MAIL_SENDER_RATE", 30)  # messages per sender per hour
LIAISON_MAIL_REQUEST_RATE = envint("LIAISON_MAIL_REQUEST_RATE", 20)  # mail comments per request per hour
LIAISON_MAIL_CONFIRM_WINDOW = envint("LIAISON_MAIL_CONFIRM_WINDOW", 600)  # seconds between confirmations
LIAISON_MAIL_TRUSTED_AUTHSERV_ID = env("LIAISON_MAIL_TRUSTED_AUTHSERV_ID")
LIAISON_DIGEST_HOUR = envint("LIAISON_DIGEST_HOUR", 7)  # UTC hour from which the daily digest goes out
# At most this many mails of one kind per person per day go out at once; the rest wait for
# the daily digest (they are in the app at once either way). 0 = no cap.
LIAISON_NOTIFY_DAILY_CAP = envint("LIAISON_NOTIFY_DAILY_CAP", 3)
# Seconds between two asks of the header's unread count (HTMX polling).
LIAISON_NOTIFY_POLL_SECONDS = envint("LIAISON_NOTIFY_POLL_SECONDS", 30)

# --- Background work ---------------------------------------------------------------
# No task queue: work that leaves the HTTP request (mail, chat webhooks, rollups, reminders)
# is due state in the database, sent by the periodic sweeps of `liaison worker`
# (liaison.core.sweeps; docs/architecture.md, "Background work").
# How often (seconds) `liaison worker` wakes to run the sweeps that are due (each sweep
# also has its own minimum interval: liaison.core.sweeps).
LIAISON_SWEEP_INTERVAL = envint("LIAISON_SWEEP_INTERVAL", 5)
# How often (seconds) each process asks whether the directory changed in another process,
# to empty its caches of tokens, services and teams (liaison.org.cache).
LIAISON_DIRECTORY_CHECK_SECONDS = envint("LIAISON_DIRECTORY_CHECK_SECONDS", 1)

# --- Throttling of guesses (django-axes; see liaison/core/throttle.py) ----------------------
LIAISON_SIGNIN_FAILURE_LIMIT = envint("LIAISON_SIGNIN_FAILURE_LIMIT", 5)
LIAISON_SIGNIN_LOCK_MINUTES = envint("LIAISON_SIGNIN_LOCK_MINUTES", 1)
LIAISON_API_RATE = env("LIAISON_API_RATE", "1200/m")  # calls per token
AXES_FAILURE_LIMIT = LIAISON_SIGNIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account, or an address, whichever fills first
AXES_COOLOFF_TIME = "liaison.core.throttle.cool_off"
AXES_LOCKOUT_CALLABLE = "liaison.core.throttle.lockout_response"
AXES_USERNAME_CALLABLE = "liaison.core.throttle.username_of"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "password", "token"]
# Behind a reverse proxy the client's address is the last hop the proxy adds.
AXES_IPWARE_PROXY_COUNT = 1 if envbool("LIAISON_BEHIND_PROXY") else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if envbool("LIAISON_BEHIND_PROXY") else ["REMOTE_ADDR"])

# --- Product settings --------------------------------------------------------------
LIAISON_ORG_NAME = env("LIAISON_ORG_NAME", "Liaison")
LIAISON_PAGE_SIZE = envint("LIAISON_PAGE_SIZE", 25)
LIAISON_MIN_GROUP_SIZE = envint("LIAISON_MIN_GROUP_SIZE", 10)
LIAISON_MIN_CHANGE_NOTICE_DAYS = envint("LIAISON_MIN_CHANGE_NOTICE_DAYS", 10)  # business days

# --- Security: strict unless DEBUG; HTTPS-only cookies unless LIAISON_HTTPS=0 -----------
_https = envbool("LIAISON_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and envbool("LIAISON_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("LIAISON_HSTS_SECONDS", 31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("LIAISON_BEHIND_PROXY") else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only.
# No inline script, style attribute or event handler is allowed; htmx is told not to inject its
# indicator <style> (meta htmx-config in base.html), charts read their data from JSON blocks.
# Data URIs are allowed for images (Swagger UI's icons, SVG in CSS). Browsers report any
# violation on the console; the browser tests fail on one (tests/browser/fixtures.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LIAISON_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
