"""common.http: the one way a service calls another."""

import copy
import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import pytest
import requests
from django.conf import settings
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError

from common import connections
from common.auth import service_token
from common.errors import ServiceTimeout, ServiceUnavailable
from common.http import ServiceClient, _ConnectRetry, client_for, conforms, peer_body
from common.request_id import current_request_id
from common.testing.platform_tests import assert_error_shape

BASE = "http://inventory.test"
STOCK = f"{BASE}/api/stock/1/"


@pytest.fixture
def inventory():
    client = ServiceClient("inventory", BASE + "/", connect_timeout=0.5, read_timeout=0.5, retries=2)
    yield client
    client.session.close()


@pytest.fixture
def request_id():
    token = current_request_id.set("trace-77")
    yield "trace-77"
    current_request_id.reset(token)


def test_call_carries_service_token_and_request_id(inventory, mocked_responses, request_id):
    mocked_responses.get(STOCK, json={"quantity": 3})

    response = inventory.get("/api/stock/1/")

    assert response.json() == {"quantity": 3}
    sent = mocked_responses.calls[0].request.headers
    assert sent["Authorization"] == f"Bearer {service_token()}"
    assert sent["X-Request-ID"] == request_id


def test_call_carries_the_given_token(inventory, mocked_responses):
    mocked_responses.post(STOCK, status=201)

    inventory.post("/api/stock/1/", token="callers-token", json={"quantity": 1})

    assert mocked_responses.calls[0].request.headers["Authorization"] == "Bearer callers-token"


def test_no_request_id_outside_a_request(inventory, mocked_responses):
    mocked_responses.get(STOCK, json={})

    inventory.get("/api/stock/1/")

    assert "X-Request-ID" not in mocked_responses.calls[0].request.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_raises_service_unavailable(inventory, mocked_responses, status):
    mocked_responses.get(STOCK, status=status)

    with pytest.raises(ServiceUnavailable) as raised:
        inventory.get("/api/stock/1/")

    assert raised.value.status_code == 503
    assert raised.value.code == "service_unavailable"
    assert raised.value.details == {"service": "inventory"}


def test_a_5xx_asked_for_is_returned_and_others_still_raise(inventory, mocked_responses):
    mocked_responses.get(STOCK, status=503, json={"error": {"details": {"service": "book"}}})
    mocked_responses.get(STOCK, status=500)

    assert inventory.get("/api/stock/1/", pass_on=(503, 504)).status_code == 503
    with pytest.raises(ServiceUnavailable):
        inventory.get("/api/stock/1/", pass_on=(503, 504))


@pytest.mark.parametrize("status", [400, 404, 409])
def test_4xx_is_returned(inventory, mocked_responses, status):
    mocked_responses.get(STOCK, status=status, json={"error": {"code": "x"}})

    assert inventory.get("/api/stock/1/").status_code == status


@pytest.mark.parametrize(
    ("failure", "error", "status"),
    [
        (requests.ConnectionError("refused"), ServiceUnavailable, 503),
        (requests.ConnectTimeout("no answer to SYN"), ServiceUnavailable, 503),
        (requests.ReadTimeout("slow"), ServiceTimeout, 504),
    ],
)
def test_transport_failures(inventory, mocked_responses, failure, error, status):
    mocked_responses.get(STOCK, body=failure)

    with pytest.raises(error) as raised:
        inventory.get("/api/stock/1/")

    assert type(raised.value) is error
    assert raised.value.status_code == status
    assert raised.value.details == {"service": "inventory"}


@pytest.fixture
def local_client():
    """local_client(port, read_timeout) -> a client of a peer on this machine, closed after the test."""
    clients = []

    def make(port, *, read_timeout=0.5):
        client = ServiceClient(
            "inventory", f"http://127.0.0.1:{port}", connect_timeout=0.5, read_timeout=read_timeout, retries=1
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.session.close()


def test_closed_port_is_service_unavailable(local_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the socket is closed: nothing listens on the port any more

    with pytest.raises(ServiceUnavailable) as raised:
        local_client(port).get("/api/stock/1/")

    assert raised.value.details == {"service": "inventory"}


def test_a_proxy_in_the_environment_is_not_used_between_services(local_client, monkeypatch):
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")  # a proxy that would refuse
    monkeypatch.setenv("NO_PROXY", "")
    server = HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert local_client(server.server_port).get("/api/stock/1/").status_code == 200
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_peer_that_never_answers_is_service_timeout(local_client, method):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # the kernel accepts the connection; nothing ever answers
        client = local_client(server.getsockname()[1], read_timeout=0.2)

        with pytest.raises(ServiceTimeout) as raised:
            client.request(method, "/api/stock/1/")

    assert raised.value.status_code == 504
    assert raised.value.details == {"service": "inventory"}


def connection_error():
    return NewConnectionError(HTTPConnection("127.0.0.1", 1), "Connection refused")


def test_connect_retry_retries_idempotent_calls():
    retry = _ConnectRetry(total=2, connect=2, read=False, status=0, other=0)

    again = retry.increment("GET", "/api/stock/1/", error=connection_error())

    assert isinstance(again, _ConnectRetry)
    assert again.connect == 1
    assert again.total == 1


def test_connect_retry_never_resends_a_post():
    retry = _ConnectRetry(total=2, connect=2, read=False, status=0, other=0)

    with pytest.raises(MaxRetryError):
        retry.increment("POST", "/api/orders/", error=connection_error())


def test_client_for_is_one_client_per_service():
    client = client_for("inventory")

    assert client_for("inventory") is client
    assert client.base_url == settings.SERVICE_URLS["inventory"]
    assert client.timeout == (settings.SERVICE_CONNECT_TIMEOUT, settings.SERVICE_READ_TIMEOUT)


def test_a_plain_http_peer_goes_over_common_connections_and_an_https_one_over_urllib3():
    plain = ServiceClient("inventory", "http://inventory.internal:8000", connect_timeout=1, read_timeout=1, retries=0)
    secure = ServiceClient("url", "https://hooks.example.com/events", connect_timeout=1, read_timeout=1, retries=0)

    def pool_for(client, url):
        request = requests.Request("GET", url).prepare()
        return client.session.get_adapter(url).get_connection_with_tls_context(request, verify=True)

    assert isinstance(
        pool_for(plain, "http://inventory.internal:8000/api/stock/1/").connections, connections.ServiceConnections
    )
    # certificates checked as requests checks them (certifi's bundle), not by the lean client
    assert isinstance(pool_for(secure, "https://hooks.example.com/events"), HTTPSConnectionPool)
    assert isinstance(pool_for(plain, "http://elsewhere.internal/"), HTTPConnectionPool)  # a redirect elsewhere


def peer_url(path):
    return f"{client_for('inventory').base_url}{path}"


def test_view_passes_the_request_id_on(user_client, mocked_responses):
    mocked_responses.get(peer_url("/api/stock/1/"), json={"quantity": 3})

    response = user_client(5).get("/peer-stock/1/", HTTP_X_REQUEST_ID="trace-88")

    assert response.status_code == 200
    assert response.json() == {"quantity": 3}
    assert mocked_responses.calls[0].request.headers["X-Request-ID"] == "trace-88"


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (requests.ConnectionError("refused"), 503, "service_unavailable"),
        (requests.ReadTimeout("slow"), 504, "service_timeout"),
    ],
)
def test_dependency_error_in_a_view_is_the_error_shape(user_client, mocked_responses, failure, status, code):
    mocked_responses.get(peer_url("/api/stock/1/"), body=failure)

    error = assert_error_shape(user_client(5).get("/peer-stock/1/"), status, code)

    assert error["details"] == {"service": "inventory"}


def test_peer_5xx_in_a_view_is_503(user_client, mocked_responses):
    mocked_responses.get(peer_url("/api/stock/1/"), status=500)

    error = assert_error_shape(user_client(5).get("/peer-stock/1/"), 503, "service_unavailable")

    assert error["details"] == {"service": "inventory"}


CART = {"items": [{"product_id": int}], "total": str, "details_available": bool, "note": (str, type(None))}
A_CART = {"items": [{"product_id": 1, "quantity": 2}], "total": "9.00", "details_available": True, "note": None}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(A_CART, True, id="as the contract says, with a field more"),
        pytest.param(A_CART | {"note": "gift"}, True, id="either of two shapes"),
        pytest.param(A_CART | {"items": []}, True, id="an empty list"),
        pytest.param({k: v for k, v in A_CART.items() if k != "total"}, False, id="a field missing"),
        pytest.param(A_CART | {"total": 9}, False, id="a number for a string"),
        pytest.param(A_CART | {"items": [{"product_id": True}]}, False, id="a bool for an int"),
        pytest.param(A_CART | {"items": [{"product_id": 1}, "x"]}, False, id="one bad item"),
        pytest.param(A_CART | {"items": {"product_id": 1}}, False, id="an object for a list"),
        pytest.param([A_CART], False, id="a list for an object"),
        pytest.param("garbage", False, id="a string"),
    ],
)
def test_conforms_to_a_shape(value, expected):
    assert conforms(value, CART) is expected


def test_peer_body_is_the_answer_that_has_the_shape(inventory, mocked_responses):
    mocked_responses.get(f"{BASE}/api/cart/", json=A_CART)

    assert peer_body(inventory.get("/api/cart/"), service="inventory", shape=CART) == A_CART


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"body": "<html>oops</html>"}, id="not JSON"),
        pytest.param({"json": {"items": "x"}}, id="not the shape"),
        pytest.param({"body": "[" * 100_000 + "]" * 100_000}, id="too deep to decode"),
    ],
)
def test_a_peer_answering_garbage_is_unavailable(inventory, mocked_responses, answer):
    mocked_responses.get(f"{BASE}/api/cart/", **answer)
    response = inventory.get("/api/cart/")

    with pytest.raises(ServiceUnavailable) as raised:
        peer_body(response, service="inventory", shape=CART)

    assert raised.value.details == {"service": "inventory"}


class Recorder(BaseHTTPRequestHandler):
    """Answers every call and keeps what arrived, as bytes: the request line, the
    headers and the body. /cookie sets a cookie; /moved redirects to /moved-here."""

    protocol_version = "HTTP/1.1"
    arrived: list[bytes] = []

    def answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.arrived.append(self.requestline.encode() + b"\r\n" + bytes(self.headers) + body)
        self.send_response(302 if self.path == "/moved" else 200)
        if self.path == "/moved":
            self.send_header("Location", "/moved-here")
        if self.path == "/cookie":
            self.send_header("Set-Cookie", "flavour=oat; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


SENT_AS_REQUESTS_SENDS = [
    ("GET", "/api/stock/1/", {}),
    ("GET", "/api/books/", {"params": {"ids": "1,2,3", "blank": "", "gone": None, "many": [1, "two"]}}),
    ("GET", "/api/books/?page=2", {"params": {"page_size": 5}}),
    ("GET", "/api/books/search/", {"params": {"search_term": "Dune & ünïcode/?#"}}),
    ("POST", "/api/orders/", {"json": {"user_id": 7, "note": "ünïcode"}, "headers": {"Idempotency-Key": "k-1"}}),
    ("POST", "/api/orders/", {"json": {"user_id": 7}, "headers": {"Idempotency-Key": None}}),
    ("POST", "/api/events/", {}),
    ("PATCH", "/api/orders/3/", {"json": {"status": "paid"}, "headers": {"user-agent": "ours", "ACCEPT": "x/y"}}),
    ("DELETE", "/api/reservations/r-1/", {}),
    ("GET", "/cookie", {}),
    ("GET", "/api/stock/1/", {}),  # with the cookie the peer set
    ("GET", "/moved", {}),  # followed
]


def test_a_call_is_sent_as_requests_session_request_sends_it(local_client, request_id):
    """ServiceClient prepares its requests itself: the bytes on the wire are those of
    Session.request, given the same headers, with the session's cookies and redirects."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)  # a thread per kept-alive connection
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ours, reference = local_client(server.server_port), local_client(server.server_port)
    try:
        for method, path, kwargs in SENT_AS_REQUESTS_SENDS:
            Recorder.arrived = []
            ours.request(method, path, **copy.deepcopy(kwargs))
            by_us = Recorder.arrived
            Recorder.arrived = []
            headers = dict(kwargs.get("headers", {}))  # as ServiceClient adds its own
            headers.setdefault("Authorization", f"Bearer {service_token()}")
            headers.setdefault("X-Request-ID", request_id)
            reference.session.request(
                method, f"{reference.base_url}{path}", **{**kwargs, "headers": headers}, timeout=reference.timeout
            )
            assert by_us == Recorder.arrived, (method, path)
            assert by_us
    finally:
        server.shutdown()
        server.server_close()


class Compressed(BaseHTTPRequestHandler):
    """Answers with a gzipped body and a header sent twice."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = gzip.compress(b'{"compressed": true}')
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept")
        self.send_header("vary", "Cookie")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_answer_reads_as_urllib3_gave_it(local_client):
    """Calls go through common.connections: the body decoded, a repeated header joined."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Compressed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        response = local_client(server.server_port).get("/api/stock/1/")
    finally:
        server.shutdown()
        server.server_close()

    assert response.json() == {"compressed": True}
    assert response.headers["Vary"] == "Accept, Cookie"
    assert response.reason == "OK"


@pytest.fixture
def connects(monkeypatch):
    """The connects made (`made`) to a peer that refuses them, or fails them as `failure` says."""

    class Connects:
        made: list[tuple[str, int]] = []
        failure: OSError = ConnectionRefusedError("refused")

    def connect(address, timeout):
        Connects.made.append(address)
        raise Connects.failure

    monkeypatch.setattr(connections.socket, "create_connection", connect)
    monkeypatch.setattr(_ConnectRetry, "sleep", lambda self, response=None: None)
    return Connects


@pytest.mark.parametrize(("method", "tries"), [("GET", 3), ("DELETE", 3), ("POST", 1), ("PATCH", 1)])
def test_a_connect_is_retried_for_idempotent_calls_only(connects, method, tries):
    client = ServiceClient("inventory", "http://127.0.0.1:9", connect_timeout=0.5, read_timeout=0.5, retries=2)

    with pytest.raises(ServiceUnavailable) as raised:
        client.request(method, "/api/stock/1/")

    assert len(connects.made) == tries
    assert str(raised.value.detail) == "The inventory service is unavailable."


def test_a_connect_that_times_out_is_a_peer_that_cannot_be_reached(connects):
    connects.failure = TimeoutError("timed out")
    client = ServiceClient("inventory", "http://127.0.0.1:9", connect_timeout=0.5, read_timeout=0.5, retries=0)

    with pytest.raises(ServiceUnavailable) as raised:
        client.get("/api/stock/1/")

    assert str(raised.value.detail) == "The inventory service cannot be reached."


def test_with_tracing_on_a_call_sends_its_traceparent(local_client, monkeypatch):
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.trace import TracerProvider

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Recorder.arrived = []
    RequestsInstrumentor().instrument(tracer_provider=TracerProvider())
    try:
        local_client(server.server_port).get("/api/stock/1/")
    finally:
        RequestsInstrumentor().uninstrument()
        server.shutdown()
        server.server_close()

    (arrived,) = Recorder.arrived
    assert b"\ntraceparent: 00-" in arrived
