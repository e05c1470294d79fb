"""virtconsole's one settings module, driven by environment variables with strict parsing."""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VIRTCONSOLE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    """SECRET_KEY from the environment, or one generated once and kept in var/."""
    given = env_str("SECRET_KEY", "")
    if given:
        if len(given) < 32:
            raise ImproperlyConfigured("SECRET_KEY is shorter than 32 characters: use a long random value.")
        return given
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "axes",
    "domains",
    "qemu_extras",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "console.content_security.ContentSecurityPolicy",
    "console.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language from the browser's Accept-Language (LANGUAGES below), no URL prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "console.middleware.PermissionDeniedPage",
    # Last, as django-axes asks: turns a locked-out login into a 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
ASGI_APPLICATION = "console.asgi.application"

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
                "console.jobs.context.running_jobs",
            ],
        },
    },
]

# conn_max_age 0: a thread's connection closes when its request or socket command ends, since the thread may never
# come back to it. Requests' threads are the exception: they are pooled and keep theirs between requests
# (console/request_threads.py), checked before each reuse (a connection a database restart broke is replaced).
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'virtconsole.sqlite3'}"), conn_max_age=0,
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we can use: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Event callbacks write from other threads while a request writes: take
    # the write lock at the start of a transaction (a deferred one that reads
    # first cannot wait for it and fails "database is locked"), wait for it
    # rather than fail, and let readers go on beside a writer (WAL). In WAL
    # mode synchronous=NORMAL writes each commit to the log without waiting
    # for the disk: a commit survives the process dying (an audit intent
    # before a monitor call that takes the embedded driver down), only a
    # power cut can lose the last ones, and the database stays whole. FULL
    # waited for the disk twice per monitor command (issue 19).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )

# Messages a socket's channel may hold before the layer drops more (silently, for group sends): at the
# default 100, defining a few hundred domains at once lost most of their events on an open dashboard
# (benchmarks/event_storm.py). A socket that keeps up holds a handful.
CHANNEL_CAPACITY = 5000
_redis = env_str("CHANNEL_LAYER_URL", "")
if _redis:
    if not _redis.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CHANNEL_LAYER_URL must be a redis://, rediss:// or unix:// URL.")
    # socket_timeout None: redis-py 8 reads with a 5 s timeout by default, and channels_redis waits for a
    # socket's next message with a 5 s blocking read (BZPOPMIN): every idle socket failed after ~5 s.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [{"address": _redis, "socket_timeout": None}],
                                             "capacity": CHANNEL_CAPACITY,
                                             # Consoles sharing one Redis keep apart by their prefix.
                                             "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi"),
                                             # A process's one bus channel carries every event of the cluster.
                                             "channel_capacity": {"vc-cluster.*": 100 * CHANNEL_CAPACITY}}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                  "CONFIG": {"capacity": CHANNEL_CAPACITY}}}
# Each server process connects to every enabled host at its start (domains/cluster/hosts.py), so any process
# can take a host's events over: on by default where several processes share a channel layer (Redis).
CONNECT_EVERY_HOST = env_bool("CONNECT_EVERY_HOST", bool(_redis))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Failed logins are rate-limited by django-axes, per username and client
# address together, so one attacker cannot lock a user out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "domains.access.logins.LoginRateLimit",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=7 * 24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS: off by default so `make run` works on plain http://127.0.0.1; production turns each
# on (README, "Production settings"), which is what `check --deploy` asks for.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0, maximum=2 * 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# Scripts only from our static files (ES modules under static/js, vendor libraries from
# node_modules): no inline <script>, no on* attributes, no eval. Styles may be inline:
# xterm.js and Swagger UI write <style> elements at run time.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],  # websockets to the same host and port included (CSP level 3)
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Behind a TLS-terminating proxy Django sees plain HTTP: trust the proxy's X-Forwarded-Proto
# (only when the proxy sets it itself), or SECURE_SSL_REDIRECT would redirect for ever.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SECURE_HSTS_PRELOAD and not (SECURE_HSTS_INCLUDE_SUBDOMAINS and SECURE_HSTS_SECONDS >= 31536000):
    raise ImproperlyConfigured("SECURE_HSTS_PRELOAD=1 needs SECURE_HSTS_INCLUDE_SUBDOMAINS=1 and "
                               "SECURE_HSTS_SECONDS of at least 31536000 (one year): browsers' preload lists "
                               "refuse anything less.")

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# Every page's words go through Django's i18n; German is complete (locale/de), chosen from the browser.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "node_modules")]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "domains.api.pagination.Pages",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "domains.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "virtconsole API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from node_modules (package.json) like every front-end library: never a CDN.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui-dist/favicon-32x32.png",
    # `check --deploy` builds a schema with these settings: the one we publish and promise is v1
    # (the QEMU extras make no promise and are not in it).
    "PREPROCESSING_HOOKS": ["domains.api.openapi.only_v1_paths"],
}

# The embedded QEMU driver's root: unix socket paths under it are limited to
# 108 bytes, so a long checkout path falls back to a short one.
EMBED_ROOT = env_str("VIRTCONSOLE_EMBED_ROOT", str(VAR_DIR / "embed"))
DEMO_GUEST_DIR = Path(env_str("VIRTCONSOLE_GUEST_DIR", str(VAR_DIR / "guest")))
# VNC ports the embedded driver hands out: embedded drivers of separate
# processes do not know each other's ports, so each needs a range of its own.
EMBED_VNC_PORT_MIN = env_int("VIRTCONSOLE_VNC_PORT_MIN", 5900, minimum=1024, maximum=65535)
EMBED_VNC_PORT_MAX = env_int("VIRTCONSOLE_VNC_PORT_MAX", 65535, minimum=EMBED_VNC_PORT_MIN, maximum=65535)

# Files libvirt's test driver may read through test:///<path> host URIs (the
# driver opens them as root): only under this directory; unset, only
# test:///default is accepted.
TEST_URI_DIR = env_str("VIRTCONSOLE_TEST_URI_DIR", "") or None
if TEST_URI_DIR and not Path(TEST_URI_DIR).is_absolute():
    raise ImproperlyConfigured(f"VIRTCONSOLE_TEST_URI_DIR={TEST_URI_DIR!r} is not an absolute path.")
# The audit log's anchor: a signed checkpoint of its newest entry, kept outside
# the database, so verify_audit notices removed newest entries and rewritten ranges.
AUDIT_ANCHOR_PATH = Path(env_str("VIRTCONSOLE_AUDIT_ANCHOR", str(VAR_DIR / "audit-anchor.json")))
if not AUDIT_ANCHOR_PATH.is_absolute():
    raise ImproperlyConfigured(f"VIRTCONSOLE_AUDIT_ANCHOR={str(AUDIT_ANCHOR_PATH)!r} is not an absolute path.")
AUDIT_ANCHOR_KEY = env_str("VIRTCONSOLE_AUDIT_ANCHOR_KEY", "")
if AUDIT_ANCHOR_KEY and len(AUDIT_ANCHOR_KEY) < 32:
    raise ImproperlyConfigured("VIRTCONSOLE_AUDIT_ANCHOR_KEY is shorter than 32 characters: use a long random value.")
# Seconds a request in flight at SIGTERM may take to finish before the process ends anyway.
STOP_GRACE = env_int("STOP_GRACE_SECONDS", 10, minimum=1, maximum=600)
# Seconds an upload in parts stays open without a part before it is closed (its job interrupted where it
# stands, so a later part resumes it): long enough for a client to retry a failed part.
UPLOAD_IDLE_SECONDS = env_int("UPLOAD_IDLE_SECONDS", 120, minimum=1, maximum=24 * 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
