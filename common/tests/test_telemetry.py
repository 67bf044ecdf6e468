"""common.telemetry: off unless asked (nothing installed), and on: a server span per
request with its request id, traceparent sent on by requests (common.http), outbox
deliveries linked to the span that published them, idle polling quiet."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from common import telemetry
from common.http import client_for
from common.outbox import dispatcher, publisher
from common.outbox.models import OutboxEvent
from tests.outbox_setup import SUBSCRIBER

COMMON_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, []),
    ],
)
def test_the_standard_variables_say_whether_and_where_spans_go(environ, wanted):
    assert telemetry.exporters_wanted(environ) == wanted


def test_an_exporter_it_does_not_know_is_refused():
    with pytest.raises(telemetry.TelemetryConfigError, match="zipkin"):
        telemetry.exporters_wanted({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_one_trace_in_ten_by_default_decided_where_the_trace_starts():
    sampler = telemetry.sampler_for({})

    assert sampler.get_description().startswith("ParentBased{root:TraceIdRatioBased{0.1}")
    kept = sum(
        sampler.should_sample(None, trace_id, "GET /api/books/").decision.is_sampled()
        for trace_id in range(1, 2**64, 2**64 // 1000)
    )
    assert 50 < kept < 150  # of 1000 trace ids spread evenly


def test_otel_traces_sampler_replaces_the_default():
    assert telemetry.sampler_for({"OTEL_TRACES_SAMPLER": "parentbased_always_on"}) is None  # the SDK reads it


def test_off_by_default_nothing_is_installed_or_even_imported():
    """A web process with no OTEL_* variable: no tracer provider, no instrumentation, no
    middleware of OpenTelemetry's; a request goes through as before."""
    probe = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django
django.setup()
from django.conf import settings
from django.test import Client
from common import telemetry
on = telemetry.setup("book", process="web")
status = Client().get("/health/", HTTP_HOST="localhost").status_code
print(json.dumps({
    "on": on,
    "status": status,
    "imported": sorted(m for m in sys.modules if m.startswith("opentelemetry")),
    "middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m],
}))
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=COMMON_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"on": False, "status": 200, "imported": [], "middleware": []}


def test_off_what_the_code_asks_of_it_costs_nothing():
    assert not telemetry.enabled()
    with telemetry.span("work") as span, telemetry.quiet():
        assert span is None
    assert telemetry.current_traceparent() == ""


@pytest.fixture
def spans(settings, monkeypatch):
    """Tracing on, as setup() turns it on, with spans kept in memory; Django's and
    requests' instrumentation taken off again afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(telemetry, "_provider", provider)
    monkeypatch.setattr(telemetry, "_tracer", provider.get_tracer("bookstore"))
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)
    DjangoInstrumentor().instrument(
        tracer_provider=provider,
        middleware_position=telemetry.django_middleware_position(settings.MIDDLEWARE),
        response_hook=telemetry._on_response,
        excluded_urls="ready/",
    )
    RequestsInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        DjangoInstrumentor().uninstrument()
        RequestsInstrumentor().uninstrument()


def named(exporter, name):
    return [span for span in exporter.get_finished_spans() if span.name == name]


def test_a_request_is_a_server_span_named_by_its_route_with_its_request_id(spans, client):
    response = client.get("/carts/7/", HTTP_X_REQUEST_ID="req-42", HTTP_AUTHORIZATION="Bearer nothing")
    (server,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert server.name == "GET carts/<int:user_id>/"
    assert server.attributes[telemetry.REQUEST_ID_ATTRIBUTE] == "req-42"
    assert server.attributes["http.route"] == "carts/<int:user_id>/"
    assert response["X-Request-ID"] == "req-42"


def test_the_middleware_comes_after_common_forwarded(spans, settings):
    assert settings.MIDDLEWARE.index(
        "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
    ) == (settings.MIDDLEWARE.index("common.forwarded.ForwardedHeadersMiddleware") + 1)


def test_a_service_call_sends_the_traceparent_on(spans, mocked_responses, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "cart": "http://cart.test"}
    mocked_responses.get("http://cart.test/api/carts/1/", json={})
    with telemetry.span("checkout") as parent:
        client_for("cart").get("/api/carts/1/")
    sent = mocked_responses.calls[0].request.headers["traceparent"]
    (call,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CLIENT]
    trace_id, span_id = sent.split("-")[1:3]
    assert int(trace_id, 16) == parent.get_span_context().trace_id
    assert int(span_id, 16) == call.context.span_id  # the callee's parent is the client span
    assert call.parent.span_id == parent.get_span_context().span_id


@pytest.mark.django_db(transaction=True)
def test_an_outbox_delivery_links_to_the_span_that_published_it(spans, outbox_settings, mocked_responses):
    mocked_responses.post("http://127.0.0.1:7000/api/events/", json={})
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", json={})
    with telemetry.span("checkout"):
        event = publisher.publish("thing.happened", {"n": 1}, key="thing:1")
    stored = OutboxEvent.objects.get(pk=event.pk).traceparent
    (published,) = named(spans, "outbox publish thing.happened")
    assert stored.startswith(f"00-{published.context.trace_id:032x}-{published.context.span_id:016x}-")

    assert dispatcher.dispatch_once() == 2  # a dispatcher: no span current, a trace of its own

    deliveries = named(spans, "outbox deliver thing.happened")
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert delivery.parent is None
        assert [link.context.span_id for link in delivery.links] == [published.context.span_id]
        assert delivery.attributes["messaging.message.id"] == str(event.pk)
    # The dispatcher's search for due deliveries made no span (telemetry.quiet).
    assert not [
        span
        for span in spans.get_finished_spans()
        if span.parent is None and span.name not in {"checkout", "outbox deliver thing.happened"}
    ]


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [({}, False), ({"TRACE_DB_STATEMENTS": ""}, False), ({"TRACE_DB_STATEMENTS": "0"}, False)]
    + [({"TRACE_DB_STATEMENTS": value}, True) for value in ("1", "true", "on")],
)
def test_statement_spans_are_off_unless_trace_db_statements_asks(environ, wanted):
    assert telemetry.db_statements_wanted(environ) is wanted


def test_a_trace_db_statements_that_is_not_a_boolean_is_refused():
    with pytest.raises(telemetry.TelemetryConfigError, match="TRACE_DB_STATEMENTS"):
        telemetry.db_statements_wanted({"TRACE_DB_STATEMENTS": "sometimes"})


@pytest.mark.parametrize("statements", [False, True])
def test_the_database_instrumentations_are_installed_only_with_statement_spans(statements):
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    provider = TracerProvider()
    telemetry._instrument(provider, web=False, service="book", statements=statements, shortcut=True)
    try:
        assert SQLite3Instrumentor().is_instrumented_by_opentelemetry is statements
        assert PsycopgInstrumentor().is_instrumented_by_opentelemetry is statements
    finally:
        RequestsInstrumentor().uninstrument()
        if statements:
            SQLite3Instrumentor().uninstrument()
            PsycopgInstrumentor().uninstrument()


@pytest.mark.parametrize(
    ("sampler", "skips"),
    [("", True), ("parentbased_always_on", True), ("parentbased_traceidratio", True), ("always_on", False)],
)
def test_unsampled_callers_skip_the_middleware_only_where_the_sampler_follows_the_caller(sampler, skips):
    environ = {"OTEL_TRACES_SAMPLER": sampler} if sampler else {}
    assert telemetry.unsampled_callers_skip_the_middleware(environ) is skips


CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


def _shortcut_chain(seen):
    """The shortcut before OpenTelemetry's middleware, each wrapped as Django's
    load_middleware wraps them; the view records the span context current in it."""
    from django.core.handlers.exception import convert_exception_to_response
    from django.http import HttpResponse
    from opentelemetry import trace
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

    def view(request):
        seen.append(trace.get_current_span().get_span_context())
        return HttpResponse("ok")

    otel = convert_exception_to_response(_DjangoMiddleware(convert_exception_to_response(view)))
    return telemetry.UnsampledShortcutMiddleware(otel)


def test_an_unsampled_callers_request_skips_opentelemetrys_middleware_with_the_callers_context_current(spans, rf):
    seen = []
    shortcut = _shortcut_chain(seen)
    assert shortcut.untraced is not None  # found the middleware after OpenTelemetry's (Django's get_response)

    request = rf.get("/carts/7/", HTTP_TRACEPARENT=f"00-{CALLER_TRACE}-{CALLER_SPAN}-00")
    assert shortcut(request).status_code == 200

    (current,) = seen
    assert (f"{current.trace_id:032x}", f"{current.span_id:016x}") == (CALLER_TRACE, CALLER_SPAN)
    assert not current.trace_flags.sampled  # calls onward send the caller's unsampled traceparent
    assert not [key for key in request.META if key.startswith("opentelemetry")]  # its middleware never ran
    assert spans.get_finished_spans() == ()


@pytest.mark.parametrize("traceparent", [f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", None, "garbage"])
def test_a_sampled_or_new_trace_goes_through_opentelemetrys_middleware(spans, rf, traceparent):
    seen = []
    shortcut = _shortcut_chain(seen)
    headers = {"HTTP_TRACEPARENT": traceparent} if traceparent else {}
    assert shortcut(rf.get("/carts/7/", **headers)).status_code == 200

    (server,) = spans.get_finished_spans()
    assert server.kind == SpanKind.SERVER
    assert seen[0].span_id == server.context.span_id
    if traceparent and traceparent != "garbage":
        assert f"{server.context.trace_id:032x}" == CALLER_TRACE
        assert f"{server.parent.span_id:016x}" == CALLER_SPAN
