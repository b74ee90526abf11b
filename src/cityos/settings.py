"""Django settings for CityOS, read from the environment.

Defaults give a laptop demo (SQLite in WAL mode under ./var, in-process jobs);
production sets DATABASE_URL, CITYOS_CACHE_URL, CITYOS_SMTP_URL and friends
(see docs/deploy.md for the full list).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

import dj_database_url
import structlog
from django.utils.translation import gettext_lazy as _

from cityos.modules import domain_apps


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env("CITYOS_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
TESTING = env_bool("CITYOS_TESTING")


def _secret_key() -> str:
    """The key comes from the environment; a laptop keeps a generated one under ./var."""
    configured = env("CITYOS_SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CITYOS_DEBUG")
ALLOWED_HOSTS = [h for h in env("CITYOS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CITYOS_CSRF_TRUSTED_ORIGINS").split(",") if o]
CITYOS_BASE_URL = env("CITYOS_BASE_URL", "http://127.0.0.1:8000")
# Open311 jurisdiction ids this endpoint answers to (comma-separated; the base URL's host always):
# a client that names another city is refused rather than served this one.
CITYOS_OPEN311_JURISDICTIONS = env("CITYOS_OPEN311_JURISDICTIONS", "")
# The city's reverse proxies (CIDRs, comma-separated; none by default): X-Forwarded-For is read
# only from them, its rightmost address that is not one of them being the client's
# (cityos.core.proxies). Checked here, so a typo stops the start rather than every request.
CITYOS_TRUSTED_PROXIES = [
    str(ipaddress.ip_network(cidr.strip(), strict=False))
    for cidr in env("CITYOS_TRUSTED_PROXIES").split(",")
    if cidr.strip()
]
# Deprecated for CITYOS_TRUSTED_PROXIES: trusts whatever peer sent the request, one hop.
CITYOS_TRUST_X_FORWARDED_FOR = env_bool("CITYOS_TRUST_X_FORWARDED_FOR")
# Phone numbers typed without a country code are read as this region's (ISO 3166 code).
CITYOS_PHONE_REGION = env("CITYOS_PHONE_REGION", "US")
# The city's help line and SMS number, shown to residents without a smartphone.
CITYOS_HELP_PHONE = env("CITYOS_HELP_PHONE", "+1 212 555 0100")
CITYOS_HELP_SMS = env("CITYOS_HELP_SMS", "+1 212 555 0123")

INSTALLED_APPS = [
    "cityos.core.web.admin_config.CityAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "corsheaders",
    "django_prometheus",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    # core: the platform every domain app stands on
    "cityos.core.web",
    "cityos.core.accounts",
    "cityos.core.audit",
    "cityos.core.geo",
    "cityos.core.notifications",
    "cityos.core.api",
    # Domain apps: every package under cityos/ with an apps.py (cityos.modules), less
    # CITYOS_DISABLED_APPS. Each registers what it adds in cityos.core.registry.
    *domain_apps(),
    *[a for a in env("CITYOS_EXTRA_APPS").split(",") if a],
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CORS for the open APIs only (CORS_URLS_REGEX); before anything that may answer a preflight.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cityos.core.audit.middleware.AuditContextMiddleware",
    "cityos.core.web.middleware.StaffSecondFactorMiddleware",
    "cityos.core.web.middleware.RefuseNulInQueryMiddleware",
    "cityos.core.api.middleware.RefuseNulMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "cityos.urls"
WSGI_APPLICATION = "cityos.wsgi.application"
ASGI_APPLICATION = "cityos.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cityos.core.web.context_processors.cityos",
            ],
        },
    }
]

# --- Database: SQLite in WAL mode by default, PostgreSQL via DATABASE_URL -----------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cityos.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE avoids upgrade deadlocks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not memory, so the worker process in the job tests shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, throttles): Redis when configured -------------------------------
CACHE_URL = env("CITYOS_CACHE_URL")
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Jobs: Django's task framework (django-tasks backport) -------------------------------
TASK_BACKEND = env("CITYOS_TASK_BACKEND", "django_tasks_db.DatabaseBackend")
# An empty QUEUES list accepts any queue name, so a module can add its own queue without a settings change.
TASKS = {"default": {"BACKEND": TASK_BACKEND, "QUEUES": []}}

# --- People and sign-in ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cityos.core.accounts.backends.EmailOrPhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("CITYOS_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
OTP_TOTP_ISSUER = env("CITYOS_CITY_NAME", "CityOS")
# Repeated failed sign-ins: lock the (account, address) pair for a cool-off period.
AXES_FAILURE_LIMIT = int(env("CITYOS_SIGNIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("CITYOS_SIGNIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cityos.core.accounts.views.locked_out"
AXES_VERBOSE = False
# Sign-ups (web form and API together) per hour: from one anonymous address, generous because a
# library or a carrier's NAT puts many residents behind one; and with one email address or phone
# number, which catches a script spread over many addresses (cityos.core.ratelimit).
CITYOS_SIGNUP_LIMIT_PER_HOUR = int(env("CITYOS_SIGNUP_LIMIT_PER_HOUR", "60"))
CITYOS_SIGNUP_LIMIT_PER_CONTACT_PER_HOUR = int(env("CITYOS_SIGNUP_LIMIT_PER_CONTACT_PER_HOUR", "3"))
# Codes texted to confirm a resident's new phone number: per client address and for the whole city
# (each text costs the city; docs/rate-limits.md).
CITYOS_PHONE_CODES_PER_ADDRESS_PER_HOUR = int(env("CITYOS_PHONE_CODES_PER_ADDRESS_PER_HOUR", "20"))
CITYOS_PHONE_CODES_PER_HOUR = int(env("CITYOS_PHONE_CODES_PER_HOUR", "1000"))
# Sign-in lockouts (above) see the same client address as audit and the rate limits.
AXES_CLIENT_IP_CALLABLE = "cityos.core.proxies.client_address"

# --- Languages and time ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The project's own date formats per language (cityos/formats/<locale>/formats.py), e.g.
# WEEKDAY_MONTH_DAY_FORMAT: "Fri 27 Nov", "11月27日 星期五", "vie 27 nov".
FORMAT_MODULE_PATH = ["cityos.formats"]
USE_I18N = True
USE_TZ = True
# Storage is UTC; pages show the city's zone.
TIME_ZONE = env("CITYOS_TIME_ZONE", "UTC")

# --- Static files, served by the app itself (no CDN) -------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Files only staff may see (residents' photos): outside MEDIA_ROOT, never served as static files.
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Front-end libraries come from Python packages: htmx from django-htmx (an app), Leaflet from
# django-leaflet, whose Django app needs GeoDAL, so only its static folder is used.
STATICFILES_DIRS = [Path(str(__import__("leaflet").__file__)).parent / "static"]

# --- Maps: base tiles from a configurable server; vectors drawn without one --------------
CITYOS_TILE_URL = env("CITYOS_TILE_URL")
CITYOS_TILE_ATTRIBUTION = env("CITYOS_TILE_ATTRIBUTION", "")

# --- Email: real SMTP from CITYOS_SMTP_URL (smtp://user:pass@host:port, smtps:// for TLS) --
SMTP_URL = env("CITYOS_SMTP_URL")
DEFAULT_FROM_EMAIL = env("CITYOS_FROM_EMAIL", "CityOS <no-reply@cityos.invalid>")
if SMTP_URL:
    _smtp = urlparse(SMTP_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.hostname or "127.0.0.1"
    EMAIL_PORT = _smtp.port or (465 if _smtp.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_smtp.username or "")
    EMAIL_HOST_PASSWORD = unquote(_smtp.password or "")
    EMAIL_USE_SSL = _smtp.scheme == "smtps"
    EMAIL_USE_TLS = "starttls" in (_smtp.query or "")
    EMAIL_TIMEOUT = 10
else:
    # No SMTP server on a laptop: mail is written to ./var/mail so it can be read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# --- Notification transports (see cityos.core.notifications.transports) ------------------
CITYOS_SMS_GATEWAY_URL = env("CITYOS_SMS_GATEWAY_URL")
CITYOS_WHATSAPP_GATEWAY_URL = env("CITYOS_WHATSAPP_GATEWAY_URL")
CITYOS_VOICE_GATEWAY_URL = env("CITYOS_VOICE_GATEWAY_URL")
CITYOS_GATEWAY_TOKEN = env("CITYOS_GATEWAY_TOKEN")
CITYOS_GATEWAY_TIMEOUT_SECONDS = float(env("CITYOS_GATEWAY_TIMEOUT_SECONDS", "10"))
CITYOS_MESSAGE_MAX_ATTEMPTS = int(env("CITYOS_MESSAGE_MAX_ATTEMPTS", "5"))
CITYOS_MESSAGE_RETRY_BASE_SECONDS = float(env("CITYOS_MESSAGE_RETRY_BASE_SECONDS", "30"))
CITYOS_MESSAGE_RETRY_MAX_SECONDS = float(env("CITYOS_MESSAGE_RETRY_MAX_SECONDS", "3600"))
CITYOS_SMS_MAX_PARTS = int(env("CITYOS_SMS_MAX_PARTS", "4"))
# espeak-ng voice per language; a Cantonese-speaking city sets {"zh-hant": "yue"}.
CITYOS_VOICE_VOICES = json.loads(env("CITYOS_VOICE_VOICES", "{}") or "{}")
# Per-channel transport classes, e.g. {"sms": "mycity.transports.CarrierSms"}, to plug in a provider.
CITYOS_NOTIFICATION_TRANSPORTS = json.loads(env("CITYOS_NOTIFICATION_TRANSPORTS", "{}") or "{}")
CITYOS_RATE_LIMITS = {  # messages per minute per channel
    "email": int(env("CITYOS_RATE_EMAIL", "600")),
    "sms": int(env("CITYOS_RATE_SMS", "120")),
    "whatsapp": int(env("CITYOS_RATE_WHATSAPP", "120")),
    "voice": int(env("CITYOS_RATE_VOICE", "20")),
}

# --- API ---------------------------------------------------------------------------------
NINJA_PAGINATION_CLASS = "cityos.core.api.pagination.LimitOffsetNextPagination"
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
# Per anonymous address; per token or signed-in person; and per address for the portal's own
# pages (same-origin, with the site's CSRF cookie): a budget of their own, not none
# (cityos.core.api.throttling).
CITYOS_API_RATE_ANON = env("CITYOS_API_RATE_ANON", "120/m")
CITYOS_API_RATE_CLIENT = env("CITYOS_API_RATE_CLIENT", "1200/m")
CITYOS_API_RATE_PORTAL = env("CITYOS_API_RATE_PORTAL", "600/m")

# --- CORS: browser apps on other sites may call the open APIs, never the pages -------------
# Any origin ("*") or CITYOS_CORS_ORIGINS' comma-separated list (empty: none). Never with
# credentials: a cookie never crosses origins, so another site's page cannot act as a signed-in
# person; third-party apps send a token in Authorization. Session writes still need CSRF.
CITYOS_CORS_ORIGINS = [o.strip() for o in env("CITYOS_CORS_ORIGINS", "*").split(",") if o.strip()]
CORS_URLS_REGEX = r"^/(api/v1|sta|open311/v2)/"
CORS_ALLOW_ALL_ORIGINS = CITYOS_CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else CITYOS_CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = False
# No X-CSRFToken: without cookies a cross-origin caller has no session for it to protect.
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type", "prefer", "x-audit-reason"]
CORS_EXPOSE_HEADERS = [
    "Content-Disposition",
    "Link",
    "Location",
    "Preference-Applied",
    "Retry-After",
    "WWW-Authenticate",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
CORS_PREFLIGHT_MAX_AGE = 86400  # browsers cap it lower (Chromium: 2 hours)

# --- Privacy -----------------------------------------------------------------------------
CITYOS_SMALL_COUNT_THRESHOLD = int(env("CITYOS_SMALL_COUNT_THRESHOLD", "5"))
CITYOS_MESSAGE_RETENTION_DAYS = int(env("CITYOS_MESSAGE_RETENTION_DAYS", "90"))

# --- Logging: one JSON object per line ---------------------------------------------------
LOG_LEVEL = env("CITYOS_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(),
            ],
            "foreign_pre_chain": [
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
            ],
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # The embedded MQTT broker logs every connection and state change at INFO.
        "amqtt": {"level": "WARNING"},
        "transitions": {"level": "WARNING"},
    },
}
