"""The client's address, host and scheme, believed from our own proxies only.

The gateway is the edge: it takes the client's address from its socket and passes it
on in X-Forwarded-For, with the host and scheme the client used in X-Forwarded-Host
and -Proto. Every process (the gateway included) believes those headers only from a
peer in TRUSTED_PROXIES (addresses or networks); from anyone else they are dropped, so
a client that writes them itself chooses nothing. waitress is told to leave them to
this middleware (tools/serve.py), which is the one place that decides.

After it, REMOTE_ADDR is the client's address, and Django's USE_X_FORWARDED_HOST and
SECURE_PROXY_SSL_HEADER read only headers a trusted proxy set (links in answers carry
the gateway's public host and scheme).
"""

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every header through which a proxy can say who the client is or what it asked for.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT",
    # Where the gateway's back office mounts a service's admin (common.backoffice).
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_BY",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES parsed ("127.0.0.1", "10.0.0.0/8", "::1"); a wrong entry stops the
    process at its first request rather than trusting less or more than was meant."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client behind a trusted peer: the right-most X-Forwarded-For entry that is not
    itself a trusted proxy (entries further left were written by whoever came before,
    the client included, and are not believed). The peer itself when there is none."""
    client = peer
    for entry in reversed(forwarded_for.split(",")):
        ip = _ip(entry)
        if ip is None:  # not written by a proxy of ours: stop at the last one that was
            break
        client = str(ip)
        if not any(ip in network for network in networks):
            break
    return client


@lru_cache(maxsize=1024)
def believed_client(peer: str, forwarded_for: str, entries: tuple[str, ...]) -> str | None:
    """The client's address after this middleware, for a request from socket peer `peer`
    with `forwarded_for` (X-Forwarded-For, or "") under TRUSTED_PROXIES `entries`; None
    when the peer is not a trusted proxy. Kept for the last few peers and chains: a
    process hears from the same ones again and again, and parsing the addresses anew
    was most of this middleware's work."""
    networks = trusted_networks(entries)
    if not is_trusted(peer, networks):
        return None
    return client_address(peer, forwarded_for, networks) if forwarded_for else peer


class ForwardedHeadersMiddleware:
    """First in every process's middleware: after it, REMOTE_ADDR is the real client
    and the X-Forwarded-* headers are there only if a trusted proxy sent them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        believe_trusted_proxies(request.META)
        return self.get_response(request)


def believe_trusted_proxies(meta: dict[str, Any]) -> None:
    """REMOTE_ADDR made the client's behind a trusted proxy; from anyone else, the
    proxies' headers dropped."""
    client = believed_client(
        meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), tuple(settings.TRUSTED_PROXIES)
    )
    if client is None:
        for key in PROXY_HEADERS:
            meta.pop(key, None)
    else:
        meta["REMOTE_ADDR"] = client
