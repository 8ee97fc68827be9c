"""Easel settings: one module, every value from the environment (see .env.example).

Features switch on because their configuration is present: REDIS_URL turns on the Celery
worker topology and Redis event logs; DATABASE_URL picks the database; AWS_STORAGE_BUCKET_NAME
picks S3 storage. With none of them, Easel runs embedded: SQLite, files on disk, generation in
the web process.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
VAR_DIR = Path(env("EASEL_VAR_DIR", default=str(BASE_DIR / "var")))


def _keep_private(var_dir: Path) -> None:
    """var/ holds the secret key, the SQLite database and (embedded) every image: only this
    account may read them. Files this process creates are 0600 (umask), and what an older
    install left readable is tightened at start-up."""
    import os
    import stat

    os.umask(os.umask(0) | 0o077)
    if not var_dir.is_dir() or var_dir.stat().st_uid != os.getuid():
        return
    var_dir.chmod(0o700)
    for path in [var_dir / "secret_key", var_dir / "demo_api_key", *var_dir.glob("*.sqlite3*")]:
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)


_keep_private(VAR_DIR)
# `make run` writes var/secret_key once, so a development install needs no configuration.
_secret_file = VAR_DIR / "secret_key"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or (_secret_file.read_text().strip() if _secret_file.exists() else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (make run creates var/secret_key for you).")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "servestatic",
    "rest_framework",
    # The OpenAPI contract of /api (designs/api/schema*.py) and its docs pages' local assets.
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "designs",
    "workers",
    # Sign-in lockout (django-axes): failed attempts are rows in the database, so every web
    # process sees the same count.
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "designs.middleware.content_security_policy",
    # Static files straight from the ASGI app, before anything touches the session or the DB.
    "servestatic.middleware.ServeStaticMiddleware",
    "designs.middleware.api_request_limit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'easel.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the generation threads write; IMMEDIATE
    # transactions take the write lock up front instead of failing half-way with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Keep connections: the last connection to close checkpoints the WAL (fsyncs), and with a
    # connection per request or task that happened on every turn, costing ~4 ms of the time to
    # first token in the web and the worker alike (measured with bench/).
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif env.bool("EASEL_DB_POOL", default=True):
    # PostgreSQL through a connection pool per process (psycopg_pool, Django's "pool" option):
    # a new PostgreSQL connection forks a backend and warms its caches, which cost ~30 ms of
    # the machine's CPU per turn (measured with bench/, web + worker + server) when each request
    # and each run opened its own. Connections go back to the pool where Django would close
    # them (end of request, designs.db, before a provider stream), so a worker running hundreds
    # of runs still holds only the few that are doing database work at that moment.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("EASEL_DB_POOL_MIN", default=2),
        "max_size": env.int("EASEL_DB_POOL_MAX", default=20),
        "timeout": env.float("EASEL_DB_POOL_TIMEOUT", default=30.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Behind TLS ------------------------------------------------------------------------------
# Off by default so `make run` works on plain http://127.0.0.1. A deployment behind HTTPS turns
# on EASEL_SECURE_COOKIES (session and CSRF cookies sent over HTTPS only), EASEL_HSTS_SECONDS
# (browsers refuse plain HTTP for that long: start small), and, when a proxy ends TLS,
# EASEL_PROXY_SSL_HEADER=1 (trust its X-Forwarded-Proto: https; only behind a proxy that always
# sets or strips that header). EASEL_SSL_REDIRECT sends plain-HTTP requests to HTTPS.
EASEL_SECURE_COOKIES = env.bool("EASEL_SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = EASEL_SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("EASEL_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("EASEL_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("EASEL_PROXY_SSL_HEADER", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("EASEL_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Sign-in protection (django-axes) -------------------------------------------------------
# After EASEL_LOGIN_FAILURE_LIMIT failed sign-ins for one account, or from one address, that
# account or address is refused (429, a page saying when to try again) for
# EASEL_LOGIN_COOLOFF_MINUTES after its last failure; a success resets its count. The dashboard's
# sign-in, /admin/login/ and invitation links all count. Behind a reverse proxy, run the web
# process with FORWARDED_ALLOW_IPS set to the proxy's address so the client's address is the
# real one (uvicorn reads X-Forwarded-For only from there); otherwise every client looks alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("EASEL_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("EASEL_LOGIN_COOLOFF_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = "designs.signin.lockout_parameters"  # per account, and per address
AXES_USERNAME_CALLABLE = "designs.signin.typed_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "designs.signin.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("EASEL_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# `collectstatic` (make run, make up, the Procfile's release) writes hashed, gzipped copies to
# STATIC_ROOT; pages name those, cached for a year (project/static_storage.py). The finders
# still serve the plain names, so a page works before collectstatic has run. DJANGO_DEBUG=1:
# plain names only, re-read from static/ on every request.
SERVESTATIC_USE_FINDERS = True

# --- Dashboard sign-in ----------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Days an invitation link works; after that the project's admin issues a new one (Members page).
EASEL_INVITATION_TTL_DAYS = env.int("EASEL_INVITATION_TTL_DAYS", default=7)

MEDIA_ROOT = Path(env("EASEL_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "project.static_storage.StaticStorage"},
}

# --- Media storage: S3-compatible when a bucket is configured ---------------------------------
# Media URLs are always Easel's own signed URLs (/api/media/...). On the filesystem Easel serves
# the bytes; with a bucket it answers with a redirect to a short-lived presigned URL, so bytes
# never pass through the web process while expiry, tampering and deletion stay Easel's to
# enforce (a deleted document's URL is a 404 at once, even when another document shares its
# bytes). EASEL_MEDIA_PUBLIC_URLS=1 hands out the bucket's plain, unsigned URLs instead, for a
# public bucket or CDN.
EASEL_MEDIA_PUBLIC_URLS = env.bool("EASEL_MEDIA_PUBLIC_URLS", default=False)
EASEL_MEDIA_REDIRECT_TTL = env.int("EASEL_MEDIA_REDIRECT_TTL", default=300)
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
# stream: Easel sends the bytes; redirect: 302 to a presigned bucket URL; public: unsigned bucket URLs.
# "stream" also suits a bucket that only the servers can reach.
EASEL_MEDIA_DELIVERY = env("EASEL_MEDIA_DELIVERY", default="") or (
    "public" if EASEL_MEDIA_PUBLIC_URLS else "redirect" if AWS_STORAGE_BUCKET_NAME else "stream"
)
if EASEL_MEDIA_DELIVERY not in ("stream", "redirect", "public") or (
    EASEL_MEDIA_DELIVERY != "stream" and not AWS_STORAGE_BUCKET_NAME
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EASEL_MEDIA_DELIVERY is stream, or redirect/public with AWS_STORAGE_BUCKET_NAME set.")
if AWS_STORAGE_BUCKET_NAME:
    _custom_domain = env("AWS_S3_CUSTOM_DOMAIN", default="") or None
    if _custom_domain and EASEL_MEDIA_DELIVERY != "public":
        from django.core.exceptions import ImproperlyConfigured

        # django-storages never signs URLs on a custom domain: they would be public.
        raise ImproperlyConfigured("AWS_S3_CUSTOM_DOMAIN URLs are never signed; it needs EASEL_MEDIA_PUBLIC_URLS=1.")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "location": env("AWS_LOCATION", default=""),
            "custom_domain": _custom_domain,
            "signature_version": "s3v4",
            "querystring_auth": EASEL_MEDIA_DELIVERY != "public",
            "querystring_expire": EASEL_MEDIA_REDIRECT_TTL,
            "default_acl": None,
            # File names are content hashes: a name's bytes never change.
            "object_parameters": {"CacheControl": "private, max-age=31536000, immutable"},
        },
    }


# --- Content-Security-Policy ------------------------------------------------------------------
# Every response says: scripts, styles, fonts and connections from this origin only (the
# dashboard has no inline script or style), images also from the bucket a media URL redirects
# to, no framing, no plugins. django-csp builds the header from this dict (csp.utils.build_policy);
# designs.middleware sets it without a thread hop per request. EASEL_CSP_IMG_SRC adds origins.
def _bucket_origins() -> list[str]:
    from urllib.parse import urlsplit

    if not AWS_STORAGE_BUCKET_NAME:
        return []
    endpoint = env("AWS_S3_ENDPOINT_URL", default="")
    if endpoint:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]
    origins = ["https://*.amazonaws.com"]
    return origins + ([f"https://{_custom_domain}"] if _custom_domain else [])


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_bucket_origins(), *env.list("EASEL_CSP_IMG_SRC", default=[])],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Request limits -------------------------------------------------------------------------
EASEL_MAX_REQUEST_BYTES = env.int("EASEL_MAX_REQUEST_BYTES", default=25 * 1024 * 1024)
EASEL_MAX_JSON_DEPTH = env.int("EASEL_MAX_JSON_DEPTH", default=64)  # nesting levels of any JSON Easel reads
EASEL_MAX_UPLOAD_BYTES = env.int("EASEL_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
EASEL_MAX_IMAGE_PIXELS = env.int("EASEL_MAX_IMAGE_PIXELS", default=40_000_000)
EASEL_THUMBNAIL_SIZE = env.int("EASEL_THUMBNAIL_SIZE", default=256)
# The display size pages pick by srcset: twice a thread card's 416 CSS px, sharp on 2x screens.
# An image no larger than this gets no display file (its original serves).
EASEL_DISPLAY_SIZE = env.int("EASEL_DISPLAY_SIZE", default=832)
# Thread uploads that no document derives from and no message attaches are purged after this
# many days (0 keeps them forever); see designs.services.documents.documents_purge_unreferenced.
EASEL_UPLOAD_RETENTION_DAYS = env.int("EASEL_UPLOAD_RETENTION_DAYS", default=0)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("EASEL_MAX_FORM_BYTES", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Stored images are private to the service's account, like the rest of var/ (Django's default is 0644).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Limits ---------------------------------------------------------------------------------
# What one project, key or user may hold at once; 0 turns a limit off. Over a limit the API
# answers 429 with Retry-After and a {"detail"} naming the limit; a websocket is closed with 4429.
# Runs in progress (queued or running), counted in the database when a turn is accepted
# (designs/services/limits.py); dashboard turns count for their project only.
EASEL_MAX_RUNS_PER_PROJECT = env.int("EASEL_MAX_RUNS_PER_PROJECT", default=50)
EASEL_MAX_RUNS_PER_KEY = env.int("EASEL_MAX_RUNS_PER_KEY", default=20)
# API requests a minute per key (per user for a signed-in dashboard), bursts of up to that many;
# in Redis when REDIS_URL is set, so every web process shares it (designs/ratelimit.py).
EASEL_RATE_LIMIT_PER_MINUTE = env.int("EASEL_RATE_LIMIT_PER_MINUTE", default=600)
# Open websocket feeds (designs/ws_slots.py).
EASEL_MAX_WEBSOCKETS_PER_USER = env.int("EASEL_MAX_WEBSOCKETS_PER_USER", default=20)
EASEL_MAX_WEBSOCKETS_PER_KEY = env.int("EASEL_MAX_WEBSOCKETS_PER_KEY", default=50)
# Seconds a connection has to send a whole request head, from its first byte (or from connecting)
# to the blank line; then it is closed. Uvicorn has no such timeout; project/server.py adds it.
# The server's other limits are uvicorn flags in the Procfile and `make run`
# (EASEL_KEEPALIVE_TIMEOUT, EASEL_WEB_MAX_CONNECTIONS, EASEL_MAX_HEADER_BYTES).
EASEL_HEADER_TIMEOUT = env.float("EASEL_HEADER_TIMEOUT", default=10.0)

# --- Redis, Celery, Channels ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
EASEL_EXECUTION = "celery" if REDIS_URL else "embedded"
EASEL_EMBEDDED_WORKERS = env.int("EASEL_EMBEDDED_WORKERS", default=16)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this
# is set, and in a prefork worker it closes PostgreSQL's whole connection pool too, under the
# webhook delivery and heartbeat threads still using it (their deliveries failed with "the pool is
# closed", then waited 30 s for a connection). With this set it leaves connections alone, and
# project/celery.py gives back the task's own at its end, as CONN_MAX_AGE says: on SQLite, whose
# connections persist, a run no longer opens a new one (1.3-1.5 ms of the time to first event);
# on PostgreSQL the connection goes back to the pool, which a thread must not keep.
CELERY_DB_REUSE_MAX = env.int("EASEL_CELERY_DB_REUSE_MAX", default=10**9)
EASEL_RUN_TIME_LIMIT = env.int("EASEL_RUN_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = EASEL_RUN_TIME_LIMIT + 30
CELERY_TASK_SOFT_TIME_LIMIT = EASEL_RUN_TIME_LIMIT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Must exceed the task time limit, or a live task is handed to a second worker.
    "visibility_timeout": env.int("EASEL_VISIBILITY_TIMEOUT", default=EASEL_RUN_TIME_LIMIT + 300),
    # How often a worker looks for messages orphaned by a dead worker (interval x throttle seconds).
    "unacked_restore_interval": env.int("EASEL_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("EASEL_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Failover (workers/liveness.py): each process beats for its runs every EASEL_HEARTBEAT_SECONDS
# (one UPDATE); a run whose beat is older than EASEL_STALE_RUN_SECONDS (four missed beats) lost
# its worker, and the sweeper, every EASEL_SWEEP_INTERVAL, restarts or fails it: at most stale +
# interval (10 s) after the death.
EASEL_HEARTBEAT_SECONDS = env.float("EASEL_HEARTBEAT_SECONDS", default=2.0)
EASEL_STALE_RUN_SECONDS = env.float("EASEL_STALE_RUN_SECONDS", default=8.0)
EASEL_QUEUED_RUN_TIMEOUT = env.int("EASEL_QUEUED_RUN_TIMEOUT", default=900)
EASEL_SWEEP_INTERVAL = env.float("EASEL_SWEEP_INTERVAL", default=2.0)
# Webhooks (designs/services/webhooks.py, workers/webhooks.py). Retries back off over about a
# day (seconds, each with +-20 % jitter); an endpoint failing for EASEL_WEBHOOK_DISABLE_AFTER
# seconds is disabled. Private, loopback and metadata addresses are refused unless allowed.
EASEL_WEBHOOK_ALLOW_PRIVATE = env.bool("EASEL_WEBHOOK_ALLOW_PRIVATE", default=False)
EASEL_WEBHOOK_RETRY_SCHEDULE = [
    float(step)
    for step in env.list("EASEL_WEBHOOK_RETRY_SCHEDULE", default=["5", "30", "120", "600", "3600", "14400", "43200"])
]
EASEL_WEBHOOK_TIMEOUT = env.float("EASEL_WEBHOOK_TIMEOUT", default=10.0)
EASEL_WEBHOOK_DISABLE_AFTER = env.int("EASEL_WEBHOOK_DISABLE_AFTER", default=86400)
EASEL_WEBHOOK_MAX_ENDPOINTS = env.int("EASEL_WEBHOOK_MAX_ENDPOINTS", default=20)
EASEL_WEBHOOK_POLL_SECONDS = env.float("EASEL_WEBHOOK_POLL_SECONDS", default=5.0)
# The poller sends what was due this long ago and never went: a crashed process's deliveries.
EASEL_WEBHOOK_POLL_GRACE = env.float("EASEL_WEBHOOK_POLL_GRACE", default=30.0)
# How long an attempt holds its delivery: past every timeout of one post, so only a dead
# worker's attempt is ever taken over.
EASEL_WEBHOOK_LEASE_SECONDS = env.float("EASEL_WEBHOOK_LEASE_SECONDS", default=EASEL_WEBHOOK_TIMEOUT * 3 + 30)
EASEL_WEBHOOK_WORKERS = env.int("EASEL_WEBHOOK_WORKERS", default=16)
CELERY_BEAT_SCHEDULE = {
    # A sweep that waited five intervals for a worker is dropped (later ones do its work), so a
    # worker back from an outage does not run a pile of them.
    "sweep-stale-runs": {
        "task": "easel.sweep_stale_runs",
        "schedule": EASEL_SWEEP_INTERVAL,
        "options": {"expires": EASEL_SWEEP_INTERVAL * 5},
    },
    "purge-idempotency-keys": {"task": "easel.purge_idempotency_keys", "schedule": 3600.0},
    "purge-unreferenced-uploads": {"task": "easel.purge_unreferenced_uploads", "schedule": 6 * 3600.0},
    "deliver-due-webhooks": {"task": "easel.deliver_due_webhooks", "schedule": EASEL_WEBHOOK_POLL_SECONDS},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Runs and events ------------------------------------------------------------------------
EASEL_REDIS_MAX_CONNECTIONS = env.int("EASEL_REDIS_MAX_CONNECTIONS", default=5000)  # per web process
EASEL_EVENT_LOG_TTL = env.int("EASEL_EVENT_LOG_TTL", default=24 * 3600)
EASEL_RUN_WAIT_TIMEOUT = env.int("EASEL_RUN_WAIT_TIMEOUT", default=EASEL_RUN_TIME_LIMIT + 30)
EASEL_SSE_KEEPALIVE = env.float("EASEL_SSE_KEEPALIVE", default=15.0)
# How long one GET /api/events connection stays open; the client reconnects with its last event id.
EASEL_FEED_SECONDS = env.float("EASEL_FEED_SECONDS", default=300.0)
EASEL_MAX_TOOL_ROUNDS = env.int("EASEL_MAX_TOOL_ROUNDS", default=4)
# Seconds a run paused for the caller's own tools waits for their outputs before the sweep ends it.
EASEL_TOOL_OUTPUT_TIMEOUT = env.int("EASEL_TOOL_OUTPUT_TIMEOUT", default=600)

# --- Media URLs -----------------------------------------------------------------------------
EASEL_PUBLIC_URL = env("EASEL_PUBLIC_URL", default="")
EASEL_MEDIA_URL_TTL = env.int("EASEL_MEDIA_URL_TTL", default=7 * 24 * 3600)

# --- Providers ------------------------------------------------------------------------------
EASEL_LOCAL_FALLBACK = env.bool("EASEL_LOCAL_FALLBACK", default=False)
EASEL_LOCAL_STREAM_DELAY = env.float("EASEL_LOCAL_STREAM_DELAY", default=0.02)
EASEL_LOCAL_IMAGE_DELAY = env.float("EASEL_LOCAL_IMAGE_DELAY", default=0.0)
EASEL_DEFAULT_LLM = env("EASEL_DEFAULT_LLM", default="")  # "provider/model"; empty: first configured
EASEL_DEFAULT_IMAGE_MODEL = env("EASEL_DEFAULT_IMAGE_MODEL", default="")
# Product customization's preview tier: a fast, cheap model on the base scaled to this longer side.
EASEL_PREVIEW_IMAGE_MODEL = env("EASEL_PREVIEW_IMAGE_MODEL", default="local/easel-local-painter")
EASEL_PREVIEW_MAX_SIDE = env.int("EASEL_PREVIEW_MAX_SIDE", default=512)
EASEL_PROVIDER_CONNECT_TIMEOUT = env.float("EASEL_PROVIDER_CONNECT_TIMEOUT", default=10.0)
EASEL_PROVIDER_READ_TIMEOUT = env.float("EASEL_PROVIDER_READ_TIMEOUT", default=120.0)
EASEL_PROVIDER_MAX_RETRIES = env.int("EASEL_PROVIDER_MAX_RETRIES", default=2)
# A 429 asking us to wait longer than this fails the call at once instead of holding the run.
EASEL_PROVIDER_MAX_RETRY_WAIT = env.float("EASEL_PROVIDER_MAX_RETRY_WAIT", default=30.0)
EASEL_PROVIDERS: dict[str, dict] = {
    "openai": {
        "key_setting": "OPENAI_API_KEY",
        "api_key": env("OPENAI_API_KEY", default=""),
        "base_url": env("OPENAI_BASE_URL", default="https://api.openai.com/v1"),
    },
    "openrouter": {
        "key_setting": "OPENROUTER_API_KEY",
        "api_key": env("OPENROUTER_API_KEY", default=""),
        "base_url": env("OPENROUTER_BASE_URL", default="https://openrouter.ai/api/v1"),
    },
    "anthropic": {
        "key_setting": "ANTHROPIC_API_KEY",
        "api_key": env("ANTHROPIC_API_KEY", default=""),
        "base_url": env("ANTHROPIC_BASE_URL", default="https://api.anthropic.com"),
    },
    "google": {
        "key_setting": "GOOGLE_API_KEY",
        "api_key": env("GOOGLE_API_KEY", default="") or env("GEMINI_API_KEY", default=""),
        "base_url": env("GOOGLE_BASE_URL", default="https://generativelanguage.googleapis.com"),
    },
}


def _openai_compatible(spec: str) -> dict[str, dict]:
    """`name=base_url,...` -> provider entries; `<NAME>_API_KEY` and `<NAME>_MODELS` are optional.

    Self-hosted servers (vLLM, Ollama, LM Studio, LocalAI) often take no key, so a listed
    server is configured by its base URL alone.
    """
    import re

    from django.core.exceptions import ImproperlyConfigured

    servers: dict[str, dict] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, base_url = (x.strip() for x in item.partition("="))
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name) or not base_url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"EASEL_OPENAI_COMPATIBLE: expected name=http(s)://host/v1, got {item!r}")
        if name in EASEL_PROVIDERS or name in servers or name == "local":
            raise ImproperlyConfigured(f"EASEL_OPENAI_COMPATIBLE: the name {name!r} is already taken")
        prefix = name.upper().replace("-", "_")
        servers[name] = {
            "key_setting": f"{prefix}_API_KEY",
            "api_key": env(f"{prefix}_API_KEY", default=""),
            "base_url": base_url,
            "openai_compatible": True,
            "models": env.list(f"{prefix}_MODELS", default=[]),
        }
    return servers


EASEL_PROVIDERS.update(_openai_compatible(env("EASEL_OPENAI_COMPATIBLE", default="")))
# Provider keys a project stores are encrypted with Fernet. Give one key (Fernet.generate_key())
# or several, comma-separated: the first encrypts, all decrypt (rotation). Empty: a key derived
# from SECRET_KEY, so rotating SECRET_KEY then makes stored provider keys unreadable.
EASEL_ENCRYPTION_KEYS = env.list("EASEL_ENCRYPTION_KEY", default=[])
# Whether a project may point a provider at its own base URL. Off by default: the workers would
# then send requests wherever a project says (an SSRF risk on a shared server).
EASEL_ALLOW_PROJECT_BASE_URLS = env.bool("EASEL_ALLOW_PROJECT_BASE_URLS", default=False)

# --- Django REST framework ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["designs.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "designs.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "designs.errors.api_exception_handler",
    # Requests per minute per key or user (see Limits); the async views call the same meter.
    "DEFAULT_THROTTLE_CLASSES": ["designs.ratelimit.RequestRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "designs.api.schema.EaselAutoSchema",  # drf-spectacular's, ids by path
}

# --- The OpenAPI contract (GET /api/schema, /api/docs, /api/redoc) ---------------------------
# The views carry no annotations: designs/api/schema_drf.py describes the DRF views,
# designs/api/schema.py the plain async ones (a preprocessing hook) and adds the shapes and the
# SSE event catalogue (a postprocessing hook). Swagger UI and ReDoc load from our static files.
SPECTACULAR_SETTINGS = {
    "TITLE": "Easel API",
    "DESCRIPTION": (
        "An SDK-compatible reimplementation of Backboard's API. Authenticate with the X-API-Key "
        'header. Every error is {"detail": "one readable sentence"}, with its status. Streaming '
        "answers are server-sent events; their event types are the Event* schemas (StreamEvent lists them)."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": r"/api",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,  # a view's docstring speaks to maintainers, not callers
    "PREPROCESSING_HOOKS": ["designs.api.schema.add_plain_views"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "designs.api.schema.finish"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("EASEL_LOG_LEVEL", default="INFO")},
    "loggers": {"httpx2": {"level": "WARNING"}, "httpcore2": {"level": "WARNING"}},
}
