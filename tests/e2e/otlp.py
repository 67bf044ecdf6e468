"""A real OTLP/HTTP receiver for the end-to-end suite: what a collector would be.

The services export their spans to it as they would to an OpenTelemetry collector
(`OTEL_EXPORTER_OTLP_ENDPOINT=<its url>`, protobuf over HTTP, POST /v1/traces); it
decodes each ExportTraceServiceRequest with opentelemetry-proto and keeps the spans,
for tests to look for the traces of what they did.
"""

import gzip
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from tests.e2e.stand_ins import QuietHandler

KINDS = {value: name.removeprefix("SPAN_KIND_").lower() for name, value in ProtoSpan.SpanKind.items()}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class Span:
    service: str  # the resource's service.name
    process: str  # the resource's bookstore.process: web, dispatch_events, ...
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root span
    name: str
    kind: str  # server, client, internal, producer, consumer
    attributes: dict[str, Any]
    links: list[tuple[str, str]]  # (trace id, span id) of each span it links to
    start_ns: int
    end_ns: int
    status_code: int = 0  # 2: error

    def __repr__(self) -> str:
        return f"<{self.service} {self.kind} {self.name!r} {self.span_id} parent={self.parent_id or '-'}>"


@dataclass
class OtlpReceiver:
    spans: list[Span] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver.take(ExportTraceServiceRequest.FromString(body))
                self.reply(ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self, request: ExportTraceServiceRequest) -> None:
        spans = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        Span(
                            service=resource.get("service.name", ""),
                            process=resource.get("bookstore.process", ""),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=KINDS.get(span.kind, "unspecified"),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            status_code=span.status.code,
                        )
                    )
        with self._lock:
            self.spans.extend(spans)
            self.requests += 1

    def snapshot(self) -> list[Span]:
        with self._lock:
            return list(self.spans)

    def trace(self, trace_id: str) -> list[Span]:
        return [span for span in self.snapshot() if span.trace_id == trace_id]

    def wait_for(self, found: Callable[[list[Span]], Any], timeout: float = 20.0) -> Any:
        """The first truthy `found(spans)`, asked again as spans arrive; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = found(self.snapshot())
            if result or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert result, f"not among the {len(self.snapshot())} spans received in {timeout} s"
        return result
