"""Settings of the gateway: routes /api/ to the services and reports their health."""

from pathlib import Path

from common.services import SERVICES
from common.settings import env_float, service_settings

_base = service_settings("gateway", base_dir=Path(__file__).resolve().parent.parent, apps=["routing"])
# Swagger UI at /api/docs/ offers every service's schema (proxied from /api/schema/<service>/).
_base["SPECTACULAR_SETTINGS"] |= {
    "TITLE": "Bookstore gateway API",
    "SWAGGER_UI_SETTINGS": {
        "urls": [{"name": "gateway", "url": "/api/schema/"}]
        + [{"name": name, "url": f"/api/schema/{name}/"} for name in SERVICES if name != "gateway"],
    },
}
globals().update(_base)

# The gateway is the edge: it sets X-Forwarded-Host for the services and must
# not trust one sent by a client.
USE_X_FORWARDED_HOST = False

GATEWAY_CONNECT_TIMEOUT = env_float("GATEWAY_CONNECT_TIMEOUT", 1.0)
GATEWAY_READ_TIMEOUT = env_float("GATEWAY_READ_TIMEOUT", 10.0)
GATEWAY_HEALTH_TIMEOUT = env_float("GATEWAY_HEALTH_TIMEOUT", 1.0)
