"""SIGTERM drills: a service told to stop while a slow request is in flight (waiting on a
frozen downstream service) refuses new connections at once, still answers that request,
and exits 0 within SHUTDOWN_GRACE_SECONDS (tools/graceful.py). The stopped service is
started again afterwards."""

import http.client
import json
import signal
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.invariants import wait_until_they_hold
from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until
from tools.serve import SHUTDOWN_GRACE_SECONDS

# Long enough that the frozen service's caller keeps waiting for it through the drill.
SLOW_CALLS = "20"


def unread_bytes(port: int) -> int:
    """Bytes that sockets of the server on `port` (127.0.0.1) received and it did not read:
    requests waiting for a frozen service."""
    waiting = 0
    for line in open("/proc/net/tcp").read().splitlines()[1:]:  # noqa: SIM115 (read at once)
        fields = line.split()
        local_port, state, queues = int(fields[1].split(":")[1], 16), fields[3], fields[4]
        if local_port == port and state == "01":  # ESTABLISHED
            waiting += int(queues.split(":")[1], 16)
    return waiting


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # the probe reached the backlog as the socket closed: look again
        return False
    except TimeoutError:  # its SYN was dropped as the socket closed (CI saw it once): no answer, look again
        return False
    return False


def send(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> http.client.HTTPConnection:
    """The request sent (in the kernel's hands) before the caller goes on; its answer is read later."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload, headers=headers | {"Content-Type": "application/json"})
    return connection


def stop_while_in_flight(stack, name: str, frozen: str, connection: http.client.HTTPConnection):
    """SIGTERM to `name` while its request waits on `frozen`; checks it refuses new
    connections but keeps running until `frozen` answers; returns (the answer, its body,
    the exit code, seconds from SIGTERM to exit)."""
    process, port = stack.processes[name], stack.ports[name]
    with stack.paused(frozen):
        answer = ThreadPoolExecutor(1).submit(lambda: (r := connection.getresponse(), r.read()))
        wait_until(f"the request reaching {frozen}", lambda: unread_bytes(stack.ports[frozen]) > 0)
        signalled = time.monotonic()
        stack.signal(name, signal.SIGTERM)
        wait_until(f"{name} closing its listening socket", lambda: refuses_connections(port))
        assert process.poll() is None, f"{name} exited before its request in flight was answered"
    response, body = answer.result(timeout=60)
    code = process.wait(timeout=SHUTDOWN_GRACE_SECONDS)
    return response, body, code, time.monotonic() - signalled


def test_the_gateway_answers_its_request_in_flight_then_exits_0(stack):
    staff = bearer(stack.token(user_id=1, is_staff=True))
    with stack.configured("gateway", GATEWAY_READ_TIMEOUT=SLOW_CALLS):
        connection = send(stack.ports["gateway"], "GET", "/api/books/?page_size=1", staff)
        response, body, code, seconds = stop_while_in_flight(stack, "gateway", "book", connection)

        assert response.status == 200, body
        assert "results" in json.loads(body)
        assert response.getheader("Connection") == "close"  # no next request on this connection
        assert code == 0
        assert seconds < SHUTDOWN_GRACE_SECONDS
        assert "stopping: no new connections" in stack.log_tail("gateway")


def test_order_service_finishes_a_checkout_in_flight_then_exits_0_and_the_shop_holds_together(stack, http):
    [book] = make_books(stack, [("Số đỏ (shutdown)", "30.00")], tag="shutdown")
    stock(stack, [book["id"]], 5)
    user_id = 930_001
    customer = bearer(stack.token(user_id=user_id))
    added = http.post(
        f"{stack.gateway}/api/carts/{user_id}/items/", json={"product_id": book["id"], "quantity": 2}, headers=customer
    )
    assert added.status_code == 201, added.text
    with stack.configured("order", SERVICE_READ_TIMEOUT=SLOW_CALLS):
        connection = send(
            stack.ports["order"],
            "POST",
            "/api/orders/",
            customer | {"Idempotency-Key": uuid.uuid4().hex},
            {"user_id": user_id},
        )
        response, body, code, seconds = stop_while_in_flight(stack, "order", "inventory", connection)

        assert response.status == 201, body
        assert json.loads(body)["status"] == "pending"
        assert code == 0
        assert seconds < SHUTDOWN_GRACE_SECONDS
    staff = bearer(stack.token(user_id=1, is_staff=True))
    wait_until_they_hold(stack, staff, {book["id"]}, timeout=60)
