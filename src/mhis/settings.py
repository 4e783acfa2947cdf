"""Django settings, read from the environment (see docs/admin-guide.md for every variable)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from mhis.crypto import derive_key
from mhis.env import (
    envbool,
    envcount_or_off,
    envint,
    envlist,
    envnetworks,
    envprobability,
    envstr,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(envstr("MHIS_VAR_DIR") or Path.cwd() / "var").resolve()

DEBUG = envbool("MHIS_DEBUG", False)

_DEV_SECRET = "mhis-development-only-secret-do-not-use-in-production"  # noqa: S105
SECRET_KEY = envstr("MHIS_SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "MHIS_SECRET_KEY (or MHIS_SECRET_KEY_FILE) must be set; only MHIS_DEBUG=1 runs without it."
    )
if SECRET_KEY == _DEV_SECRET and not DEBUG:
    raise ImproperlyConfigured("The development secret key cannot be used with MHIS_DEBUG off.")

# Keys for identifiers and migration status at rest; the first encrypts, all decrypt.
MHIS_FIELD_KEYS = envlist("MHIS_FIELD_KEYS") or ([derive_key(SECRET_KEY, "field")] if DEBUG else [])
MHIS_HASH_KEY = envstr("MHIS_HASH_KEY") or (derive_key(SECRET_KEY, "hash") if DEBUG else "")
if not MHIS_FIELD_KEYS or not MHIS_HASH_KEY:
    raise ImproperlyConfigured(
        "MHIS_FIELD_KEYS and MHIS_HASH_KEY must be set outside debug: "
        "generate them with `mhis keys`."
    )

ALLOWED_HOSTS = envlist("MHIS_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("MHIS_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "mhis.places",
    "mhis.access",
    "mhis.registry",
    "mhis.care",
    "mhis.protection",
    "mhis.indicators",
    "mhis.linkage",
    "mhis.surveillance",
    "mhis.portable",
    "mhis.programmes",
    "mhis.intake",
    "mhis.outreach",
    "mhis.maintenance",
    "mhis.demo",
    "mhis.work",
    "mhis.notifications",
    "mhis.crossborder",
    "mhis.response",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files keep their caching; every other response is no-store.
    "mhis.caching.NoStoreMiddleware",
    # Each table cell labelled with its column's heading, for the cards of a narrow screen.
    "mhis.tables.CardLabelsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "mhis.access.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "mhis.registry.middleware.MergedRecordMiddleware",
]

ROOT_URLCONF = "mhis.urls"
WSGI_APPLICATION = "mhis.wsgi.application"

TEMPLATES = [
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
                "mhis.notifications.views.unread",
            ],
        },
    },
]

_DATABASE_URL = envstr("DATABASE_URL")
if not _DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL or f"sqlite:///{VAR_DIR / 'mhis.sqlite3'}",
        conn_max_age=envint("MHIS_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # A 64 MB page cache (the default is 2 MB): large imports keep the indexes in memory.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        }
    )
# PostgreSQL: statements a connection has run this many times are prepared (parsed and
# planned once, then run by name, parameters bound by the server); `off` for a pooler that
# hands a connection to another client between transactions (PgBouncer in transaction
# mode), which cannot keep a prepared statement. ADR 0037.
# Prepared statements on PostgreSQL after a statement's fifth run on a connection (ADR 0037);
# `off` behind a pooler that hands connections around (PgBouncer in transaction mode).
MHIS_DB_PREPARE_THRESHOLD = envcount_or_off("MHIS_DB_PREPARE_THRESHOLD", 5)
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and MHIS_DB_PREPARE_THRESHOLD is not None
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": MHIS_DB_PREPARE_THRESHOLD}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Backups: JSON Lines fixtures that keep times to the microsecond (mhis.maintenance).
SERIALIZATION_MODULES = {"mhis-jsonl": "mhis.maintenance.serializer"}

AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Every way a password is set checks it against these, with the user's name and details
# (mhis.access: the user manager, create_user, the admin's forms, changepassword).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "mhis.access.passwords.UsernameInPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling (django-axes): a username from one address is locked out after
# MHIS_LOGIN_FAILURE_LIMIT failures for MHIS_LOGIN_COOLOFF_MINUTES; an address, after
# MHIS_LOGIN_ADDRESS_FAILURE_LIMIT failures over all usernames (password spraying), each
# username counting for at most MHIS_LOGIN_FAILURE_LIMIT of them (mhis.access.lockout).
AXES_FAILURE_LIMIT = envint("MHIS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("MHIS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "mhis.access.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "mhis.access.lockout.lockout_response"
MHIS_LOGIN_ADDRESS_FAILURE_LIMIT = envint("MHIS_LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "mhis.access.addresses.client_address"
# Reverse proxies in front of MHIS (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"): a
# request from one is counted against the address it forwards (X-Forwarded-For), see
# mhis.access.addresses. Empty: every request is counted against the address it comes from.
MHIS_TRUSTED_PROXIES = envnetworks("MHIS_TRUSTED_PROXIES")

# Second factor: roles that reach many people's data confirm each log-in with a code from an
# authenticator app (django-otp, TOTP). Off in debug so the demo opens with a password alone.
MHIS_TWO_FACTOR_ROLES = envlist("MHIS_TWO_FACTOR_ROLES", "" if DEBUG else "administrator,analyst")
# (Unknown role names stop start-up: mhis.access.apps checks them against the roles.)
OTP_TOTP_ISSUER = "MHIS"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try

SESSION_COOKIE_AGE = envint("MHIS_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("MHIS_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Served over HTTPS (outside debug): browsers are told to keep to HTTPS for a year. Behind a
# TLS proxy, MHIS_TLS_PROXY_HEADER names the header it sets (e.g. X-Forwarded-Proto).
SECURE_HSTS_SECONDS = envint("MHIS_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_SSL_REDIRECT = envbool("MHIS_SSL_REDIRECT", False)
if envstr("MHIS_TLS_PROXY_HEADER"):
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + envstr("MHIS_TLS_PROXY_HEADER").upper().replace("-", "_"),
        "https",
    )
# Content security policy: scripts, styles, fonts and images from this server only; no
# inline script, no inline style but an empty one, no plug-ins, no framing (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # htmx writes an empty style attribute while it swaps content: that one (by its
        # hash, the hash of nothing) and no other inline style.
        "style-src": [
            "'self'",
            "'unsafe-hashes'",
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        ],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("th", _("Thai")),
    ("vi", _("Vietnamese")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mhis.formats"]
USE_I18N = True
TIME_ZONE = envstr("MHIS_TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Served by the app itself (whitenoise), from installed packages: nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies above this size are refused before any parsing (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MHIS_MAX_REQUEST_BYTES", 1_000_000)

# Aggregates that leave the system hide counts below this number.
MHIS_SUPPRESSION_THRESHOLD = envint("MHIS_SUPPRESSION_THRESHOLD", 5)
# Directories of extra indicator definitions (TOML), beside the standard pack.
MHIS_INDICATOR_DIRS = envlist("MHIS_INDICATOR_DIRS")
# Mapping of indicators to DHIS2 / ADX codes (a TOML file); the bundled one by default.
MHIS_EXPORT_MAPPING = envstr("MHIS_EXPORT_MAPPING")
# The DHIS2 instance `mhis indicators push-dhis2` sends to: its address (https, or http on
# this machine only), and a personal access token or a username and password (each may come
# from a file: MHIS_DHIS2_TOKEN_FILE, MHIS_DHIS2_PASSWORD_FILE). Never stored in the database.
MHIS_DHIS2_URL = (envstr("MHIS_DHIS2_URL") or "").rstrip("/")
MHIS_DHIS2_TOKEN = envstr("MHIS_DHIS2_TOKEN") or ""
MHIS_DHIS2_USERNAME = envstr("MHIS_DHIS2_USERNAME") or ""
MHIS_DHIS2_PASSWORD = envstr("MHIS_DHIS2_PASSWORD") or ""
MHIS_DHIS2_TIMEOUT = envint("MHIS_DHIS2_TIMEOUT", 60)
MHIS_PAGE_SIZE = 20
MHIS_MAX_PAGE_SIZE = 100
# Registration warns of people in the user's places at least this likely the same person
# (mhis.registry.duplicates), scored by the latest linkage model.
MHIS_LIKELY_DUPLICATE = float(envstr("MHIS_LIKELY_DUPLICATE", "0.5") or 0.5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("MHIS_LOG_LEVEL", "WARNING")},
}

# Where people reach this server, for links handed out (SMART Health Links).
MHIS_PUBLIC_URL = envstr("MHIS_PUBLIC_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
MHIS_SHL_PASSCODE_ATTEMPTS = envint("MHIS_SHL_PASSCODE_ATTEMPTS", 5)
# Wrong passcodes one address may send in an hour, over all links, before it must wait.
MHIS_SHL_ADDRESS_LIMIT = envint("MHIS_SHL_ADDRESS_LIMIT", 10)
MHIS_SHL_MAX_DAYS = envint("MHIS_SHL_MAX_DAYS", 365)
# Fonts for the printed summary (Debian's fonts-noto-core); see mhis.portable.printing.
MHIS_FONT_DIR = envstr("MHIS_FONT_DIR", "/usr/share/fonts/truetype/noto")

# The portfolio: the currency budgets are totalled in, and who publishes to IATI.
MHIS_REPORTING_CURRENCY = envstr("MHIS_REPORTING_CURRENCY", "USD")
MHIS_IATI_REPORTING_ORG = envstr("MHIS_IATI_REPORTING_ORG", "XM-DAC-47066")
MHIS_IATI_REPORTING_ORG_NAME = envstr(
    "MHIS_IATI_REPORTING_ORG_NAME", "International Organization for Migration"
)
MHIS_IATI_REPORTING_ORG_TYPE = envstr("MHIS_IATI_REPORTING_ORG_TYPE", "40")

# Imports: uploads larger than this are refused; a worker (mhis worker) imports the others.
MHIS_IMPORT_MAX_BYTES = envint("MHIS_IMPORT_MAX_BYTES", 500 * 2**20)
# What a file unpacks to (every member of a ZIP, every part of an XLSX) and the rows it holds,
# counted as a stream before an import starts (mhis.uploads): tables read row by row …
MHIS_IMPORT_MAX_UNPACKED_BYTES = envint(
    "MHIS_IMPORT_MAX_UNPACKED_BYTES", envint("MHIS_XLSX_MAX_UNPACKED_BYTES", 1000 * 10**6)
)
MHIS_IMPORT_MAX_ROWS = envint("MHIS_IMPORT_MAX_ROWS", 1_000_000)
# … and files read whole before they are written (field form exports, weekly reports).
MHIS_IMPORT_MAX_HELD_BYTES = envint("MHIS_IMPORT_MAX_HELD_BYTES", 50 * 10**6)
MHIS_IMPORT_MAX_HELD_ROWS = envint("MHIS_IMPORT_MAX_HELD_ROWS", 100_000)
# People imports check the next batch in a second process while one is written (ADR 0035).
MHIS_IMPORT_CHECK_AHEAD = envbool("MHIS_IMPORT_CHECK_AHEAD", True)
# A workbook's shared strings are held in memory while it is read, whatever the import.
MHIS_XLSX_MAX_STRINGS_BYTES = envint("MHIS_XLSX_MAX_STRINGS_BYTES", 30 * 10**6)

# Background work (imports, linkage runs, extracts, backups, the schedule) is queued in the
# database and run by `mhis worker` (mhis.work, docs/decisions/0015). Inline: run each task in
# the request or command that queues it, without a worker (tests; MHIS_IMPORT_BACKGROUND=0 is
# the older name).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MHIS_TASKS_INLINE = envbool("MHIS_TASKS_INLINE", not envbool("MHIS_IMPORT_BACKGROUND", True))
# A worker holds the task it runs by a lease it renews every quarter of this; a lease not
# renewed for this long (the worker died) lets another worker take the task over.
MHIS_WORKER_LEASE_SECONDS = envint("MHIS_WORKER_LEASE_SECONDS", 60)
# How often a task is taken over from a dead worker before it is marked failed.
MHIS_WORKER_MAX_ATTEMPTS = envint("MHIS_WORKER_MAX_ATTEMPTS", 3)
# The worker's schedule, in MHIS_TIME_ZONE: "DAY HH:MM" weekly, "HH:MM" nightly; empty: off.
MHIS_SCHEDULE_EVALUATION = envstr("MHIS_SCHEDULE_EVALUATION", "mon 06:15")
MHIS_SCHEDULE_LINKAGE = envstr("MHIS_SCHEDULE_LINKAGE", "02:00")
# Surveillance reports (mhis.surveillance, docs/decisions/0027): a week older than
# MHIS_SURVEILLANCE_HORIZON_WEEKS is refused (264: the 5 years and 3 weeks the detection
# method reads); one condition's count at a site in a week above the site's population, or
# above MHIS_SURVEILLANCE_MAX_COUNT where no population is recorded, is refused; above the
# larger of MHIS_SURVEILLANCE_CONFIRM_COUNT and twice the site's largest week so far it is
# taken only when confirmed.
MHIS_SURVEILLANCE_HORIZON_WEEKS = envint("MHIS_SURVEILLANCE_HORIZON_WEEKS", 264)
MHIS_SURVEILLANCE_MAX_COUNT = envint("MHIS_SURVEILLANCE_MAX_COUNT", 100_000)
MHIS_SURVEILLANCE_CONFIRM_COUNT = envint("MHIS_SURVEILLANCE_CONFIRM_COUNT", 200)
# Alerts (docs/decisions/0030): a new alert is to be verified within
# MHIS_ALERT_VERIFY_HOURS (per condition: MHIS_ALERT_VERIFY_HOURS_BY_CONDITION,
# "cholera=6,measles=12"); past it, `mhis surveillance escalate` (and the worker, every
# MHIS_SCHEDULE_ESCALATION) marks it escalated and notifies its owner and the officers of the
# site's parent place. The worker escalates every hour unless MHIS_SCHEDULE_ESCALATION=0.
MHIS_ALERT_VERIFY_HOURS = envint("MHIS_ALERT_VERIFY_HOURS", 24)
MHIS_ALERT_VERIFY_HOURS_BY_CONDITION = envstr("MHIS_ALERT_VERIFY_HOURS_BY_CONDITION", "")
MHIS_SCHEDULE_ESCALATION = envbool("MHIS_SCHEDULE_ESCALATION", True)
# Reminders of missing weekly reports (docs/decisions/0033): each week at this slot ("DAY
# HH:MM", MHIS_TIME_ZONE) the worker reminds the reporters of every site whose last full week
# has not come (`mhis surveillance remind`); once per site and week. Empty: never.
MHIS_SCHEDULE_REPORT_REMINDERS = envstr("MHIS_SCHEDULE_REPORT_REMINDERS", "tue 08:00")
# 7-1-7 targets (mhis.response, docs/decisions/0031): days from emergence to detection, from
# detection to notification, from notification to the early response completed.
MHIS_717_DETECT_DAYS = envint("MHIS_717_DETECT_DAYS", 7)
MHIS_717_NOTIFY_DAYS = envint("MHIS_717_NOTIFY_DAYS", 1)
MHIS_717_RESPOND_DAYS = envint("MHIS_717_RESPOND_DAYS", 7)
# Notifications (mhis.notifications): stored and listed in the application always; by email
# through Django's mail settings (EMAIL_BACKEND, EMAIL_HOST...; the console in the demo) when
# MHIS_NOTIFY_EMAIL is on; by SMS through MHIS_SMS_BACKEND only when MHIS_SMS_GATEWAY_URL is
# set. MHIS_BASE_URL ("https://mhis.example.org") makes the links in messages absolute.
MHIS_NOTIFY_EMAIL = envbool("MHIS_NOTIFY_EMAIL", True)
MHIS_SMS_GATEWAY_URL = envstr("MHIS_SMS_GATEWAY_URL", "")
MHIS_SMS_BACKEND = envstr("MHIS_SMS_BACKEND", "mhis.notifications.services.HttpSmsGateway")
MHIS_BASE_URL = envstr("MHIS_BASE_URL", "")
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Seconds a mail server has to answer (Django waits without a limit otherwise): notifications
# are sent within the request that caused them (mhis.notifications.services).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "mhis@localhost")
# Linkage: pairs scored at least MHIS_LINKAGE_REVIEW go to the review queue; at least
# MHIS_LINKAGE_AUTO, records are merged without review, a group of at most
# MHIS_LINKAGE_LARGEST_GROUP records at a time (mhis.linkage.clusters). A blocking key held
# by more than MHIS_LINKAGE_MAX_BLOCK records is too common to find candidates by.
MHIS_LINKAGE_REVIEW = envprobability("MHIS_LINKAGE_REVIEW", 0.5)
MHIS_LINKAGE_AUTO = envprobability("MHIS_LINKAGE_AUTO", 0.99)
MHIS_LINKAGE_LARGEST_GROUP = envint("MHIS_LINKAGE_LARGEST_GROUP", 8)
MHIS_LINKAGE_MAX_BLOCK = envint("MHIS_LINKAGE_MAX_BLOCK", 50)
# The nightly backup: into MHIS_BACKUP_DIR with the key MHIS_BACKUP_KEY_FILE, keeping the last
# MHIS_BACKUP_KEEP; off unless both are set.
MHIS_SCHEDULE_BACKUP = envstr("MHIS_SCHEDULE_BACKUP", "01:30")
MHIS_BACKUP_DIR = envstr("MHIS_BACKUP_DIR", "")
MHIS_BACKUP_KEY_FILE = envstr("MHIS_BACKUP_KEY_FILE", "")
MHIS_BACKUP_KEEP = envint("MHIS_BACKUP_KEEP", 7)
