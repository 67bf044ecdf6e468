"""Observability of the whole system (docs/operations.md): one checkout through the
gateway is one trace across every service it crosses, its outbox deliveries linked to
it, with every span exported over OTLP/HTTP to a real receiver; and every service's
/metrics is a Prometheus exposition whose counters move with the requests.

Tracing is off in the rest of the suite (as by default): the module restarts the whole
stack into it, exporting to the receiver, and back out of it at the end.
"""

import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from common.outbox import DISPATCHING_SERVICES
from common.registry import SERVICES
from tests.e2e.otlp import OtlpReceiver, Span
from tests.e2e.people import Shopper
from tests.e2e.shop import make_books, stock

REQUEST_ID = "bookstore.request_id"


@pytest.fixture(scope="module")
def receiver(stack):
    receiver = OtlpReceiver()
    receiver.start()
    # Batches leave every 200 ms rather than every 5 s, so a test waits less for its spans.
    with stack.configured_all(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_TRACES_SAMPLER="parentbased_always_on",  # every trace, where the default keeps one in ten
        TRACE_DB_STATEMENTS="1",  # a span per statement: off by default (common.telemetry)
    ):
        yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def book(stack):
    (book,) = make_books(stack, [("Nỗi buồn chiến tranh", "80.00")], tag="traces")
    stock(stack, [book["id"]], 20)
    return book


def by_id(spans: list[Span]) -> dict[str, Span]:
    return {span.span_id: span for span in spans}


def server_span(spans: list[Span], service: str, name: str) -> Span:
    """The service's one server span of that name: method and route template."""
    found = [s for s in spans if s.service == service and s.kind == "server" and s.name == name]
    assert len(found) == 1, (service, name, [s for s in spans if s.kind == "server"])
    return found[0]


def test_one_checkout_is_one_trace_across_every_service_it_crosses(stack, http, receiver, book):
    shopper = Shopper.signing_up(stack, http, "traced", customer=True)
    shopper.put_in_cart(book["id"], 2)
    request_id = f"trace-{uuid.uuid4().hex}"

    placed = http.post(
        f"{stack.gateway}/api/orders/",
        json={"user_id": shopper.user_id},
        headers=shopper.headers | {"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": request_id},
    )
    assert placed.status_code == 201, placed.text

    def checkout_trace(spans: list[Span]) -> list[Span] | None:
        roots = [s for s in spans if s.service == "gateway" and s.attributes.get(REQUEST_ID) == request_id]
        if not roots:
            return None
        trace = [s for s in spans if s.trace_id == roots[0].trace_id]
        needed = {"gateway", "order", "cart", "book", "inventory"}
        clear = [s for s in trace if s.service == "cart" and s.kind == "server" and s.name.startswith("DELETE")]
        # Whole: each process exports its spans in batches of its own, so a child (a call
        # made by a delivery in the background) can arrive before its parent.
        ids = {s.span_id for s in trace}
        whole = all(s.parent_id in ids for s in trace if s.parent_id)
        return trace if needed <= {s.service for s in trace} and clear and whole else None

    trace = receiver.wait_for(checkout_trace)
    spans = by_id(trace)
    # One root, the gateway's; every other span's parent is in the same trace.
    (root,) = [s for s in trace if not s.parent_id]
    assert (root.service, root.kind, root.name) == ("gateway", "server", "POST api/orders/*")
    assert all(s.parent_id in spans for s in trace if s is not root), [s for s in trace if s.parent_id not in spans]
    # Every hop: a server span whose parent is the caller's client span (traceparent sent on).
    order = server_span(trace, "order", "POST api/orders/")
    assert spans[order.parent_id].service == "gateway"
    assert spans[order.parent_id].kind == "client"
    assert spans[order.parent_id].parent_id == root.span_id
    read_cart = server_span(trace, "cart", "GET api/carts/<id:user_id>/")
    book_read = server_span(trace, "book", "GET api/books/")
    reserve = server_span(trace, "inventory", "POST api/warehouse/reservations/")
    clear = server_span(trace, "cart", "DELETE api/carts/<id:user_id>/items/")
    for callee, caller in ((read_cart, order), (book_read, read_cart), (reserve, order)):
        client = spans[callee.parent_id]
        assert (client.service, client.kind) == (caller.service, "client"), (callee, client)
        assert _ancestors(spans, client)[0] == caller, (callee, _ancestors(spans, client))
    # The cart is cleared by a scheduled outbox call, tried at once in the request: a
    # delivery span in the same trace, linked to the span that scheduled it.
    clear_delivery = _ancestors(spans, spans[clear.parent_id])[0]
    assert clear_delivery.name == "outbox deliver cart.clear", clear_delivery
    assert order in _ancestors(spans, clear_delivery)
    (scheduled,) = [s for s in trace if s.name == "outbox schedule cart.clear"]
    assert clear_delivery.links == [(scheduled.trace_id, scheduled.span_id)]
    # The request id is on the spans of every service it crossed.
    for service in ("gateway", "order", "cart", "book", "inventory"):
        assert any(s.service == service and s.attributes.get(REQUEST_ID) == request_id for s in trace), service
    # Database statements are spans of their own (TRACE_DB_STATEMENTS), children of the request's.
    assert any(s.service == "order" and s.kind == "client" and "db.statement" in s.attributes for s in trace)

    # order.created: published in the checkout's transaction, delivered after the commit to
    # notification_service, whose handling (and the email it sends) is that delivery's child.
    (published,) = [s for s in trace if s.name == "outbox publish order.created"]

    def created_delivery(spans: list[Span]) -> list[Span] | None:
        deliveries = [
            s
            for s in spans
            if s.name == "outbox deliver order.created" and (published.trace_id, published.span_id) in s.links
        ]
        handled = [
            s
            for s in spans
            if s.service == "notification"
            and s.kind == "server"
            and any(d.span_id in _ancestor_ids(by_id(spans), s) for d in deliveries)
        ]
        return deliveries + handled if handled else None

    linked = receiver.wait_for(created_delivery)
    delivery = linked[0]
    assert delivery.service == "order"
    assert delivery.attributes["messaging.destination.name"] == "order.created"
    assert delivery.attributes[REQUEST_ID] == request_id
    handled = [s for s in linked if s.service == "notification"]
    assert handled[0].name == "POST api/events/"


def _ancestors(spans: dict[str, Span], span: Span) -> list[Span]:
    """The span's parent, its parent's parent ... within what is known of the trace."""
    chain = []
    while span.parent_id in spans:
        span = spans[span.parent_id]
        chain.append(span)
    return chain


def _ancestor_ids(spans: dict[str, Span], span: Span) -> set[str]:
    return {s.span_id for s in _ancestors(spans, span)} | {span.parent_id}


def test_a_failed_checkout_is_found_by_its_request_id(stack, http, receiver, book):
    """What docs/operations.md tells an operator to do: the request id of an error answer
    finds its one trace, whose spans say which service refused it."""
    shopper = Shopper.signing_up(stack, http, "traced-refused", customer=True)
    shopper.put_in_cart(book["id"], 500)  # more than the warehouse holds (20)
    refused = shopper.checkout(key=uuid.uuid4().hex)
    assert refused.status_code == 409, refused.text
    request_id = refused.json()["error"]["request_id"]

    def traced(spans: list[Span]) -> list[Span] | None:
        found = [s for s in spans if s.attributes.get(REQUEST_ID) == request_id]
        return found if {"gateway", "order", "inventory"} <= {s.service for s in found} else None

    found = receiver.wait_for(traced)
    assert len({s.trace_id for s in found}) == 1
    statuses = {
        s.service: s.attributes.get("http.response.status_code", s.attributes.get("http.status_code"))
        for s in found
        if s.kind == "server"
    }
    assert statuses == {"gateway": 409, "order": 409, "cart": 200, "book": 200, "inventory": 409}


# --- metrics -------------------------------------------------------------------------


def scrape(url: str) -> dict[str, float]:
    """Every sample of a /metrics answer, parsed as Prometheus does: {'name{a="1"}': value}."""
    answer = requests.get(f"{url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = ",".join(f'{key}="{value}"' for key, value in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def total(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(
        value for key, value in samples.items() if key.startswith(name + "{") and all(label in key for label in wanted)
    )


def test_every_service_serves_metrics_that_move_with_requests(stack, http, book):
    before = {name: scrape(stack.url(name)) for name in SERVICES}
    shopper = Shopper.signing_up(stack, http, "metered", customer=True)
    order = shopper.buy(book["id"], 1)
    shopper.pay_for(order["id"])
    after = {name: scrape(stack.url(name)) for name in SERVICES}

    for name in SERVICES:
        assert total(after[name], "http_server_requests_total", service=name) > total(
            before[name], "http_server_requests_total", service=name
        ), name
        assert total(after[name], "db_connections_open", service=name) >= 1, name
        assert total(after[name], "process_cpu_seconds_total") > 0, name
    # Route templates, never raw paths.
    assert total(after["order"], "http_server_requests_total", route="api/orders/", method="POST", status="201") >= 1
    assert not [key for key in after["order"] if f"/{order['id']}/" in key]
    gateway = after["gateway"]
    assert total(gateway, "http_server_requests_total", route="api/orders/*", method="POST", status="201") > total(
        before["gateway"], "http_server_requests_total", route="api/orders/*", method="POST", status="201"
    )
    # Calls to other services by peer and outcome: the gateway's forwarding, order's client.
    assert total(gateway, "http_client_requests_total", peer="order", outcome="2xx") > total(
        before["gateway"], "http_client_requests_total", peer="order", outcome="2xx"
    )
    assert total(after["order"], "http_client_requests_total", peer="inventory", outcome="2xx") > total(
        before["order"], "http_client_requests_total", peer="inventory", outcome="2xx"
    )
    assert total(gateway, "http_server_request_duration_seconds_count", route="api/orders/*") >= 1
    assert total(gateway, "gateway_circuit_breaker_state", peer="order") == 0
    for name in DISPATCHING_SERVICES:
        assert f'outbox_backlog{{service="{name}"}}' in after[name], name
        assert f'outbox_parked{{service="{name}"}}' in after[name], name
    assert 'notification_emails{service="notification",state="queued"}' in after["notification"]


def test_metrics_are_not_routed_by_the_gateway(stack, http):
    """The gateway routes /api/<resource>/ only: a service's /metrics is not reachable
    through it, and the gateway's own refuses a request that came through a proxy."""
    assert http.get(f"{stack.gateway}/api/metrics").status_code == 404
    through_proxy = http.get(f"{stack.gateway}/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert through_proxy.status_code == 403, through_proxy.text
    assert through_proxy.json()["error"]["code"] == "permission_denied"
