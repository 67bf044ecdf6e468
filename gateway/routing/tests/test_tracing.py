"""With tracing on, each call the gateway forwards is a client span whose W3C traceparent
goes on to the service: the service's server span is the client span's child, in the
trace of the request that reached the gateway."""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from common import telemetry


@pytest.fixture
def spans(monkeypatch):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(telemetry, "_provider", provider)
    monkeypatch.setattr(telemetry, "_tracer", provider.get_tracer("bookstore"))
    return exporter


CLIENTS_OWN = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_forwarded_call_is_a_client_span_whose_traceparent_is_sent_on(spans, client, upstream):
    with telemetry.span("the request at the gateway") as parent:
        response = client.get("/api/books/1/?q=x", HTTP_X_REQUEST_ID="r-9", HTTP_TRACEPARENT=CLIENTS_OWN)

    assert response.status_code == 201
    (call,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert call.name == "GET"
    assert call.parent.span_id == parent.get_span_context().span_id
    assert call.attributes["http.method"] == "GET"
    assert call.attributes["http.url"] == f"http://127.0.0.1:{upstream.server_port}/api/books/1/?q=x"
    assert call.attributes["http.status_code"] == 201
    assert call.attributes[telemetry.REQUEST_ID_ATTRIBUTE] == "r-9"
    # One traceparent reaches the service, the client span's: the client's own was
    # continued by the gateway's server span, not sent on beside it.
    (sent,) = upstream.seen[0]["headers"].get_all("traceparent")
    assert sent.split("-")[1:3] == [f"{call.context.trace_id:032x}", f"{call.context.span_id:016x}"]


def test_a_call_that_fails_is_a_failed_span(spans, client, upstream, settings):
    settings.GATEWAY_READ_TIMEOUT = 0.2
    assert client.get("/api/books/slow/").status_code == 504
    (call,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert call.status.status_code == StatusCode.ERROR


def test_tracing_off_sends_the_clients_traceparent_as_it_came(client, upstream):
    client.get("/api/books/1/", HTTP_TRACEPARENT=CLIENTS_OWN)
    assert upstream.seen[0]["headers"].get_all("traceparent") == [CLIENTS_OWN]
