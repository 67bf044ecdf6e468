"""Metrics for Prometheus: one registry per process, served at /metrics (common.urls).

Every service counts its requests by route template, method and status, with their
latency (MetricsMiddleware), its calls to other services by peer and outcome
(common.http; the gateway's forwarding in routing.proxy), the database connections
its threads hold open and the statements they send. Each part that owns more state adds its own: the gateway its
circuit breakers and rate-limit refusals, the outbox its backlog, notification_service
its emails. Labels are bounded: route templates (never raw paths), the registry's
service names, status codes and a few outcomes.

/metrics is not for the public (docs/operations.md): it is served only to a socket peer
in METRICS_ALLOWED (loopback and the private ranges by default), never to a request that
came through a proxy (an ingress in front of the gateway), and, when METRICS_TOKEN is set,
only with `Authorization: Bearer <METRICS_TOKEN>`. The gateway does not route it: it
routes /api/<resource>/ only.
"""

import hmac
import ipaddress
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from common.errors import ErrorCode, error_response
from common.forwarded import PROXY_HEADERS
from common.settings import METRICS_ALLOWED_DEFAULT

logger = logging.getLogger(__name__)

disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream; no *_created series: half the scrape
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, resident memory, open files

# Seconds: from a cached read (a few ms) to the gateway's read timeout (10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a request no route took (a 404 of the resolver)

REQUESTS = Counter(
    "http_server_requests",
    "Requests this service answered, by route template, method and status.",
    ["service", "route", "method", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "http_server_request_duration_seconds",
    "Time from the request reaching the service's middleware to its answer, by route template and method.",
    ["service", "route", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
CALLS = Counter(
    "http_client_requests",
    "Calls to other services, by peer and outcome (2xx, 3xx, 4xx, 5xx, timeout, unavailable, breaker_open).",
    ["service", "peer", "outcome"],
    registry=REGISTRY,
)
CALL_SECONDS = Histogram(
    "http_client_request_duration_seconds",
    "Time of calls to other services, by peer, refused ones included.",
    ["service", "peer"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DB_CONNECTIONS_OPENED = Counter(
    "db_connections_opened",
    "Database connections this process opened without a pool (each kept DB_CONN_MAX_AGE by its thread).",
    ["service", "alias"],
    registry=REGISTRY,
)


DB_STATEMENTS = Counter(
    "db_statements",
    "Statements this process sent through Django's cursors (BEGIN and COMMIT are the driver's, not counted).",
    ["service", "alias"],
    registry=REGISTRY,
)


@cache
def service_name() -> str:
    """SERVICE_NAME, read once (again when a test changes it): each call to a service reads it."""
    return str(getattr(settings, "SERVICE_NAME", "unknown"))


def _forget_service_name(*, setting: str, **kwargs: object) -> None:
    if setting == "SERVICE_NAME":
        service_name.cache_clear()


setting_changed.connect(_forget_service_name, dispatch_uid="common.metrics.service_name")


def outcome_of_status(status: int) -> str:
    return f"{status // 100}xx"


def record_call(peer: str, outcome: str, seconds: float) -> None:
    """One call to another service (common.http, the gateway's forwarding)."""
    count, latency = _call_series(service_name(), peer, outcome)
    count.inc()
    latency.observe(seconds)


@cache
def _call_series(service: str, peer: str, outcome: str) -> tuple[Any, Any]:
    """The count and the latency series of calls with these labels, looked up once (as
    _request_series's). As few as the peers times the outcomes."""
    return CALLS.labels(service, peer, outcome), CALL_SECONDS.labels(service, peer)


def route_of(request: HttpRequest) -> str:
    """The route template that took the request ("api/books/<id:pk>/"), what the gateway
    forwarded it as (`request.metrics_route`, set without resolving), or "unmatched"."""
    if route := getattr(request, "metrics_route", None):
        return str(route)
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None and match.route else UNMATCHED


class MetricsMiddleware:
    """First in every process's middleware, so its time is the whole request's. It also
    notes, for /metrics alone, the socket's peer and whether a proxy's headers came with
    the request, before common.forwarded believes or drops them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.service = service_name()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        note_scrape_peer(request)
        response = self.get_response(request)
        record_request(self.service, request, response.status_code, time.perf_counter() - started)
        return response


def note_scrape_peer(request: HttpRequest) -> None:
    """For /metrics alone, before common.forwarded believes or drops a proxy's headers."""
    if request.path_info == "/metrics":
        request.metrics_peer = _peer(request)  # type: ignore[attr-defined]  # read by metrics_view


def record_request(service: str, request: HttpRequest, status: int, seconds: float) -> None:
    """One request answered: counted by route, method and status, and its time."""
    method = request.method if request.method in METHODS else "other"
    count, latency = _request_series(service, route_of(request), method, status)
    count.inc()
    latency.observe(seconds)


@cache
def _request_series(service: str, route: str, method: str, status: int) -> tuple[Any, Any]:
    """The count and the latency series of requests with these labels, looked up once:
    `labels()` checks and joins the labels under a lock at each call. As few as the
    labels' values (route templates, methods, statuses)."""
    return REQUESTS.labels(service, route, method, str(status)), REQUEST_SECONDS.labels(service, route, method)


def _peer(request: HttpRequest) -> tuple[str, bool]:
    meta = request.META
    return meta.get("REMOTE_ADDR", ""), any(key in meta for key in PROXY_HEADERS)


# --- database connections: open ones counted at scrape time ---------------------------

_wrappers: "weakref.WeakSet[Any]" = weakref.WeakSet()
_wrappers_lock = threading.Lock()


def _connection_opened(sender: object, connection: Any, **kwargs: Any) -> None:
    # The wrapper stays on the thread's DatabaseWrapper from one connection (or one borrow
    # from the pool) to the next, so it is added once.
    if _count_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_statement)
    if _pooled(connection.settings_dict):
        return  # Django says "created" at each borrow from the pool; the pool's stats say more
    with _wrappers_lock:
        _wrappers.add(connection)
    DB_CONNECTIONS_OPENED.labels(service_name(), connection.alias).inc()


@cache
def _statements_of(alias: str) -> Any:
    return DB_STATEMENTS.labels(service_name(), alias)


def _count_statement(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Django's execute wrapper: every statement, counted (a savepoint, a read, a write)."""
    _statements_of(context["connection"].alias).inc()
    return execute(sql, params, many, context)


connection_created.connect(_connection_opened, dispatch_uid="common.metrics")


def _pooled(database: dict[str, Any]) -> bool:
    return bool(database.get("OPTIONS", {}).get("pool"))


class DatabaseConnections(Collector):
    """Connections open now in this process: with psycopg's pool (PostgreSQL,
    DB_POOL_MAX_SIZE), the pool's own count, how many are lent out, how many threads wait
    for one and how long they have waited in all; without it, one per thread that used
    the database, kept between requests. What the process takes of max_connections."""

    def collect(self) -> Iterable[Metric]:
        from django.db import connections

        service = service_name()
        open_now = GaugeMetricFamily(
            "db_connections_open", "Database connections this process holds open now.", labels=["service", "alias"]
        )
        in_use = GaugeMetricFamily(
            "db_pool_connections_in_use", "Pooled connections lent to a thread now.", labels=["service", "alias"]
        )
        waiting = GaugeMetricFamily(
            "db_pool_requests_waiting", "Threads waiting for a pooled connection now.", labels=["service", "alias"]
        )
        waited = CounterMetricFamily(
            "db_pool_wait_seconds", "Time threads spent waiting for a pooled connection.", labels=["service", "alias"]
        )
        with _wrappers_lock:
            wrappers = list(_wrappers)
        for alias, database in settings.DATABASES.items():
            if _pooled(database):
                stats = connections[alias].pool.get_stats()  # type: ignore[attr-defined]  # PostgreSQL's wrapper
                size = stats.get("pool_size", 0)
                open_now.add_metric([service, alias], size)
                in_use.add_metric([service, alias], size - stats.get("pool_available", 0))
                waiting.add_metric([service, alias], stats.get("requests_waiting", 0))
                waited.add_metric([service, alias], stats.get("requests_wait_ms", 0) / 1000)
            else:
                held = sum(w.alias == alias and w.connection is not None for w in wrappers)
                open_now.add_metric([service, alias], held)
        yield from (open_now, in_use, waiting, waited)


# --- collectors of the parts that own more state ---------------------------------------

_registered: dict[str, Collector] = {}
_registered_lock = threading.Lock()


def register(name: str, make: Callable[[], Collector]) -> None:
    """Add a collector to the process's registry once (an app's ready() may run again in tests)."""
    with _registered_lock:
        if name not in _registered:
            _registered[name] = make()
            REGISTRY.register(_registered[name])


register("db_connections", DatabaseConnections)


class ScrapeTimeCollector(Collector):
    """Metrics read when Prometheus scrapes (a few cheap queries), not kept up to date
    by every request. A query that fails (the database is down) leaves its metrics out
    of this scrape, and says so in scrape_errors_total."""

    def __init__(self, name: str, read: Callable[[], Iterator[Metric]]) -> None:
        self.name = name
        self.read = read

    def collect(self) -> Iterable[Metric]:
        from django.db import DatabaseError

        try:
            yield from list(self.read())
        except DatabaseError as exc:
            logger.warning("metrics: %s not read: %s", self.name, exc)
            SCRAPE_ERRORS.labels(service_name(), self.name).inc()

    def describe(self) -> Iterable[Metric]:
        return []  # not read at registration: the database may not be migrated yet


SCRAPE_ERRORS = Counter(
    "scrape_errors",
    "Scrape-time metrics left out because their query failed.",
    ["service", "collector"],
    registry=REGISTRY,
)


# --- the endpoint -------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _networks(tuple(getattr(settings, "METRICS_ALLOWED", METRICS_ALLOWED_DEFAULT.split(","))))


def may_scrape(request: HttpRequest) -> bool:
    """From a peer in METRICS_ALLOWED, not through a proxy, with METRICS_TOKEN if one is set."""
    peer, proxied = getattr(request, "metrics_peer", None) or _peer(request)
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if proxied or not any(address in network for network in allowed_networks()):
        return False
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return True
    given = request.META.get("HTTP_AUTHORIZATION", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_view(request: HttpRequest) -> HttpResponseBase:
    """The process's metrics in Prometheus's text format, to the monitoring network only."""
    if not may_scrape(request):
        return error_response(
            403, ErrorCode.PERMISSION_DENIED, "Metrics are served to the monitoring network only (METRICS_ALLOWED)."
        )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
