"""The smoke journey README.md's compose section promises, through the gateway that
docker-compose.yml publishes: a customer signs up, verifies the email with the link
notification_service printed to its log, logs in, fills the cart, checks out and
pays, the order is paid and the customer is told; the admin's login page loads, and the demo
staff opens the payment admin through the back office. Then
`docker compose stop` ends every container with exit code 0 within the grace period.
The tests run in this order (the last one stops the project)."""

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from common.demo import DEMO_STAFF
from tools.serve import SHUTDOWN_GRACE_SECONDS

PASSWORD = "compose-smoke-long-pass"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
TIMEOUT = 30


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def wait_for_notifications(http, url: str, headers: dict, subjects: set[str], timeout: float = 60.0) -> dict:
    """The customer's notifications once they include `subjects` (events arrive through
    the outbox dispatchers, a moment after the call that published them)."""
    deadline = time.monotonic() + timeout
    while True:
        page = http.get(url, params={"page_size": 100}, headers=headers, timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        if subjects <= {n["subject"] for n in page.json()["results"]}:
            return page.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"no notifications {subjects} within {timeout:.0f} s: {page.json()}")
        time.sleep(1)


def test_the_gateway_reports_every_service_ready(project, http):
    health = http.get(f"{project.gateway}/health/", timeout=TIMEOUT)
    assert health.status_code == 200, health.text
    assert {name: part["status"] for name, part in health.json()["services"].items()} == {
        name: "ready" for name in ("book", "order", "customer", "cart", "payment", "notification", "inventory")
    }


def emailed_link(project, address: str, path: str, timeout: float = 60.0) -> dict[str, str]:
    """The query of the `path` link in the email to `address`, as a developer finds it:
    without EMAIL_HOST, notification_service prints its emails to its log."""
    deadline = time.monotonic() + timeout
    while True:
        after = project.logs("notification-service").split(f"To: {address}", 1)
        if len(after) == 2 and (link := re.search(rf"https?://\S+/{path}/\?\S+", after[1])):
            return {name: values[0] for name, values in parse_qs(urlsplit(link[0]).query).items()}
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path} link to {address} in notification's log within {timeout:.0f} s")
        time.sleep(1)


def test_a_customer_signs_up_logs_in_checks_out_pays_and_is_told(project, http, timed):
    gateway = project.gateway
    username = f"smoke{uuid.uuid4().hex[:8]}"
    with timed("journey"):
        account = http.post(
            f"{gateway}/api/accounts/",
            json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
            timeout=TIMEOUT,
        )
        assert account.status_code == 201, account.text
        user_id = account.json()["id"]
        # Ordering needs the email verified: the link the sign-up was sent.
        token = emailed_link(project, f"{username}@example.com", "verify-email")["token"]
        verified = http.post(f"{gateway}/api/auth/verify-email/", json={"token": token}, timeout=TIMEOUT)
        assert verified.status_code == 200, verified.text

        login = http.post(
            f"{gateway}/api/auth/login/", json={"username": username, "password": PASSWORD}, timeout=TIMEOUT
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access']}"}

        fullname = http.post(
            f"{gateway}/api/fullnames/", json={"first_name": "Dế", "last_name": "Mèn"}, headers=auth, timeout=TIMEOUT
        )
        address = http.post(
            f"{gateway}/api/addresses/",
            json={"address": "1 Bờ Ruộng", "city": "Hà Nội", "country": "Vietnam"},
            headers=auth,
            timeout=TIMEOUT,
        )
        assert (fullname.status_code, address.status_code) == (201, 201), (fullname.text, address.text)
        customer = http.post(
            f"{gateway}/api/customers/",
            json={"account_id": user_id, "fullname_id": fullname.json()["id"], "address_id": address.json()["id"]},
            headers=auth,
            timeout=TIMEOUT,
        )
        assert customer.status_code == 201, customer.text  # and cart_service made the cart

        # A book of the demo catalog, which the demo-stock container stocked.
        found = http.get(f"{gateway}/api/books/search/", params={"search_term": "de men"}, timeout=TIMEOUT)
        assert found.status_code == 200, found.text
        book = found.json()["results"][0]
        added = http.post(
            f"{gateway}/api/carts/{user_id}/items/",
            json={"product_id": book["id"], "quantity": 2},
            headers=auth,
            timeout=TIMEOUT,
        )
        assert added.status_code == 201, added.text

        checkout = http.post(
            f"{gateway}/api/checkout/",
            json={"payment_method": "card", "card": CARD},
            headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
            timeout=TIMEOUT,
        )
        assert checkout.status_code == 201, checkout.text
        order, payment = checkout.json()["order"], checkout.json()["payment"]
        assert (payment["status"], payment["amount"]) == ("succeeded", order["total"])

        read_back = http.get(f"{gateway}/api/orders/{order['id']}/", headers=auth, timeout=TIMEOUT)
        assert read_back.status_code == 200, read_back.text
        assert read_back.json()["status"] == "paid"
        cart = http.get(f"{gateway}/api/carts/{user_id}/", headers=auth, timeout=TIMEOUT)
        assert cart.json()["items"] == []

        placed, received = f"Order #{order['id']} placed", f"Payment received for order #{order['id']}"
        notes = wait_for_notifications(http, f"{gateway}/api/notifications/", auth, {placed, received})
        assert {n["event_type"] for n in notes["results"] if n["subject"] in {placed, received}} == {
            "order.created",
            "payment.succeeded",
        }


def test_a_demo_cover_is_served_through_the_gateway_from_its_volume(project, http):
    found = http.get(f"{project.gateway}/api/books/search/", params={"search_term": "hobbit"}, timeout=TIMEOUT)
    assert found.status_code == 200, found.text
    cover_url = found.json()["results"][0]["cover_url"]
    assert cover_url, found.json()["results"][0]  # drawn by load_demo_data into the book-media volume

    cover = http.get(cover_url, timeout=TIMEOUT)

    assert (cover.status_code, cover.headers["Content-Type"]) == (200, "image/png")
    assert cover.content.startswith(b"\x89PNG")


def test_the_admin_login_page_loads_with_its_styles(project, http):
    page = http.get(f"{project.gateway}/admin/login/", timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text
    assert "csrfmiddlewaretoken" in page.text
    css = http.get(f"{project.gateway}/static/admin/css/base.css", timeout=TIMEOUT)
    assert css.status_code == 200
    assert "text/css" in css.headers["Content-Type"]


def test_the_demo_staff_opens_the_payment_admin_through_the_back_office(project):
    """One login at the gateway's /admin/ opens every service's admin under its prefix,
    payment's too (browsers refuse its own port, 6000), styled through the prefix."""
    with requests.Session() as browser:
        form = browser.get(f"{project.gateway}/admin/login/", timeout=TIMEOUT)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
        login = browser.post(
            f"{project.gateway}/admin/login/",
            data={**DEMO_STAFF, "csrfmiddlewaretoken": csrf, "next": "/admin/payment/"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert (login.status_code, login.headers.get("Location")) == (302, "/admin/payment/"), login.text[:300]
        admin = browser.get(f"{project.gateway}/admin/payment/", timeout=TIMEOUT)
        assert admin.status_code == 200, admin.text[:300]
        assert "Site administration" in admin.text
        assert 'href="/admin/payment/static/admin/css/base.css"' in admin.text
        css = browser.get(f"{project.gateway}/admin/payment/static/admin/css/base.css", timeout=TIMEOUT)
        assert css.status_code == 200
        assert "text/css" in css.headers["Content-Type"]


def test_compose_stop_ends_every_container_with_exit_code_0_within_the_grace_period(project, timed):
    running = {c.name for c in project.containers() if c.status == "running"}
    assert len(running) >= 12  # the database, eight services and three dispatchers
    asked = datetime.now(UTC)
    with timed("stop"):
        project.stop()
    stopped = {c.name: c for c in project.containers()}
    assert {name: c.exit_code for name, c in stopped.items()} == {name: 0 for name in stopped}
    grace = timedelta(seconds=SHUTDOWN_GRACE_SECONDS)
    took = {name: stopped[name].finished_at - asked for name in running}
    assert all(t <= grace for t in took.values()), took
