"""Tracing with OpenTelemetry: one trace per request, across every service it crosses.

Off unless the standard variables ask for it (docs/operations.md):

- `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set: spans go
  over OTLP/HTTP (protobuf) to that collector;
- `OTEL_TRACES_EXPORTER`: `otlp`, `console` (spans printed to the log) or both,
  comma-separated; `none` turns tracing off whatever else is set, as does
  `OTEL_SDK_DISABLED=true`.

Off, nothing is imported or installed: no tracer provider, no instrumentation, no
middleware; what this module offers the rest of the code (`span`, `quiet`,
`current_traceparent`) answers at once. The cost is one boolean test per use.

On, every process of a service calls `setup()` from its entry point (common.entrypoints:
the WSGI application, and the worker commands: the outbox dispatcher, the email sender,
`manage.py sweep`). It installs the SDK's tracer provider, with a batch span processor
exporting in a thread of its own, and the official instrumentations:

- Django (web processes): a server span per request, named by the route template,
  carrying the request id (`bookstore.request_id`); it continues the caller's trace from
  its W3C `traceparent`. Health, readiness and metrics requests are not traced;
- requests (common.http: service to service): a client span per call, with
  `traceparent` sent on, so one checkout is one trace (the gateway's forwarding makes
  its own, routing.proxy);
- psycopg and sqlite3: a span per database statement, only with
  `TRACE_DB_STATEMENTS=1` (off by default: wrapping every cursor and statement of every
  request, sampled or not, about a sixth of an unsampled request's cost; docs/performance.md).

A request whose caller's `traceparent` says "not sampled" (9 in 10 of the calls between
services) skips OpenTelemetry's Django middleware (UnsampledShortcutMiddleware): no span
of it would be kept, and the middleware's work (the request's attributes, a second URL
resolution, the span) was over half of what tracing cost it. The caller's context is made
current instead, so calls onward carry the same unsampled `traceparent`.

Sampling: one trace in ten by default (DEFAULT_SAMPLE_RATIO), decided where the trace
starts (the gateway, or a process's own work) and followed by every service it reaches,
so a trace is whole or absent. `OTEL_TRACES_SAMPLER` (and `_ARG`) replace the default:
`parentbased_always_on` keeps every trace (debugging, low traffic, the e2e suite).
Work a process does by itself gets spans here: outbox publication and delivery (the
delivery linked to the publishing span, whose `traceparent` is stored with the event),
notification emails, sweep rounds. Idle polling (a dispatcher or the email sweep
finding nothing due) is run under `quiet()`, so it makes no traces.
"""

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

# The span attribute that carries a request's X-Request-ID (common.request_id).
REQUEST_ID_ATTRIBUTE = "bookstore.request_id"
# manage.py commands that run as processes of their own and do traced work.
TRACED_COMMANDS = frozenset({"dispatch_events", "send_notifications", "sweep"})
# Paths whose requests get no server span: probes and scrapes, every few seconds.
UNTRACED_PATHS = ("/ready/", "/metrics")
EXPORTERS = frozenset({"otlp", "console"})
# Set to 1 (true, yes, on): a span per database statement (psycopg, sqlite3).
DB_STATEMENTS_VARIABLE = "TRACE_DB_STATEMENTS"
# Without OTEL_TRACES_SAMPLER: the share of traces kept, which keeps tracing's CPU cost
# within its target (docs/performance.md, "Tracing's cost").
DEFAULT_SAMPLE_RATIO = 0.1

_provider: "TracerProvider | None" = None
# Ours, made once: the SDK's get_tracer resets a warnings filter and compares scopes on
# every call, which an outbox delivery or an email would otherwise pay each time.
_tracer: "Tracer | None" = None
_NOTHING = contextlib.nullcontext()


class TelemetryConfigError(ValueError):
    """An OTEL_* variable has a value this module cannot use."""


def exporters_wanted(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The span exporters the environment asks for; [] is tracing off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = [name.strip().lower() for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if name.strip()]
    if named == ["none"]:
        return []
    if named:
        if unknown := [name for name in named if name not in EXPORTERS]:
            raise TelemetryConfigError(
                f"OTEL_TRACES_EXPORTER={environ['OTEL_TRACES_EXPORTER']!r}: {', '.join(unknown)} is not one of "
                f"{', '.join(sorted(EXPORTERS))} or none"
            )
        return named
    if environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return ["otlp"]
    return []


def enabled() -> bool:
    return _provider is not None


def setup(service: str, *, process: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Tracing for this process, if the environment asks for it; whether it is on.
    `process` says which of the service's processes this is (web, dispatch_events, ...).
    Call it before Django builds its middleware chain and before any database
    connection is made (the entry points do); a second call changes nothing."""
    global _provider, _tracer
    if _provider is not None:
        return True
    exporters = exporters_wanted(environ)
    if not exporters:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    attributes: dict[str, str] = {"service.namespace": "bookstore", "bookstore.process": process}
    if not environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = service
    provider = TracerProvider(resource=Resource.create(attributes), sampler=sampler_for(environ))
    for name in exporters:
        exporter: SpanExporter
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()  # endpoint, headers, timeout: the OTEL_EXPORTER_OTLP_* variables
        else:
            exporter = ConsoleSpanExporter(service_name=service)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _instrument(
        provider,
        web=process == "web",
        service=service,
        statements=db_statements_wanted(environ),
        shortcut=unsampled_callers_skip_the_middleware(environ),
    )
    _provider, _tracer = provider, provider.get_tracer("bookstore")
    return True


def sampler_for(environ: Mapping[str, str]) -> Any:
    """None (the SDK reads OTEL_TRACES_SAMPLER) when the variable is set; else one trace
    in ten, decided at the root and followed by every service the trace reaches."""
    if environ.get("OTEL_TRACES_SAMPLER"):
        return None
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    return ParentBased(TraceIdRatioBased(DEFAULT_SAMPLE_RATIO))


def db_statements_wanted(environ: Mapping[str, str]) -> bool:
    """Whether TRACE_DB_STATEMENTS asks for a span per database statement (off unless set)."""
    raw = environ.get(DB_STATEMENTS_VARIABLE, "").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise TelemetryConfigError(
        f"{DB_STATEMENTS_VARIABLE}={environ[DB_STATEMENTS_VARIABLE]!r} is not a boolean (use 1/0, true/false)"
    )


def unsampled_callers_skip_the_middleware(environ: Mapping[str, str]) -> bool:
    """Whether the sampler keeps no span under a caller's unsampled span: the default, and
    every `parentbased_*` sampler; a sampler of another kind decides for itself."""
    name = environ.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    return not name or name.startswith("parentbased_")


def _instrument(provider: "TracerProvider", *, web: bool, service: str, statements: bool, shortcut: bool) -> None:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().instrument(tracer_provider=provider)
    if statements:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        SQLite3Instrumentor().instrument(tracer_provider=provider)
        PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    if web:
        from django.conf import settings
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        untraced = list(UNTRACED_PATHS)
        if service != "gateway":  # the gateway's /health/ probes every service: worth a trace
            untraced.append("/health/")
        position = django_middleware_position(settings.MIDDLEWARE)
        DjangoInstrumentor().instrument(
            tracer_provider=provider,
            middleware_position=position,
            excluded_urls=os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") or ",".join(untraced),
            response_hook=_on_response,
        )
        if shortcut:  # right before OpenTelemetry's middleware, which the instrumentor put at `position`
            settings.MIDDLEWARE.insert(position, SHORTCUT_MIDDLEWARE)


def django_middleware_position(middleware: list[str]) -> int:
    """Where OpenTelemetry's Django middleware goes: right after common.forwarded's, so the
    span's address and host are the ones it believed, never a client's own X-Forwarded-Host."""
    forwarded = "common.forwarded.ForwardedHeadersMiddleware"
    return middleware.index(forwarded) + 1 if forwarded in middleware else 0


SHORTCUT_MIDDLEWARE = "common.telemetry.UnsampledShortcutMiddleware"
OTEL_MIDDLEWARE = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"


class UnsampledShortcutMiddleware:
    """Right before OpenTelemetry's Django middleware (setup() puts it there, when the
    sampler follows the caller's decision): a request whose `traceparent` says its caller
    is not sampled goes straight to the middleware after OpenTelemetry's, with the
    caller's context current. No span of it would have been kept; calls onward (the
    requests instrumentation and the gateway's forwarding) still send the caller's trace id on, unsampled,
    so the services after it skip it too. Any other request (sampled, or starting a
    trace) goes through OpenTelemetry's middleware as before.

    The middleware after OpenTelemetry's is the `get_response` Django gave it
    (docs/architecture.md, "internals we rely on"); if it is not found, nothing is skipped."""

    def __init__(self, get_response: Any) -> None:
        from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

        self.get_response = get_response
        traced = getattr(get_response, "__wrapped__", get_response)  # Django's convert_exception_to_response
        self.untraced = traced.get_response if isinstance(traced, _DjangoMiddleware) else None

    def __call__(self, request: "HttpRequest") -> "HttpResponseBase":
        if self.untraced is None or "HTTP_TRACEPARENT" not in request.META:
            return self.get_response(request)  # type: ignore[no-any-return]
        from opentelemetry import context, propagate, trace
        from opentelemetry.instrumentation.wsgi import wsgi_getter

        caller = propagate.extract(request.META, getter=wsgi_getter)
        span_context = trace.get_current_span(caller).get_span_context()
        if not span_context.is_valid or span_context.trace_flags.sampled:
            return self.get_response(request)  # type: ignore[no-any-return]
        token = context.attach(caller)
        try:
            return self.untraced(request)  # type: ignore[no-any-return]
        finally:
            context.detach(token)


def _on_response(span: "Span", request: "HttpRequest", response: "HttpResponseBase") -> None:
    """Django's server span, as the request ends: its request id, and a name by the
    route template for a request the gateway forwarded without resolving it."""
    if not span.is_recording():
        return
    if request_id := getattr(request, "request_id", None):
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
    if route := getattr(request, "metrics_route", None):
        span.update_name(f"{request.method} {route}")
        span.set_attribute("http.route", route)


def shutdown(timeout_millis: int = 5000) -> None:
    """Export what is still buffered (a web process ends with os._exit, which runs no
    exit handlers)."""
    if _provider is not None:
        _provider.force_flush(timeout_millis)
        _provider.shutdown()


def span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    link_to: str = "",
    new_trace: bool = False,
) -> contextlib.AbstractContextManager[Any]:
    """A span around a block of work of our own, current inside it (yields the span, or
    None when tracing is off). `kind`: internal, producer, consumer, client, server;
    `link_to`: a stored traceparent the span links to (what caused it, in another trace or
    the same); `new_trace`: a root span even if a span is current (a sweep round)."""
    if _tracer is None:
        return _NOTHING
    return _span(name, kind=kind, attributes=attributes, link_to=link_to, new_trace=new_trace)


@contextlib.contextmanager
def _span(
    name: str, *, kind: str, attributes: Mapping[str, Any] | None, link_to: str, new_trace: bool
) -> Iterator["Span"]:
    from opentelemetry import context, trace

    from common.request_id import current_request_id

    links = []
    if link_to and (linked := _context_of(link_to)) is not None:
        links.append(trace.Link(linked))
    values = dict(attributes or {})
    if request_id := current_request_id.get():
        values.setdefault(REQUEST_ID_ATTRIBUTE, request_id)
    assert _tracer is not None  # span() checked
    with _tracer.start_as_current_span(
        name,
        context=context.Context() if new_trace else None,
        kind=trace.SpanKind[kind.upper()],
        attributes=values,
        links=links,
    ) as current:
        yield current


def quiet() -> contextlib.AbstractContextManager[Any]:
    """No spans inside (the instrumentations suppressed): idle polling of a dispatcher
    or a sweep, which would otherwise make a trace of a few statements every second."""
    if _provider is None:
        return _NOTHING
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def current_traceparent() -> str:
    """The W3C traceparent of the current span ("" when tracing is off or none is
    current), to store with work that is done later (an outbox event)."""
    if _provider is None:
        return ""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent", "")


def _context_of(traceparent: str) -> Any:
    """The span context a stored traceparent names, or None if it names none."""
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    linked = trace.get_current_span(TraceContextTextMapPropagator().extract({"traceparent": traceparent}))
    span_context = linked.get_span_context()
    return span_context if span_context.is_valid else None


def set_outcome(current: Any, *, ok: bool, description: str = "") -> None:
    """Mark a span of ours (from `span`) failed or not; nothing when tracing is off."""
    if current is None or ok:
        return
    from opentelemetry.trace import Status, StatusCode

    current.set_status(Status(StatusCode.ERROR, description[:200]))
