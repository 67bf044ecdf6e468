"""Settings helpers: every service's settings.py is a few lines on top of these.

All configuration comes from the environment, with defaults that run the whole
system on one machine with SQLite and nothing else installed.
"""

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import dj_database_url

from common.registry import SERVICES

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


# Who may read /metrics by default: loopback and the private ranges (the machine, the
# compose network, the cluster's pods); docs/operations.md.
METRICS_ALLOWED_DEFAULT = "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable has a value the settings cannot use."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return default if raw is None else int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a whole number") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return default if raw is None else float(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a number") from None


def live_setting(name: str, from_env: Callable[[], T]) -> T:
    """A setting of a common app, read when used: Django's if set there (tests set them
    so), else `from_env()`, the environment's or the default."""
    from django.conf import settings

    return getattr(settings, name) if hasattr(settings, name) else from_env()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def service_port(name: str) -> int:
    service = SERVICES[name]
    return env_int(service.port_var, service.default_port)


def service_url(name: str) -> str:
    """Base URL of a service, from <FOLDER>_URL or its port on this machine."""
    service = SERVICES[name]
    return env_str(service.url_var, f"http://127.0.0.1:{service_port(name)}").rstrip("/")


def var_dir(repo_dir: Path) -> Path:
    return Path(env_str("VAR_DIR", str(repo_dir / "var")))


def database_url(name: str, repo_dir: Path) -> str:
    """DATABASE_URL, else <DATABASE_SERVER_URL>/bookstore_<name>, else a SQLite file."""
    if url := env_str("DATABASE_URL"):
        return url
    if server := env_str("DATABASE_SERVER_URL"):
        return f"{server.rstrip('/')}/{SERVICES[name].database_name}"
    folder = var_dir(repo_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / f'{name}.sqlite3'}"


def database_config(url: str) -> dj_database_url.DBConfig:
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.postgresql" and (pool_size := env_int("DB_POOL_MAX_SIZE", 4)) > 0:
        # A pool per process (psycopg's, which Django drives): a thread borrows a
        # connection for one request or task and gives it back, so a process holds at most
        # DB_POOL_MAX_SIZE whatever its threads, and the server's max_connections covers
        # every replica (docs/deployment.md, "Database connections"). DB_POOL_MAX_SIZE=0:
        # a connection per thread, kept DB_CONN_MAX_AGE seconds, as before the pool.
        config["CONN_MAX_AGE"] = 0  # Django returns a pooled connection at the end of each request
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "pool": {
                "min_size": 1,
                "max_size": pool_size,
                "timeout": env_float("DB_POOL_TIMEOUT", 10.0),
                "max_idle": 300,
                "num_workers": 1,
            }
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several threads (and an outbox dispatcher) write to one file: WAL lets
        # readers go on while one writes, IMMEDIATE takes the write lock at BEGIN
        # (no deadlock on upgrade), and the timeout waits for the lock instead of
        # failing with "database is locked".
        # Connections are kept (DB_CONN_MAX_AGE) on SQLite too: opening one and running
        # the PRAGMAs below was a large share of a short request's CPU (docs/performance.md).
        config["OPTIONS"] = {
            "timeout": env_float("SQLITE_BUSY_TIMEOUT", 20.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def cache_settings(service: str) -> dict[str, dict[str, Any]]:
    """CACHES: Redis at REDIS_URL, keys prefixed by service (CACHE_KEY_PREFIX, to share one
    Redis between several shops), or this process's memory when REDIS_URL is unset."""
    url = env_str("REDIS_URL")
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": service}}
    timeout = env_float("REDIS_TIMEOUT", 0.25)
    return {
        "default": {
            "BACKEND": "common.cache.ForgivingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"{env_str('CACHE_KEY_PREFIX', 'bookstore')}:{service}",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


def _logging(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "common.request_id.RequestIdLogFilter"}},
        "formatters": {
            "line": {
                "()": "common.log_format.OneLineFormatter",
                "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
            },
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "line",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        # Django logs every 4xx/5xx itself; our exception handler logs what matters.
        "loggers": {"django.request": {"level": "ERROR"}},
    }


def service_settings(name: str, *, base_dir: Path, apps: list[str]) -> dict[str, Any]:
    """The full settings of one service; its settings.py adds what is its own."""
    repo_dir = base_dir.parent
    folder = SERVICES[name].folder
    debug = env_bool("DEBUG", False)
    # Behind TLS (HTTPS=1): secure cookies and HSTS. TLS ends at the edge (the ingress or
    # a proxy before the gateway), which redirects http to https; services talk plain
    # HTTP to each other inside, so none of them redirects itself (security.W008 off).
    https = env_bool("HTTPS", False)
    return {
        "SERVICE_NAME": name,
        "BASE_DIR": base_dir,
        "SECRET_KEY": env_str("SECRET_KEY", f"insecure-dev-key-{name}-change-me"),
        "DEBUG": debug,
        # Services share a host name in development (localhost:2100, :3000, ...), and
        # cookies ignore the port: one cookie name per service keeps their admin logins apart.
        "SESSION_COOKIE_NAME": f"{name}_sessionid",
        "CSRF_COOKIE_NAME": f"{name}_csrftoken",
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "SECURE_HSTS_SECONDS": env_int("SECURE_HSTS_SECONDS", 31_536_000 if https else 0),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": https,
        "SECURE_HSTS_PRELOAD": https,
        "SILENCED_SYSTEM_CHECKS": ["security.W008"],
        "ALLOWED_HOSTS": env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"),
        # Services sit behind the gateway, which sets these headers, so links
        # they build (pagination) point at the gateway, not at themselves. They are
        # believed only from TRUSTED_PROXIES (common.forwarded drops them otherwise).
        "USE_X_FORWARDED_HOST": env_bool("USE_X_FORWARDED_HOST", True),
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        # Addresses or networks of the proxies whose X-Forwarded-* are believed: the gateway
        # (and the services, which pass an admin user's address on to customer_service).
        # `make run` and the end-to-end tests run all on this machine; compose and
        # Kubernetes name their network (README.md, Configuration).
        "TRUSTED_PROXIES": env_list("TRUSTED_PROXIES", "127.0.0.1,::1"),
        "INSTALLED_APPS": [
            # django.contrib.admin, whose site imports the apps' admin modules on first use.
            "common.admin_site.AdminConfig",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "rest_framework",
            "drf_spectacular",
            "drf_spectacular_sidecar",
            "common",
            *apps,
        ],
        "MIDDLEWARE": [
            # Requests by route, method and status, and their time (common.metrics): first,
            # so the time is the whole request's.
            "common.metrics.MetricsMiddleware",
            "common.forwarded.ForwardedHeadersMiddleware",
            "common.request_id.RequestIdMiddleware",
            "common.access_log.AccessLogMiddleware",
            "common.limits.RequestLimitsMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            # The admin behind the gateway's back office, under /admin/<service>/ (the
            # prefix believed from TRUSTED_PROXIES only; the user from the bearer token).
            "common.backoffice.BackofficeMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        # Local users first (createsuperuser), then staff logins of customer_service.
        "AUTHENTICATION_BACKENDS": [
            "django.contrib.auth.backends.ModelBackend",
            "common.admin_auth.CustomerServiceAdminBackend",
        ],
        "ROOT_URLCONF": f"{folder}.urls",
        "WSGI_APPLICATION": f"{folder}.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ],
                },
            },
        ],
        "DATABASES": {"default": database_config(database_url(name, repo_dir))},
        "CACHES": cache_settings(name),
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        # Absolute: the back office's prefix is added per request (common.backoffice), since
        # Django would add a script prefix to a relative one once for the whole process.
        "STATIC_URL": "/static/",
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "common.backoffice.PrefixedStaticFilesStorage"},
        },
        # Admin messages in a cookie per service (book_messages): through the gateway all
        # the admins share one host.
        "MESSAGE_STORAGE": "common.backoffice.ServiceMessageStorage",
        # Served by whitenoise straight from the apps' static folders, so admin
        # and Swagger UI are styled under waitress without a collectstatic step.
        "WHITENOISE_USE_FINDERS": True,
        "LOGGING": _logging(env_str("LOG_LEVEL", "INFO")),
        "SERVICE_URLS": {other: service_url(other) for other in SERVICES},
        "SERVICE_CONNECT_TIMEOUT": env_float("SERVICE_CONNECT_TIMEOUT", 1.0),
        "SERVICE_READ_TIMEOUT": env_float("SERVICE_READ_TIMEOUT", 5.0),
        "SERVICE_RETRIES": env_int("SERVICE_RETRIES", 2),
        # How often a web process runs its service's SWEEPS (common.sweeps); 0: never.
        "SWEEP_SECONDS": env_float("SWEEP_SECONDS", 5.0),
        "SERVICE_TOKEN_LIFETIME_SECONDS": env_int("SERVICE_TOKEN_LIFETIME_SECONDS", 300),
        # How often a process reads the revoked accounts again (common.revocation): the
        # longest a deleted or deactivated account's token still works once heard of.
        "REVOCATIONS_REFRESH_SECONDS": env_float("REVOCATIONS_REFRESH_SECONDS", 2.0),
        # Who may read /metrics (common.metrics, docs/operations.md): socket peers in these
        # networks, not through a proxy, and with this bearer token when one is set.
        "METRICS_ALLOWED": env_list("METRICS_ALLOWED", METRICS_ALLOWED_DEFAULT),
        "METRICS_TOKEN": env_str("METRICS_TOKEN", ""),
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "common.auth.ClaimsAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["common.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["common.limits.JSONParser"],
            "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.ContentNegotiation",
            "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
            "EXCEPTION_HANDLER": "common.errors.exception_handler",
            "TEST_REQUEST_DEFAULT_FORMAT": "json",
        },
        "SIMPLE_JWT": {
            "SIGNING_KEY": env_str("JWT_SIGNING_KEY", "insecure-dev-jwt-key-change-me-0123456789"),
            "ALGORITHM": "HS256",
            "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
            "REFRESH_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_REFRESH_MINUTES", 24 * 60)),
            "USER_ID_CLAIM": "user_id",
            "AUTH_HEADER_TYPES": ("Bearer",),
            "TOKEN_USER_CLASS": "common.auth.ClaimsUser",
            "UPDATE_LAST_LOGIN": False,
        },
        # Distinct bearer tokens whose signature each process has checked (common.verified_tokens).
        "VERIFIED_TOKENS_CACHE_SIZE": env_int("VERIFIED_TOKENS_CACHE_SIZE", 4096),
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Bookstore {name} API",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "COMPONENT_SPLIT_REQUEST": True,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            # The error answers every view can give, in every schema (common.openapi).
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "common.openapi.add_error_responses",
            ],
        },
    }
