"""The routes a client may call without a token: the one list the gateway's edge
auth consults. Everything else under /api/ needs a valid access token at the
gateway, before any service is called. (/health/, /ready/, /api/docs/ and
/api/schema/ are served by the gateway itself and are public too.)"""

import re
from dataclasses import dataclass

READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class PublicRoute:
    methods: frozenset[str]
    path: re.Pattern
    why: str


PUBLIC_ROUTES: tuple[PublicRoute, ...] = (
    PublicRoute(READS, re.compile(r"^/api/(books|authors|categories)(/.*)?$"), "catalog reads"),
    PublicRoute(frozenset({"POST"}), re.compile(r"^/api/accounts/$"), "sign-up (4.1)"),
    PublicRoute(frozenset({"POST"}), re.compile(r"^/api/auth/(login|refresh|logout)/$"), "login, refresh, logout"),
    PublicRoute(
        frozenset({"POST"}),
        re.compile(r"^/api/auth/(password-reset|password-reset/confirm|verify-email)/$"),
        "a forgotten password, and the links of the account emails",
    ),
    PublicRoute(READS, re.compile(r"^/api/warehouse/items/([^/]+/)?$"), "stock levels"),
)


def is_public(method: str, path: str) -> bool:
    return any(method in route.methods and route.path.match(path) for route in PUBLIC_ROUTES)
