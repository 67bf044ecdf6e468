"""The edge, tried as an attacker would: clients on their own loopback addresses
(127.0.0.x, the client socket bound to each), the headers a client may forge, input
that used to be a 500, a peer answering garbage, and log lines a path tried to forge.
"""

import json
import socket
import threading
import time
import uuid
from http.server import ThreadingHTTPServer

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.e2e.people import PASSWORD, sign_up
from tests.e2e.stand_ins import QuietHandler

# customer_service's LOGIN_FAILURES_PER_ADDRESS in the end-to-end stack (its default).
FAILURES_PER_ADDRESS = 20
SPOOFED = {"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def client_at(address: str) -> requests.Session:
    """A session whose connections come from `address` (any 127.0.0.x is this machine)."""
    session = requests.Session()
    session.mount("http://", _SourceAddressAdapter(address))
    return session


@pytest.fixture(scope="module")
def user(stack):
    with requests.Session() as http:
        return sign_up(stack, http, "edge")


def login(session: requests.Session, base: str, username: str, password: str, headers=None) -> requests.Response:
    return session.post(f"{base}/api/auth/login/", json={"username": username, "password": password}, headers=headers)


def fail_logins(session: requests.Session, base: str, count: int, *, spoof: bool = False) -> None:
    for attempt in range(count):
        # A new username each time: only the address's count grows, not a username's.
        headers = {"X-Forwarded-For": f"198.51.100.{attempt}", "X-Real-IP": f"198.51.100.{attempt}"} if spoof else None
        response = login(session, base, f"nobody-{uuid.uuid4().hex[:10]}", "wrong", headers)
        assert response.status_code == 401, response.text


# --- Client addresses: the one the socket shows, whatever the client writes ------------------


def test_failed_logins_from_other_addresses_do_not_lock_out_a_login_from_another(stack, user):
    """The issue's reproduction: failures from 127.0.0.2 and 127.0.0.3 (the second one
    writing a new X-Forwarded-For each time), then a correct login from 127.0.0.4."""
    with client_at("127.0.0.2") as first, client_at("127.0.0.3") as second, client_at("127.0.0.4") as third:
        fail_logins(first, stack.gateway, FAILURES_PER_ADDRESS)
        fail_logins(second, stack.gateway, FAILURES_PER_ADDRESS, spoof=True)

        locked = login(first, stack.gateway, user["username"], PASSWORD)
        spoofer = login(second, stack.gateway, user["username"], PASSWORD, {"X-Forwarded-For": "192.0.2.200"})
        other = login(third, stack.gateway, user["username"], PASSWORD)

    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "login_throttled")
    assert "for this address" in locked.json()["error"]["message"]
    assert spoofer.status_code == 429, "a forged X-Forwarded-For escaped the address's limit"
    assert other.status_code == 200, other.text


def test_a_client_calling_customer_service_directly_cannot_choose_its_address(stack, user):
    customer = stack.url("customer")
    with client_at("127.0.0.5") as direct, client_at("127.0.0.6") as other:
        fail_logins(direct, customer, FAILURES_PER_ADDRESS, spoof=True)

        spoofed = login(direct, customer, user["username"], PASSWORD, {"X-Forwarded-For": "192.0.2.201"})
        elsewhere = login(other, customer, user["username"], PASSWORD)

    assert spoofed.status_code == 429, spoofed.text
    assert elsewhere.status_code == 200, elsewhere.text


def test_a_forged_forwarded_for_does_not_escape_the_gateways_login_limit(stack):
    limited = stack.extra_gateway(GATEWAY_RATE_LOGIN="3/hour")
    with limited as gateway, client_at("127.0.0.7") as spoofer, client_at("127.0.0.8") as other:
        statuses = [
            login(spoofer, gateway, "nobody", "wrong", {"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(7)
        ]
        first_of_another = login(other, gateway, "nobody", "wrong").status_code

    # Seven over a limit of three: even split by the end of an hour's window, one side has a fourth.
    assert 429 in statuses
    assert first_of_another == 401


def _access_line(stack, service: str, request_id: str) -> str:
    """The access line of one request in a service's log (written as the answer leaves)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in stack.log_path(service).read_text(errors="replace").splitlines():
            if f"[{request_id}] access: " in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"no access line for {request_id} in the {service} log")


def test_every_hop_logs_the_real_client(stack, user):
    request_id = f"edge-{uuid.uuid4().hex}"
    with client_at("127.0.0.9") as http:
        headers = user["headers"] | SPOOFED | {"X-Request-ID": request_id}
        assert http.get(f"{stack.gateway}/api/accounts/{user['id']}/", headers=headers).status_code == 200

    assert " client=127.0.0.9 " in _access_line(stack, "gateway", request_id) + " "
    assert " client=127.0.0.9 " in _access_line(stack, "customer", request_id) + " "


# --- Links: the gateway's public host and scheme ------------------------------------------------


@pytest.fixture(scope="module")
def two_full_names(stack, user):
    with requests.Session() as http:
        for first_name in ("Lan", "Mai"):
            body = {"first_name": first_name, "last_name": "Trần"}
            assert http.post(f"{stack.gateway}/api/fullnames/", json=body, headers=user["headers"]).status_code == 201


def test_pagination_links_through_the_gateway_carry_its_host_and_scheme(stack, user, two_full_names):
    port = stack.ports["gateway"]
    with client_at("127.0.0.10") as http:
        headers = user["headers"] | SPOOFED | {"Host": f"localhost:{port}"}
        page = http.get(f"{stack.gateway}/api/fullnames/", params={"page_size": 1}, headers=headers)

    assert page.status_code == 200, page.text
    assert page.json()["next"] == f"http://localhost:{port}/api/fullnames/?page=2&page_size=1"


def test_a_client_calling_a_service_directly_cannot_choose_its_links(stack, user, two_full_names):
    with client_at("127.0.0.11") as http:
        page = http.get(
            f"{stack.url('customer')}/api/fullnames/", params={"page_size": 1}, headers=user["headers"] | SPOOFED
        )

    assert page.status_code == 200, page.text
    assert page.json()["next"].startswith(f"{stack.url('customer')}/api/fullnames/?")


# --- Hostile input: a 4xx naming what was wrong, never a 500 ------------------------------------


@pytest.mark.parametrize("target", ["gateway", "direct"])
@pytest.mark.parametrize("path", ["/api/books/", "/api/fullnames/", "/api/notifications/"])
def test_a_page_size_of_five_thousand_digits_is_a_400_naming_it(stack, user, target, path):
    service = {"/api/books/": "book", "/api/fullnames/": "customer", "/api/notifications/": "notification"}[path]
    base = stack.gateway if target == "gateway" else stack.url(service)
    with client_at("127.0.0.12") as http:
        response = http.get(f"{base}{path}", params={"page_size": "9" * 5000}, headers=user["headers"])

    assert response.status_code == 400, response.text
    assert list(response.json()["error"]["details"]) == ["page_size"]


DEEP = '{"a":' * 50_000 + "1" + "}" * 50_000


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/api/auth/login/", {}), ("/api/checkout/", {"Idempotency-Key": "edge-deep"}), ("/api/fullnames/", {})],
)
def test_json_nested_fifty_thousand_deep_is_a_400(stack, user, path, extra):
    headers = user["headers"] | extra | {"Content-Type": "application/json"}
    with client_at("127.0.0.13") as http:
        response = http.post(f"{stack.gateway}{path}", data=DEEP, headers=headers)

    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"]["code"] == "parse_error"


def test_an_oversized_header_is_a_431_in_the_common_shape(stack):
    with client_at("127.0.0.14") as http:
        response = http.get(f"{stack.gateway}/api/books/", headers={"X-Padding": "a" * 9000})

    assert response.status_code == 431
    assert response.json()["error"]["details"] == {"X-Padding": [response.json()["error"]["message"]]}


def _chunks(body: bytes, size: int = 65536):
    """The body as a generator: requests sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_is_a_411_and_reaches_no_service(stack, user):
    """The gateway's server cannot tell a cut-off chunked body from a whole one
    (tools/granian_worker.py), so it takes bodies with a Content-Length only."""
    request_id = f"edge-{uuid.uuid4().hex}"
    body = json.dumps({"username": user["username"], "password": PASSWORD}).encode()
    with client_at("127.0.0.17") as http:
        response = http.post(
            f"{stack.gateway}/api/auth/login/",
            data=_chunks(body, 7),
            headers={"Content-Type": "application/json", "X-Request-ID": request_id},
        )

    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 411, response.text
    assert response.json()["error"]["code"] == "length_required"
    assert request_id not in stack.log_path("customer").read_text(errors="replace")


@pytest.mark.parametrize(
    ("size", "max_bytes"),
    [(2 * 1024 * 1024, 1024 * 1024), (9 * 1024 * 1024, 8 * 1024 * 1024)],
    ids=["over the gateway's limit", "over the server's limit"],
)
def test_a_body_over_a_limit_is_a_413_in_the_common_shape(stack, user, size, max_bytes):
    with client_at("127.0.0.18") as http:
        response = http.post(
            f"{stack.gateway}/api/fullnames/",
            data=b"x" * size,
            headers=user["headers"] | {"Content-Type": "application/json"},
        )

    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["code"] == "payload_too_large"
    assert str(max_bytes) in response.json()["error"]["message"]


def test_a_body_cut_short_reaches_no_service(stack, user):
    """The client stops before its Content-Length: the gateway answers 400 and forwards nothing."""
    request_id = f"edge-{uuid.uuid4().hex}"
    head = (
        f"POST /api/fullnames/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {user['headers']['Authorization']}\r\nX-Request-ID: {request_id}\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", stack.ports["gateway"]), timeout=30) as client:
        client.sendall(head.encode() + b'{"first_name": "Cut"}')
        client.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: client.recv(65536), b""))

    assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert b'"bad_request"' in answer
    assert request_id not in stack.log_path("customer").read_text(errors="replace")


# --- A peer answering garbage ---------------------------------------------------------------------


class _Garbage(QuietHandler):
    def do_GET(self):
        self.reply(b"<html>definitely not a cart</html>", "text/html")


def test_me_reports_the_cart_unavailable_when_cart_service_answers_garbage(stack, user):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        garbage_cart = f"http://127.0.0.1:{server.server_address[1]}"
        with stack.extra_gateway(CART_SERVICE_URL=garbage_cart) as gateway, client_at("127.0.0.15") as http:
            response = http.get(f"{gateway}/api/me/", headers=user["headers"])
    finally:
        server.shutdown()
        server.server_close()

    assert response.status_code == 200, response.text
    assert response.json()["account"]["id"] == user["id"]
    assert response.json()["cart"] is None
    assert response.json()["unavailable"] == [{"part": "cart", "service": "cart", "code": "service_unavailable"}]


# --- Log lines a request cannot forge ------------------------------------------------------------


def test_a_path_with_a_line_break_cannot_forge_a_log_line(stack):
    request_id = f"edge-{uuid.uuid4().hex}"
    with client_at("127.0.0.16") as http:
        response = http.get(f"{stack.gateway}/api/nothing%0d%0aFORGED-LINE/", headers={"X-Request-ID": request_id})
    assert response.status_code == 404

    line = _access_line(stack, "gateway", request_id)

    assert "/api/nothing\\r\\nFORGED-LINE/" in line
    log = stack.log_path("gateway").read_text(errors="replace").splitlines()
    assert not [forged for forged in log if forged.startswith("FORGED-LINE")]
