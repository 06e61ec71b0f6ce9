"""Settings for the FMEA risk register, read from environment variables only.

With no environment the app runs on the embedded defaults: SQLite under var/ and
Celery's filesystem broker. DATABASE_URL and CELERY_BROKER_URL select PostgreSQL and
Redis (or RabbitMQ) for production.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from fmea.env import env_bool, env_int, env_list, env_percent, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("FMEA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) to a long random "
            "string, or set DEBUG=1 for local development."
        )
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "django_celery_results",
    "registry",
    # Last, as it asks: deletes files of deleted rows once the transaction commits.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "fmea.metrics.RequestMetricsMiddleware",
    "fmea.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fmea.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "registry.views.signin.LoginThrottleMiddleware",
]

ROOT_URLCONF = "fmea.urls"
WSGI_APPLICATION = "fmea.wsgi.application"

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

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing at once, and let
    # readers proceed beside the writer (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Email: printed to the console unless EMAIL_URL-style settings select SMTP.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fmea-register@localhost")

# Security: strict outside DEBUG; SECURE_SSL_REDIRECT can be turned off behind a
# proxy that terminates TLS and already redirects.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# HSTS preload commits the whole domain and its subdomains to HTTPS in browsers and is
# hard to undo: it is opt-in (SECURE_HSTS_PRELOAD=1), so its deploy warning is expected.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: filesystem broker under var/ by default (no server), Redis or RabbitMQ by URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    # kombu's filesystem transport, writing each message whole (see fmea/broker.py).
    CELERY_BROKER_TRANSPORT = "fmea.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    # A broker that does not answer fails a publish within seconds instead of hanging
    # the request (the job is then failed and the client told to retry).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": env_int("CELERY_BROKER_CONNECT_TIMEOUT", 3),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECT_TIMEOUT", 3)
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes these into its database schedule on start; edit them in the admin.
CELERY_BEAT_SCHEDULE = {
    "nightly-rollups": {
        "task": "registry.nightly_rollups",
        "schedule": crontab(hour=2, minute=15),
    },
    "sweep-dirty-teams": {"task": "registry.sweep_dirty_teams", "schedule": 60.0},
    "prune-report-runs": {
        "task": "registry.prune_report_runs",
        "schedule": crontab(hour=3, minute=30),
    },
    "prune-checked-uploads": {
        "task": "registry.prune_checked_uploads",
        "schedule": crontab(hour=3, minute=45),
    },
    # Report runs and imports whose worker died whole go back to the queue.
    "requeue-stale-report-runs": {"task": "registry.requeue_stale_report_runs", "schedule": 60.0},
    "requeue-stale-imports": {"task": "registry.requeue_stale_imports", "schedule": 60.0},
}
# A running job's worker stamps its heartbeat this often; a job whose last stamp is
# older than JOB_STALE_AFTER_SECONDS is taken back by the sweep and queued again.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 30)
JOB_STALE_AFTER_SECONDS = env_int("JOB_STALE_AFTER_SECONDS", 180)
# A job whose task could not be queued is failed; the API's 503 says to retry after this.
JOB_QUEUE_RETRY_AFTER_SECONDS = env_int("JOB_QUEUE_RETRY_AFTER_SECONDS", 30)
# Queue names (tests give each process its own).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_DEFAULT_QUEUE", "celery")
# A change waits this long before its team is recomputed, so bursts coalesce.
FMEA_RECOMPUTE_DELAY_SECONDS = env_int("FMEA_RECOMPUTE_DELAY_SECONDS", 2)
# An invitation's link works this many days; inviting the name again renews it.
FMEA_INVITATION_DAYS = env_int("FMEA_INVITATION_DAYS", 14)
if FMEA_INVITATION_DAYS < 1:
    raise ImproperlyConfigured(
        f"FMEA_INVITATION_DAYS must be 1 or more; got {FMEA_INVITATION_DAYS}"
    )
# The availability (percent) counted for a component with no figure entered; findings
# and pages say so wherever it is used.
FMEA_ASSUMED_AVAILABILITY = env_percent("FMEA_ASSUMED_AVAILABILITY", "99.9")
# Recovery inputs counted where none is entered, marked as assumed wherever used: the
# time to notice a disruption and decide (an application's detection time), and the
# time to restore a component within its region.
FMEA_DEFAULT_DETECTION_SECONDS = env_int("FMEA_DEFAULT_DETECTION_SECONDS", 300)
FMEA_ASSUMED_RECOVERY_SECONDS = env_int("FMEA_ASSUMED_RECOVERY_SECONDS", 3600)
# Incidents are held against probability and detectability ratings over this window,
# and a rating is flagged when the observed one is worse by at least the margin.
FMEA_EVIDENCE_WINDOW_DAYS = env_int("FMEA_EVIDENCE_WINDOW_DAYS", 365)
FMEA_EVIDENCE_MARGIN = env_int("FMEA_EVIDENCE_MARGIN", 2)
CELERY_TIMEZONE = TIME_ZONE
# Slow work (reports, worksheet imports) runs on its own queue, so that it never holds
# up the recomputes on the default queue: `celery worker -Q celery,reports`.
REPORT_QUEUE = env_str("CELERY_REPORT_QUEUE", "reports")
CELERY_TASK_ROUTES = {
    name: {"queue": REPORT_QUEUE}
    for name in (
        "registry.generate_report",
        "registry.run_report_schedule",
        "registry.import_worksheet",
    )
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When the broker connection drops, a running report or import carries on and finishes
# (its row is the result; the claim makes the redelivered message a no-op) rather than
# being cancelled and started over. Workers that exit anyway are started again
# (bin/respawn in the Procfile, restart: unless-stopped in docker-compose), and a job
# whose worker is gone is taken back by the stale-heartbeat sweep.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# Reports: page size of the PDF (A4 or LETTER, landscape), the largest file emailed as
# an attachment (larger ones are sent as a link under REPORT_LINK_BASE_URL), row limits
# per format, and when a run left "running" by a lost worker may be claimed again.
REPORT_PAGE_SIZE = env_str("REPORT_PAGE_SIZE", "A4").upper()
if REPORT_PAGE_SIZE not in ("A4", "LETTER"):
    raise ImproperlyConfigured(f"REPORT_PAGE_SIZE must be A4 or LETTER; got {REPORT_PAGE_SIZE!r}")
REPORT_EMAIL_ATTACHMENT_MAX_BYTES = env_int("REPORT_EMAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
REPORT_LINK_BASE_URL = env_str("REPORT_LINK_BASE_URL", "http://localhost:8000").rstrip("/")
REPORT_PDF_MAX_ROWS = env_int("REPORT_PDF_MAX_ROWS", 20_000)
REPORT_XLSX_MAX_ROWS = env_int("REPORT_XLSX_MAX_ROWS", 1_000_000)
REPORT_STALE_AFTER_SECONDS = env_int("REPORT_STALE_AFTER_SECONDS", CELERY_TASK_TIME_LIMIT + 60)
# Runs (and their files) older than this are deleted nightly; 0 keeps them all.
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 90)
# Worksheet imports: upload size, total uncompressed size of an XLSX (zip bombs), rows,
# and the size above which an upload is imported by a Celery task instead of in the
# request.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_MAX_BYTES", 256 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "registry.api.pagination.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.StandardPagination",
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.JSONParser"],
    # orjson, with the bytes DRF's own JSONRenderer writes (registry/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": [
        "registry.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "ORDERING_PARAM": "ordering",
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rates per user (authenticated), per client address (anonymous) and per address for
    # the token endpoint ("auth"), e.g. "5000/hour"; counted in the default cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.throttling.UserThrottle",
        "registry.api.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("THROTTLE_USER_RATE", "5000/hour"),
        "anon": env_str("THROTTLE_ANON_RATE", "1000/hour"),
        "auth": env_str("THROTTLE_AUTH_RATE", "10/minute"),
    },
    # How many trusted reverse proxies append to X-Forwarded-For. 0: the client address
    # is REMOTE_ADDR and X-Forwarded-For is ignored, so clients cannot forge it to dodge
    # the limits. Behind one proxy that appends the client address, set 1.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

# Cache: per process by default; Redis (CACHE_URL=redis://...) shares it, and with it
# the API's rate-limit counters and the sign-in lockout, between processes and hosts.
# Nothing stored depends on it: when it is down, limits and lockout are not enforced
# (a warning is logged) and /readyz says so. Short timeouts, so that an unreachable
# cache costs a request half a second at most instead of hanging it.
CACHE_URL = env_str("CACHE_URL", "")
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "fmea",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
elif not CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL must be a Redis URL (redis://, rediss:// or unix://); got {CACHE_URL!r}"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "FMEA Risk Register API",
    "DESCRIPTION": "Failure modes, recovery objectives and dependency trees of applications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share field names; name each enum after its set.
    "ENUM_NAME_OVERRIDES": {
        "ComponentKindEnum": "registry.choices.ComponentKind",
        "TemplateComponentKindEnum": "registry.choices.TemplateComponentKind",
        "FailureModeStatusEnum": "registry.choices.FailureModeStatus",
        "SuppressionStatusEnum": "registry.choices.SuppressionStatus",
        "WebhookEventEnum": "registry.choices.WebhookEvent",
        "IncidentSourceEnum": "registry.choices.IncidentSource",
        "ReceiverSourceEnum": "registry.choices.RECEIVER_SOURCE_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.describe_generic_fields",
        "registry.api.schema.add_error_responses",
        "registry.api.schema.add_links",
    ],
}

# JSON lines in production, readable text in development (LOG_FORMAT=json|text).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "fmea.observability.ContextFilter"}},
    "formatters": {
        "json": {"()": "fmea.observability.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s "
            "team=%(team)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # One line per request comes from fmea.requests; Django's own would repeat it.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}

# Outbound webhooks: receivers on loopback, private or link-local addresses are refused
# unless allowed (a register whose receivers are all internal); each attempt waits this
# long for an answer and follows no redirect; a failed delivery is retried with
# exponential backoff from WEBHOOK_RETRY_BASE_SECONDS, each wait at most an hour, until
# WEBHOOK_RETRY_HOURS after the event.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24)
CELERY_BEAT_SCHEDULE["retry-webhook-deliveries"] = {
    "task": "registry.sweep_webhook_deliveries",
    "schedule": 60.0,
}

# Prometheus metrics at /metrics: a scrape needs `Authorization: Bearer METRICS_TOKEN`
# or a client address in METRICS_ALLOWED_IPS (comma-separated addresses or networks,
# e.g. 10.0.0.0/8); with neither set, every scrape is refused.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""
# Where gunicorn's and Celery's processes write their metrics (prometheus-client reads
# the variable itself; unset: each process keeps its own, as in development).
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from exc

# Single sign-on with OpenID Connect: on when OIDC_ISSUER is set. Endpoints come from
# the issuer's discovery document. LOCAL_LOGIN_ENABLED=0 turns password sign-in off
# (the sign-in page, the admin and the token endpoint); API tokens keep working.
OIDC_ISSUER = env_str("OIDC_ISSUER", "") or ""
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID", "") or ""
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "") or ""
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile groups")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "") or "single sign-on"
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 5)
OIDC_USE_PKCE = True
OIDC_AUTHENTICATE_CLASS = "fmea.oidc.SignOnRequestView"
OIDC_CALLBACK_CLASS = "fmea.oidc.SignOnCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sign_on=failed"
LOCAL_LOGIN_ENABLED = env_bool("LOCAL_LOGIN_ENABLED", default=True)
if not LOCAL_LOGIN_ENABLED and not OIDC_ISSUER:
    raise ImproperlyConfigured("LOCAL_LOGIN_ENABLED=0 needs OIDC_ISSUER: nobody could sign in.")
AUTHENTICATION_BACKENDS = [
    "fmea.oidc.SignOnBackend",
    "django.contrib.auth.backends.ModelBackend"
    if LOCAL_LOGIN_ENABLED
    else "fmea.oidc.NoPasswordBackend",
]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("fmea.oidc.sign_in_options")
