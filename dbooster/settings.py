"""DBooster settings. Everything a deployment changes comes from the environment.

`.env.example` lists every variable with a comment. With DEBUG off, a missing or
default secret stops the server at start and names the variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# Values that are only safe on a developer's machine. DEBUG off refuses them.
_DEV_SECRET_KEY = "dev-only-django-secret-key-change-me"
_DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# A valid Fernet key, public on purpose: it protects nothing outside development.
_DEV_FIELD_KEY = "ZGJvb3N0ZXItZGV2LW9ubHktZmllbGQta2V5LTAwMDA="

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
JWT_SECRET = env.str("JWT_SECRET", default=_DEV_JWT_SECRET)
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_DEV_FIELD_KEY])


def _refuse_unsafe_secrets() -> None:
    unsafe = []
    if SECRET_KEY in ("", _DEV_SECRET_KEY):
        unsafe.append("SECRET_KEY")
    if JWT_SECRET in ("", _DEV_JWT_SECRET):
        unsafe.append("JWT_SECRET")
    if not FIELD_ENCRYPTION_KEYS or _DEV_FIELD_KEY in FIELD_ENCRYPTION_KEYS:
        unsafe.append("FIELD_ENCRYPTION_KEYS")
    if unsafe:
        raise ImproperlyConfigured(
            "DEBUG is off and these secrets are missing or still the development default: "
            + ", ".join(unsafe)
            + ". Set them in the environment or .env (see .env.example)."
        )


if not DEBUG:
    _refuse_unsafe_secrets()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "procrastinate.contrib.django",
    # Ours; docs/architecture.md draws their layers.
    "dbooster.apps.DboosterConfig",  # the API's shared conventions (typed JSON bodies)
    "audit",
    "notifications",
    "accounts",
    "organizations",
    "projects",
    "repositories",
    "schema_metadata",
    "ai_usage",
    "optimizer",
    "health",
    "analytics",
    "approvals",
    "workbench",
    "assistant",
    "billing",
    "dashboard",
    "workflow",  # migration history only (its models moved to audit, notifications, approvals)
]

# dbooster.middleware's are Django's and allauth's own, skipped by API requests that carry no session cookie
# (signed in with a token): sessions, CSRF cookies and messages serve the pages and the sign-in flows only.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dbooster.middleware.CorsMiddleware",
    "dbooster.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dbooster.middleware.CsrfViewMiddleware",
    "dbooster.middleware.AuthenticationMiddleware",
    "dbooster.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "dbooster.urls"
WSGI_APPLICATION = "dbooster.wsgi.application"
ASGI_APPLICATION = "dbooster.asgi.application"
# The API answers with or without a trailing slash; never redirect a POST.
APPEND_SLASH = False

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

# --- Database -------------------------------------------------------------
# DATABASE_URL set: any PostgreSQL 13+. Unset: the embedded server under var/pgdata.
EMBEDDED_PGDATA = Path(env.str("EMBEDDED_PGDATA", default=str(VAR_DIR / "pgdata")))
DATABASE_NAME = env.str("DATABASE_NAME", default="dbooster")
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    USING_EMBEDDED_POSTGRES = False
else:
    from dbooster.embedded import ensure_database

    DATABASES = {"default": ensure_database(EMBEDDED_PGDATA, DATABASE_NAME)}
    USING_EMBEDDED_POSTGRES = True
# Persistent connections: opening one costs more than the few indexed queries of a typical API request.
# Each gunicorn worker (sync, one thread) keeps one. A connection that fails is closed at the end of the request
# that saw the error (Django); CONN_HEALTH_CHECKS=true also checks it before each request, for one more round trip.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
# DATABASE_POOL=true: psycopg's pool instead (Django takes a connection from it per request and gives it back).
# Measured side by side (CPU per request, in process): a sync worker (one thread) gains nothing from it over its
# one persistent connection and pays a check-out per request; it is for threaded or ASGI servers.
if env.bool("DATABASE_POOL", default=False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_MAX", default=4),
    }
# Prepared statements: a statement run often on a connection (the sign-in query of every API request, a list's
# page query) is parsed and planned once per connection instead of once per request (psycopg prepares it after
# DATABASE_PREPARE_THRESHOLD runs; it needs server-side binding). Measured per request on the benchmark: the
# PostgreSQL backend's CPU for /users/me 0.22 ms -> 0.12, GET /projects 0.55 -> 0.21. PostgreSQL re-plans them
# itself when a table changes. DATABASE_PREPARED_STATEMENTS=false behind a pooler that does not keep sessions
# (PgBouncer in transaction mode before 1.21).
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    )
# The sign-in statement's rows kept per process until PostgreSQL announces a change to what they read (LISTEN/
# NOTIFY, `dbooster.notified_cache`): an unchanged user's API requests sign in without a query. Measured on the
# benchmark (CPU per request, in process): /users/me 0.92 ms -> 0.50, GET /projects 1.07 -> 0.42.
# SIGN_IN_CACHE=false behind a pooler in transaction mode, where LISTEN has no session to stay on.
SIGN_IN_CACHE = env.bool("SIGN_IN_CACHE", default=True)
# Several test runs may share one server (xdist workers get their own suffix too).
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_dbooster")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
SITE_ID = 1

# Uploads (code archives) are checked against their own limits in repositories.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

# --- Front end, CORS --------------------------------------------------------
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")
CORS_ALLOWED_ORIGINS = [FRONTEND_URL.rstrip("/")] + env.list("CORS_EXTRA_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True

# --- REST framework and JWT -------------------------------------------------
REST_FRAMEWORK = {
    # JSON bodies keep their types (dbooster/json_types.py); forms and multipart for the uploads.
    "DEFAULT_PARSER_CLASSES": [
        "dbooster.json_types.TypedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dbooster.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "dbooster.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dbooster.api.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "dbooster.negotiation.ContentNegotiation",
    # Rate limits: RATE_LIMITS below (dbooster/ratelimit.py), one store for every worker.
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": JWT_SECRET,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "DBooster API",
    "DESCRIPTION": "Find, explain and fix slow SQL.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body is documented as the serializer its view validates (required fields stay required);
    # views that take partial bodies validate with a serializer whose fields are all optional.
    "COMPONENT_SPLIT_PATCH": False,
}

# --- Sign-in (allauth) ------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = True
SOCIALACCOUNT_LOGIN_ON_GET = True
LOGIN_URL = "/app/login/"
LOGIN_REDIRECT_URL = "/app/"

GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
# GitHub Enterprise, or a fake GitHub on 127.0.0.1 in tests.
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")
GITHUB_WEB_URL = env.str("GITHUB_WEB_URL", default="https://github.com")

SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]
        if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET
        else [],
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
    },
    "github": {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET, "key": ""}]
        if GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET
        else [],
        "SCOPE": ["read:user", "user:email", "repo"],
    },
}

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DBooster <noreply@dbooster.local>")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- Background work (procrastinate on the same PostgreSQL) ------------------
PROCRASTINATE_ON_APP_READY = None
# DBooster-wide jobs (recovering jobs whose worker died) live outside the apps.
PROCRASTINATE_IMPORT_PATHS = ["dbooster.tasks"]
# A running job whose worker sent no heartbeat for this long lost its worker: it is retried or failed.
JOB_STALLED_AFTER_S = env.float("JOB_STALLED_AFTER_S", default=60.0)
# /health reads the queue's counts at most this often in each server process (0: on every request).
HEALTH_QUEUE_TTL_S = env.float("HEALTH_QUEUE_TTL_S", default=5.0)
# Health checks run by themselves on every connection whose last run is older than this (0: only on demand).
HEALTH_RUN_INTERVAL_MINUTES = env.int("HEALTH_RUN_INTERVAL_MINUTES", default=60)
# Health runs older than this are deleted by the scheduler; each connection's latest run is always kept.
HEALTH_RUN_RETENTION_DAYS = env.int("HEALTH_RUN_RETENTION_DAYS", default=30)

# --- Analytics over time (snapshots of each connection's statistics) ----------
# Every connection is snapshotted this often (sizes, pg_stat_statements deltas, connections, cache hits); 0: never.
ANALYTICS_SNAPSHOT_INTERVAL_MINUTES = env.int("ANALYTICS_SNAPSHOT_INTERVAL_MINUTES", default=15)
# Raw snapshots are rolled up into one per hour past this many hours, hourly ones into one per day past
# ANALYTICS_HOURLY_RETENTION_DAYS, and everything past ANALYTICS_RETENTION_DAYS is deleted.
ANALYTICS_RAW_RETENTION_HOURS = env.int("ANALYTICS_RAW_RETENTION_HOURS", default=24)
ANALYTICS_HOURLY_RETENTION_DAYS = env.int("ANALYTICS_HOURLY_RETENTION_DAYS", default=7)
ANALYTICS_RETENTION_DAYS = env.int("ANALYTICS_RETENTION_DAYS", default=30)
# Per snapshot: the largest tables and indexes, and the statements with the most time, that are kept.
ANALYTICS_MAX_RELATIONS = env.int("ANALYTICS_MAX_RELATIONS", default=100)
ANALYTICS_MAX_QUERIES = env.int("ANALYTICS_MAX_QUERIES", default=100)
# Statement timeout of the snapshot's reads on a target (the client-side deadline adds its grace).
ANALYTICS_STATEMENT_TIMEOUT_MS = env.int("ANALYTICS_STATEMENT_TIMEOUT_MS", default=10_000)

# --- Target databases --------------------------------------------------------
TARGET_CONNECT_TIMEOUT = env.int("TARGET_CONNECT_TIMEOUT", default=5)  # seconds
TARGET_STATEMENT_TIMEOUT_MS = env.int("TARGET_STATEMENT_TIMEOUT_MS", default=30_000)
TARGET_LOCK_TIMEOUT_MS = env.int("TARGET_LOCK_TIMEOUT_MS", default=2_000)
# Client-side deadline of every wait on a target: its statement timeout plus this (a frozen server, whose
# statement_timeout cannot fire, then answers 504 instead of hanging the request).
TARGET_CLIENT_DEADLINE_GRACE_S = env.float("TARGET_CLIENT_DEADLINE_GRACE_S", default=10.0)
# Networks a connection may target (CIDR). Link-local and metadata are always refused.
TARGET_ALLOWED_NETWORKS = env.list(
    "TARGET_ALLOWED_NETWORKS",
    default=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/0", "::/0"],
)
# Loopback and Unix sockets: allowed in development only.
TARGET_ALLOW_LOCAL = env.bool("TARGET_ALLOW_LOCAL", default=DEBUG)
# The only directory a connection's sslrootcert may name a CA file in (empty: sslrootcert refused).
TARGET_SSLROOTCERT_DIR = env.str("TARGET_SSLROOTCERT_DIR", default="")

# --- AI ----------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=30.0)
# The assistant's model per purpose (default: OPENAI_MODEL), and what a million tokens cost (USD) for the
# billing page's accounting.
ASSISTANT_CHAT_MODEL = env.str("ASSISTANT_CHAT_MODEL", default="") or OPENAI_MODEL
ASSISTANT_SQL_MODEL = env.str("ASSISTANT_SQL_MODEL", default="") or OPENAI_MODEL
ASSISTANT_PRICE_INPUT_PER_MTOK = env.float("ASSISTANT_PRICE_INPUT_PER_MTOK", default=0.15)
ASSISTANT_PRICE_OUTPUT_PER_MTOK = env.float("ASSISTANT_PRICE_OUTPUT_PER_MTOK", default=0.60)
# What the assistant's tools may do on a target: rows fetched per query, and its statement timeout.
ASSISTANT_ROW_CAP = env.int("ASSISTANT_ROW_CAP", default=100)
ASSISTANT_STATEMENT_TIMEOUT_MS = env.int("ASSISTANT_STATEMENT_TIMEOUT_MS", default=10_000)
# Tool-call rounds per answer, and how often a SQL answer naming an unknown table or column is asked again.
ASSISTANT_MAX_TOOL_ROUNDS = env.int("ASSISTANT_MAX_TOOL_ROUNDS", default=6)
ASSISTANT_SQL_REPAIRS = env.int("ASSISTANT_SQL_REPAIRS", default=2)

# --- Billing -----------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate": {"level": "WARNING"},
    },
}

# --- Sign-in with providers, exchange codes (authinfra) ---------------------
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# The GitHub token is kept encrypted on the user (users.github_token); allauth's
# own token table would hold provider tokens in plain text, so it stays unused.
SOCIALACCOUNT_STORE_TOKENS = False
# GitHub's profile e-mail may be private: ask /user/emails for the verified ones.
SOCIALACCOUNT_QUERY_EMAIL = True
# After a provider sign-in the browser goes to FRONTEND_URL + this path with ?code=.
FRONTEND_OAUTH_CALLBACK_PATH = env.str("FRONTEND_OAUTH_CALLBACK_PATH", default="/auth/callback")
OAUTH_CODE_TTL_SECONDS = env.int("OAUTH_CODE_TTL_SECONDS", default=60)
if GITHUB_WEB_URL.rstrip("/") != "https://github.com":
    # GitHub Enterprise: allauth derives both the web and the API (/api/v3) URLs from it.
    SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"] = GITHUB_WEB_URL.rstrip("/")
# The schema shows paths as documented (/auth/refresh); the routes take an optional slash.
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "dbooster.openapi.documented_paths",
    "dbooster.openapi.documented_errors",
    "dbooster.openapi.json_request_bodies",
]
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "HealthStatusEnum": ["ok", "error"],
        "QueueStatusEnum": ["ok", "no_worker", "error"],
        "ConnectionEngineEnum": ["postgresql"],
    }
)
# Static files (the /docs and /redoc assets, the pages' CSS) served by the app itself under
# gunicorn too, so the Docker image needs no separate web server.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
WHITENOISE_USE_FINDERS = True  # also serve straight from the apps' static dirs when collectstatic has not run
WHITENOISE_AUTOREFRESH = DEBUG

# --- billing ---
# Stripe price ids of the paid plans (price_...); checkout refuses a plan whose price is not set.
STRIPE_PRICE_PRO = env.str("STRIPE_PRICE_PRO", default="")
STRIPE_PRICE_TEAM = env.str("STRIPE_PRICE_TEAM", default="")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)  # seconds a signature stays valid
# Webhook processing retries in the worker: wait BASE * 2**attempt seconds, up to MAX_ATTEMPTS runs.
BILLING_RETRY_BASE_SECONDS = env.int("BILLING_RETRY_BASE_SECONDS", default=10)
BILLING_RETRY_MAX_ATTEMPTS = env.int("BILLING_RETRY_MAX_ATTEMPTS", default=10)

# --- optimizer ---------------------------------------------------------------
# An index suggestion is kept only if it lowers the query's cost by at least this fraction.
OPTIMIZER_MIN_COST_GAIN = env.float("OPTIMIZER_MIN_COST_GAIN", default=0.2)
# Tables with fewer rows get no index suggestions.
OPTIMIZER_MIN_TABLE_ROWS = env.int("OPTIMIZER_MIN_TABLE_ROWS", default=1000)
# Result-equivalence checks compare up to this many rows on the client (past it, a server-side hash).
OPTIMIZER_ROW_CAP = env.int("OPTIMIZER_ROW_CAP", default=10_000)
OPTIMIZER_STATEMENT_TIMEOUT_MS = env.int("OPTIMIZER_STATEMENT_TIMEOUT_MS", default=30_000)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)

# --- target databases (schema_metadata) ---
# The catalog read of a schema sync may take longer than one EXPLAIN on a big schema.
TARGET_SYNC_STATEMENT_TIMEOUT_MS = env.int("TARGET_SYNC_STATEMENT_TIMEOUT_MS", default=120_000)
TARGET_SYNC_LOCK_TIMEOUT_MS = env.int("TARGET_SYNC_LOCK_TIMEOUT_MS", default=10_000)
# Pages of a synced snapshot (GET /metadata, /metadata/tables, ...) are kept in the shared cache this long;
# a sync makes them stale at once whatever is left (0: never cached).
METADATA_CACHE_SECONDS = env.int("METADATA_CACHE_SECONDS", default=600)
# The demo shop database `./dev run` creates (seed_demo); its size in orders.
DEMO_SHOP_DATABASE = env.str("DEMO_SHOP_DATABASE", default="dbooster_demo_shop")
DEMO_SHOP_ORDERS = env.int("DEMO_SHOP_ORDERS", default=1_000_000)

# --- repositories (scans) -----------------------------------------------------
# Scratch space for scans; each scan gets its own directory, removed afterwards.
SCAN_SCRATCH_DIR = Path(env.str("SCAN_SCRATCH_DIR", default=str(VAR_DIR / "scans")))
SCAN_UPLOAD_DIR = Path(env.str("SCAN_UPLOAD_DIR", default=str(VAR_DIR / "scan-uploads")))
SCAN_MAX_ARCHIVE_BYTES = env.int("SCAN_MAX_ARCHIVE_BYTES", default=200 * 1024 * 1024)
SCAN_MAX_FILES = env.int("SCAN_MAX_FILES", default=100_000)
SCAN_MAX_FILE_BYTES = env.int("SCAN_MAX_FILE_BYTES", default=20 * 1024 * 1024)
SCAN_MAX_TOTAL_BYTES = env.int("SCAN_MAX_TOTAL_BYTES", default=2 * 1024 * 1024 * 1024)
SCAN_MAX_COMPRESSION_RATIO = env.int("SCAN_MAX_COMPRESSION_RATIO", default=100)
SCAN_GIT_TIMEOUT = env.int("SCAN_GIT_TIMEOUT", default=300)  # seconds
# Development only: let scans clone local paths and file:// URLs (real local git repositories in tests).
SCAN_ALLOW_LOCAL_REPOSITORIES = env.bool("SCAN_ALLOW_LOCAL_REPOSITORIES", default=False)
SCAN_WORKERS = env.int("SCAN_WORKERS", default=0) or None  # None: every core

# --- approvals ---
# Applying an approved index or DDL change: a short wait for locks, a long bound for the build.
APPROVAL_APPLY_LOCK_TIMEOUT_MS = env.int("APPROVAL_APPLY_LOCK_TIMEOUT_MS", default=5_000)
APPROVAL_APPLY_STATEMENT_TIMEOUT_MS = env.int("APPROVAL_APPLY_STATEMENT_TIMEOUT_MS", default=30 * 60 * 1000)

# --- OpenAPI enum names ---
# Fields named `status` and `kind` carry different choice sets across apps; each set gets a stable name
# (drf-spectacular would otherwise warn and invent hashed names like StatusF6eEnum).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        # queued/running/succeeded/failed: scans, schema syncs and apply attempts share the one set.
        "JobStatusEnum": "schema_metadata.models.SchemaSync.Status",
        "InvitationStatusEnum": "organizations.models.Invitation.Status",
        "PaymentStatusEnum": "billing.models.PaymentHistory.Status",
        "WebhookEventStatusEnum": "billing.models.WebhookEvent.Status",
        "PlanStatusEnum": "optimizer.models.OptimizationRun.PlanStatus",
        "NotificationKindEnum": "notifications.models.NotificationKind",
        "ProposalKindEnum": "approvals.models.Proposal.Kind",
        "ProposalStateEnum": "approvals.models.Proposal.State",
        "SuggestionKindEnum": "optimizer.models.Suggestion.Kind",
        "QueryAnalysisKindEnum": "schema_metadata.models.QueryAnalysis.Kind",
        "DbTableKindEnum": "schema_metadata.models.DbTable.Kind",
    }
)

# --- repositories (audit) ---
# A scan still queued or running after this many seconds lost its worker: the next request for the same
# repository and branch marks it failed and starts a new scan instead of joining it.
SCAN_ABANDONED_AFTER = env.int("SCAN_ABANDONED_AFTER", default=6 * 3600)

# --- accounts: caches, rate limits, e-mail codes ---------------------------------------------
# One store every worker shares: Redis when REDIS_URL is set, else tables in DBooster's own
# PostgreSQL (made by `manage.py createcachetable`). `default` holds cached documents and counts;
# `ratelimit` the rate-limit counters (a table of its own, so culling the cache never resets a limit).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ratelimit",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dbooster_cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
        "ratelimit": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "dbooster_rate_limits"},
    }
# Limits per endpoint class: per `account` (the signed-in user, or the e-mail a sign-in or reset names)
# and per `address` (client IP; an IPv6 /64). "30/min", "10/hour", "5/10min". Env: RATE_LIMIT_<CLASS>_<KIND>.
_RATE_LIMIT_DEFAULTS = {
    "sign_in": {"account": "10/min", "address": "30/min"},
    "sign_up": {"account": "5/hour", "address": "20/hour"},
    "password_check": {"address": "60/min"},
    "codes": {"account": "10/10min", "address": "30/10min"},
    "password_reset": {"account": "5/hour", "address": "20/hour"},
    "sql": {"account": "60/min", "address": "120/min"},
    "optimize": {"account": "30/min", "address": "60/min"},
    "assistant": {"account": "20/min", "address": "40/min"},
    "scans": {"account": "10/min", "address": "20/min"},
}
RATE_LIMITS = {
    scope: {kind: env.str(f"RATE_LIMIT_{scope.upper()}_{kind.upper()}", default=rate) for kind, rate in kinds.items()}
    for scope, kinds in _RATE_LIMIT_DEFAULTS.items()
}
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket's address).
RATE_LIMIT_TRUSTED_PROXIES = env.int("RATE_LIMIT_TRUSTED_PROXIES", default=0)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("dbooster.ratelimit.document_rate_limits")

# E-mailed one-time codes (sign-up, e-mail change, password reset).
EMAIL_CODE_TTL_MINUTES = env.int("EMAIL_CODE_TTL_MINUTES", default=15)
EMAIL_CODE_MAX_ATTEMPTS = env.int("EMAIL_CODE_MAX_ATTEMPTS", default=5)
