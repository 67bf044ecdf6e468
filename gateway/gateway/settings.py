"""Settings of the gateway: routes /api/ to the services and reports their health."""

from pathlib import Path

from common.registry import SERVICES
from common.settings import env_float, env_int, env_list, service_settings
from routing.rates import env_rate

_apps = ["corsheaders", "routing", "composite", "backoffice", "account_pages"]
_base = service_settings("gateway", base_dir=Path(__file__).resolve().parent.parent, apps=_apps)
# The gateway serves the back office (backoffice.views) and sends X-Forwarded-Prefix to the
# services; it is never itself an admin under a prefix.
_base["MIDDLEWARE"].remove("common.backoffice.BackofficeMiddleware")
# After the request id and the access log, before anything answers (django-cors-headers',
# with a shortcut for requests without an Origin: routing/cors.py).
_base["MIDDLEWARE"].insert(
    _base["MIDDLEWARE"].index("common.access_log.AccessLogMiddleware") + 1, "routing.cors.CorsMiddleware"
)
# Swagger UI at /api/docs/ offers every service's schema (proxied from /api/schema/<service>/).
_base["SPECTACULAR_SETTINGS"] |= {
    "TITLE": "Bookstore gateway API",
    "SWAGGER_UI_SETTINGS": {
        "urls": [{"name": "gateway", "url": "/api/schema/"}]
        + [{"name": name, "url": f"/api/schema/{name}/"} for name in SERVICES if name != "gateway"],
    },
}
globals().update(_base)

# The gateway is the edge: its clients' X-Forwarded-* are dropped (common.forwarded),
# and it sets them for the services from its own socket. A proxy of ours in front of it
# (an ingress) is named here, never in TRUSTED_PROXIES, which the services read.
TRUSTED_PROXIES = env_list("GATEWAY_TRUSTED_PROXIES")

GATEWAY_CONNECT_TIMEOUT = env_float("GATEWAY_CONNECT_TIMEOUT", 1.0)
GATEWAY_READ_TIMEOUT = env_float("GATEWAY_READ_TIMEOUT", 10.0)
GATEWAY_HEALTH_TIMEOUT = env_float("GATEWAY_HEALTH_TIMEOUT", 1.0)
GATEWAY_BREAKER_FAILURES = env_int("GATEWAY_BREAKER_FAILURES", 5)
GATEWAY_BREAKER_RESET_SECONDS = env_int("GATEWAY_BREAKER_RESET_SECONDS", 15)
GATEWAY_RATE_LIMITS = {
    "signup": env_rate("GATEWAY_RATE_SIGNUP", "20/hour"),  # per client address
    "login": env_rate("GATEWAY_RATE_LOGIN", "10/min"),  # per client address
    "account_emails": env_rate("GATEWAY_RATE_ACCOUNT_EMAILS", "10/hour"),  # per client address
    "writes": env_rate("GATEWAY_RATE_WRITES", "120/min"),  # per user, or per address without a token
}
# Bodies are small JSON documents; a bigger one is refused (413) before it is read.
GATEWAY_MAX_BODY_BYTES = env_int("GATEWAY_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = GATEWAY_MAX_BODY_BYTES

# Browsers on these origins may call the API (comma-separated, e.g. https://shop.example.com).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after")
