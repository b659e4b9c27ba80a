"""Settings for the back-office.

Every value that differs between machines comes from the environment (or a `.env` file beside
`manage.py`); see `.env.example`. Production differs from development only by those values.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# No default outside DEBUG: a production server must be given its own key.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set SECRET_KEY in the environment or in .env; for the local demo database of "
        "`make run`, set DEBUG=true instead (e.g. DEBUG=true .venv/bin/python manage.py "
        "createsuperuser)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with the admin site that asks for the second factor too.
    "staff.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "import_export",
    "pgtrigger",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_countries",
    # Background jobs: the tasks framework of Django 6 (backported) and its database queue.
    "django_tasks",
    "django_tasks_db",
    # The ground: who acted, money, dates, CSV files, paging, the bases of pages and the API.
    "core",
    "activity",
    "accounts",
    "credits",
    "legacy_history",
    "integrations",
    # Before axes: its axes_reset commands wrap axes' own, to record the unlock.
    "staff",
    "axes",
    # Last, so that its post_migrate (role sync) runs after every app's permissions exist.
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Headers on every response, static files included.
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts and from where, for the staff activity that model signals record.
    "staff.context.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Django's empty 405 becomes a page that says what to do (below the messages and the user).
    "core.middleware.NotAllowedPageMiddleware",
    # Idle timeout and absolute lifetime: an ended session is signed out here, before the rest.
    "staff.middleware.SessionLifetimeMiddleware",
    # The reader's own time zone (or UTC), kept in the session: no query.
    "staff.middleware.ViewerClockMiddleware",
    # request.user.is_verified(): whether this session entered a second-factor code.
    "django_otp.middleware.OTPMiddleware",
    # Every page is private unless a view says otherwise (only the sign-in page does).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After the password: the code (or enrolment, where the role requires it) before any page.
    "staff.middleware.SecondFactorMiddleware",
    # Where the request reads from (primary or replica), inside the session's save.
    "core.replicas.ReplicaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked sign-in's answer into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Django's form renderer, with the common widgets written in Python (core/renderers.py).
FORM_RENDERER = "core.renderers.PythonWidgetsRenderer"
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
                "config.layout.site",
                "staff.context_processors.second_factor",
            ],
        },
    },
]

# `make run` works on an embedded SQLite file; tests and production use PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, letting `flush` through the TRUNCATE triggers (core/postgresql).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # No JIT compilation: the pages' queries are short, and one whose estimate runs high (a
    # subquery per row over stale statistics) spent 0.6 s compiling what then ran in 11 ms
    # (Balances at a moment, on the benchmark's data); the CSV's COPY of a million entries runs
    # as fast without it.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# Persistent connections in production (checked before reuse); none in development, where
# runserver's thread per request would otherwise hold a connection per thread.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The tests' database, when it must be one made beforehand (a Citus cluster's: `make citus
# CITUS_DATABASE=...`); run the tests with --reuse-db against it.
if env("DATABASE_TEST_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("DATABASE_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# An index's INCLUDE columns (credits' as-of index) exist on PostgreSQL only; on the SQLite
# file of `make run` the index is built on its key columns, which is all a demo needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# A read replica (optional): the heavy reads go there, see core/replicas.py.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ENGINE"] = DATABASES["default"]["ENGINE"]
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    if DATABASES["replica"]["ENGINE"] == "core.postgresql":
        _replica = DATABASES["replica"]["OPTIONS"]
        _replica["options"] = f"{_replica.get('options', '')} -c jit=off".strip()
    # The tests' database reaches the replica by replication: never created there.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
# On a Citus coordinator (core.citus, after every migrate): the per-account tables, spread over
# the workers by account and co-located (the first one is the others' anchor), and the tables
# they join to, copied to every node (in the order of their foreign keys). The rest stay on the
# coordinator. Plain PostgreSQL and SQLite ignore both.
CITUS_DISTRIBUTED = [
    "credits.CreditWallet",
    "credits.CreditOperation",
    "credits.CreditEntry",
    "credits.CreditLot",
    "credits.CreditAllocation",
    "credits.CreditWalletMonth",
    "activity.ActivityEvent",
    "activity.EventMonthCount",
    "legacy_history.LegacyEntry",
    "accounts.AccountAccess",
]
CITUS_REFERENCE = [
    "auth.User",
    "accounts.Product",
    "accounts.Account",
    "accounts.Subscription",
    "accounts.PaymentMethod",
]
# After a user's (or integration's) write, their reads stay on the primary this long.
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)
# Under PgBouncer in transaction mode: server-side cursors cannot outlive a transaction.
for _database in DATABASES.values():
    _database["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:search"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading permissions and roles in one query a request.
    "core.authentication.RoleBackend",
]

# Sign-in lockout (django-axes): failures within the cool-off are counted per username (from any
# address) and per address (for any username); reaching either limit refuses every further try,
# the right password included, until one cool-off after the last failure. Tries while locked do
# not extend the lock. See staff/lockout.py for how the two limits meet axes' one.
SIGN_IN_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
SIGN_IN_ADDRESS_FAILURE_LIMIT = max(
    env.int("AXES_IP_FAILURE_LIMIT", default=20), SIGN_IN_FAILURE_LIMIT
)
AXES_FAILURE_LIMIT = "staff.lockout.failure_limit"
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "staff.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The admin pages are staff.admin's (unlocking there is recorded).
AXES_ENABLE_ADMIN = False
# The client's address: REMOTE_ADDR, which a client cannot forge. Behind a proxy that sets
# X-Forwarded-For, set AXES_IPWARE_META_PRECEDENCE_ORDER=HTTP_X_FORWARDED_FOR,REMOTE_ADDR and
# AXES_IPWARE_PROXY_COUNT to the number of proxies.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_VERBOSE = False

# Second factor (django-otp): required for the roles of config.roles.SECOND_FACTOR_ROLES. Off
# only for the `make run` demo (MFA_REQUIRED=false), which says so when it starts.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Back-office")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys (django-otp-webauthn) as a second factor only, after the password. The relying party
# is the host the page was served from (one of ALLOWED_HOSTS), so passkeys made on
# backoffice.example.com work there only; `localhost` works for development, an IP address
# does not (browsers refuse passkeys there).
OTP_WEBAUTHN_HELPER_CLASS = "staff.authentication.PasskeyHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "staff.authentication.passkey_rp_id"
# The helper takes the allowed origin from each request, which the library's check of a fixed
# OTP_WEBAUTHN_ALLOWED_ORIGINS list cannot see.
SILENCED_SYSTEM_CHECKS += ["otp_webauthn.E030"]
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# Sessions: signed out after SESSION_IDLE_TIMEOUT seconds without a request, and
# SESSION_COOKIE_AGE seconds after signing in whatever happens (staff.middleware). A password
# change signs out every other session (Django's session auth hash).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)

LANGUAGE_CODE = "en-gb"
# Times are stored in UTC and shown in this zone; pages and CSV files name it.
TIME_ZONE = env("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True
# ISO dates and 24-hour times everywhere, the admin included (core/formats/).
FORMAT_MODULE_PATH = ["core.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files prepared in the background (Credit Activity CSV exports) are kept here, outside the
# static files, and served only through the views that check who asks.
EXPORT_DIR = env.path("EXPORT_DIR", default=BASE_DIR / "exports")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_DIR)},
    },
    "staticfiles": {
        "BACKEND": env(
            "STATIC_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# How many events `manage.py load_demo` gives the demo's large account (100000).
DEMO_LARGE_ACCOUNT_EVENTS = env.int("DEMO_LARGE_ACCOUNT_EVENTS", default=20_000)

# Background jobs (django-tasks with its database backend): `manage.py run_worker` runs them,
# and `make run` and `make serve` start it beside the site.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A Credit Activity download of more entries than this is written by the worker instead of
# streamed, and offered for download for EXPORT_FILE_HOURS.
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=100_000)
EXPORT_FILE_HOURS = env.int("EXPORT_FILE_HOURS", default=24)
# A running job that has not reported progress for this long is taken to have lost its worker
# (killed, or its machine restarted) and is started again.
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=60)
# The worker expires the credit of lots whose expiry date has passed this often
# (credits.tasks.credit_expiry_run; `manage.py expire_lots` does it at once).
LOT_EXPIRY_INTERVAL_SECONDS = env.int("LOT_EXPIRY_INTERVAL_SECONDS", default=3600)

# Personal data kept beside records that stay (download filters, sign-in addresses) is removed
# after this many days by `manage.py purge_retention` (run it daily).
RETENTION_DAYS = env.int("RETENTION_DAYS", default=400)

# Tables partitioned by UTC month on PostgreSQL and Citus (core.partitions): the model and the
# column whose month picks a row's partition. `manage.py maintain_partitions` (after every
# migrate, and daily) keeps PARTITION_MONTHS_AHEAD months ready.
TIME_PARTITIONS = {"activity.ActivityEvent": "occurred_at", "credits.CreditEntry": "created_at"}
PARTITION_MONTHS_AHEAD = env.int("PARTITION_MONTHS_AHEAD", default=3)
# How many months of the timeline `purge_retention` keeps, this one included: older months'
# partitions are dropped whole. 0 keeps every month.
TIMELINE_RETENTION_MONTHS = env.int("TIMELINE_RETENTION_MONTHS", default=0)

# The ledger's keys (credits.chain): entries are signed with HMAC-SHA256 under LEDGER_KEY_ID,
# and verified with the key each names. Keep them outside the database: LEDGER_KEYS as JSON
# ({"2026-12": "<secret>", ...}) in the environment, or in a file named by LEDGER_KEYS_FILE.
# To rotate, add a key and point LEDGER_KEY_ID at it; keep the old ones for verification.
# Without either, one key is derived from SECRET_KEY (which is outside the database too).
LEDGER_KEYS = env.json("LEDGER_KEYS", default={})
if env("LEDGER_KEYS_FILE", default=""):
    import json as _json

    LEDGER_KEYS = {**_json.loads(Path(env("LEDGER_KEYS_FILE")).read_text()), **LEDGER_KEYS}
if not LEDGER_KEYS:
    import hashlib as _hashlib
    import hmac as _hmac

    LEDGER_KEYS = {
        "secret-key": _hmac.new(SECRET_KEY.encode(), b"ledger", _hashlib.sha256).hexdigest()
    }
LEDGER_KEY_ID = env("LEDGER_KEY_ID", default=next(iter(LEDGER_KEYS)))
# Where `ledger_checkpoint` writes the signed heads of every wallet's chain, and where
# `verify_ledger` compares them (a directory outside the database; empty: no checkpoints).
LEDGER_CHECKPOINT_DIR = env("LEDGER_CHECKPOINT_DIR", default="")

# How long an enrolment code (the one-time code a user of a second-factor role sets up their
# second factor with, issued by an administrator) stays valid.
ENROLMENT_CODE_HOURS = env.int("ENROLMENT_CODE_HOURS", default=72)

# Separation of duties: a money role (Finance, System Administrator) takes a second
# administrator's approval, and someone whose money role is younger than this many hours may
# not approve anyone's money.
MONEY_ROLE_COOLING_OFF_HOURS = env.int("MONEY_ROLE_COOLING_OFF_HOURS", default=72)

# Limits of the credit operations, per role (its code: core.roles) and per unit (a currency
# code, or "tokens"): the largest single grant, revocation, charge and refund, and the most one
# person may grant per day (`daily_grant`). Above a limit the operation waits for another
# person's approval (/credits/approvals/); a unit or operation a role has no limit for always
# waits. The API's operations follow the "integration" limits. CREDIT_LIMITS (JSON, in the
# environment) replaces the whole table.
_SCALE = {"SEK": 1, "NOK": 1, "DKK": "0.75", "EUR": "0.1", "GBP": "0.1", "USD": "0.1"}


def _per_unit(sek: int, tokens: int) -> dict[str, str]:
    """One limit in every usual currency (given in SEK, scaled roughly by value) and tokens."""
    from decimal import Decimal

    limits = {
        code: format((Decimal(sek) * Decimal(str(f))).normalize(), "f")
        for code, f in _SCALE.items()
    }
    return limits | {"tokens": str(tokens)}


# The currency that limits across currencies are kept in, and dated rates to it: from each
# date on, one unit of a currency is worth this much of REPORTING_CURRENCY (the newest rate
# dated on or before the day applies). A currency without a rate cannot be counted, so its
# operations under a cross-currency limit wait for approval. Set them from your books.
REPORTING_CURRENCY = env("REPORTING_CURRENCY", default="SEK")
EXCHANGE_RATES: dict[str, dict[str, str]] = env.json(
    "EXCHANGE_RATES",
    default={
        "2026-01-01": {
            "SEK": "1", "NOK": "0.93", "DKK": "1.47", "EUR": "10.95", "GBP": "12.80",
            "USD": "9.45",
        },
    },
)  # fmt: skip

_FINANCE_LIMITS = {
    "grant": _per_unit(10_000, 1_000),
    "revoke": _per_unit(10_000, 1_000),
    "charge": _per_unit(25_000, 1_000),
    "refund": _per_unit(25_000, 1_000),
    "daily_grant": _per_unit(100_000, 10_000),
    # Across every currency, counted in REPORTING_CURRENCY.
    "daily_grant_total": {"SEK": "100000"},
}
CREDIT_LIMITS: dict[str, dict[str, dict[str, str]]] = env.json(
    "CREDIT_LIMITS",
    default={
        # Goodwill for a customer on the phone.
        "customer_service": {
            "grant": _per_unit(500, 100),
            "daily_grant": _per_unit(2_000, 400),
            "daily_grant_total": {"SEK": "2000"},
        },
        "finance": _FINANCE_LIMITS,
        "system_administrator": _FINANCE_LIMITS,
        # Billing systems: product credits and refunds of credit-paid transactions.
        "integration": {
            "grant": _per_unit(5_000, 1_000),
            "revoke": _per_unit(5_000, 1_000),
            "refund": _per_unit(5_000, 1_000),
            "daily_grant": _per_unit(1_000_000, 100_000),
            "daily_grant_total": {"SEK": "1000000"},
        },
    },
)
# The absolute maximum of one operation of any kind, by anyone, per unit: above it the
# operation is refused (not sent for approval). A unit not listed has no maximum beyond the
# ledger's own.
CREDIT_MAXIMUM: dict[str, str] = env.json("CREDIT_MAXIMUM", default=_per_unit(1_000_000, 100_000))
# The codes of the accounts the credit journal (/credits/journal/) posts to, per account role
# (credits.journal.ACCOUNTS: credit_liability, gift_card_liability, cash_clearing, revenue,
# refunds, breakage, goodwill_expense, promotional_expense, revocations, unclassified_grants).
# JSON, e.g. {"credit_liability": "2410", "revenue": "3011"}; a role not named keeps its
# default code. A system check refuses an unknown role or an empty code.
JOURNAL_ACCOUNTS: dict[str, str] = env.json("JOURNAL_ACCOUNTS", default={})
# A request for approval that nobody decides on expires after this many days
# (`manage.py expire_credit_approvals`, run it daily; an overdue request cannot be approved).
APPROVAL_EXPIRY_DAYS = env.int("APPROVAL_EXPIRY_DAYS", default=7)

SESSION_ENGINE = env("SESSION_ENGINE", default="core.sessions")
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Live pages: how often an open Recent Activity or account page asks for new events and says
# its user is still there, and how long after the last of those a viewer counts as gone
# (core.presence: kept in the cache above).
LIVE_POLL_SECONDS = 15
PRESENCE_SECONDS = 45

# Security: safe by default, relaxed only through the environment (DEBUG or explicit values).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "config.layout.csrf_failure"

# Content-Security-Policy (django-csp): this site's own files only. No inline script or style
# anywhere (no 'unsafe-inline'); no other origin. The API docs pages add a per-response nonce
# for the styles Swagger UI and Redoc insert (config/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (core.middleware): every feature the site does not use, denied.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# Passkeys: this site's own pages may ask the browser for them, and nobody else's.
PERMISSIONS_POLICY |= {
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# django-tables2's own template, with sort direction, the rows in view and scrolling on phones.
DJANGO_TABLES2_TEMPLATE = "table.html"

# The integration API (/api/): JSON only, every request authenticated by an integration's token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.IntegrationTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.permissions.IsIntegration"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Each integration's requests are counted in the cache (CACHE_URL: use Redis with several
    # workers, so that they share the count); over the rate, 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["core.api.IntegrationRateThrottle"],
}
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="6000/minute")
# Request bodies (not uploaded files) held in memory: room for an API batch of 1,000 events.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Back-office integration API",
    "DESCRIPTION": "Billing systems and portals write System events and credit operations.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    # The schema and its docs: for an integration's token or a signed-in back-office user.
    "SERVE_AUTHENTICATION": [
        "integrations.authentication.IntegrationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
