"""/admin/login/ and /admin/logout/: one staff login of customer_service for every admin."""

import json
import re

import pytest
import requests
from django.test import Client

from backoffice import session
from backoffice.tests.conftest import log_in, staff_access
from conftest import GatewayClient

pytestmark = pytest.mark.django_db


def csrf_of(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


@pytest.fixture
def browser() -> Client:
    """A client that, as a browser, gets the CSRF check."""
    client = GatewayClient(enforce_csrf_checks=True)
    return client


PASSWORD = "pw-0123"


def post_login(browser, *, next_page: str = "", **extra):
    form = browser.get("/admin/login/")
    data = {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(form), "next": next_page}
    return browser.post("/admin/login/", data, **extra)


def test_the_login_page_is_a_styled_form_with_a_csrf_token(client):
    page = client.get("/admin/login/?next=/admin/order/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="next" value="/admin/order/"' in html
    assert "/static/admin/css/login.css" in html
    assert client.get("/static/admin/css/login.css").status_code == 200


def test_a_staff_login_keeps_its_tokens_in_a_signed_httponly_cookie(browser, mocked_responses, customer_url):
    access = staff_access()
    mocked_responses.post(f"{customer_url}/api/auth/login/", json={"access": access, "refresh": "r-1"})

    answer = post_login(browser, next_page="/admin/order/order/?status=paid", REMOTE_ADDR="127.0.0.1")

    assert answer.status_code == 302
    assert answer["Location"] == "/admin/order/order/?status=paid"
    sent = mocked_responses.calls[0].request
    assert sent.headers["X-Forwarded-For"] == "127.0.0.1"  # failed logins are throttled per browser address
    assert json.loads(sent.body) == {"username": "boss", "password": PASSWORD}
    cookie = answer.cookies[session.COOKIE]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Lax", "/admin/")
    assert not cookie["secure"]  # plain http here
    assert access not in cookie.value  # signed, not the bare tokens
    assert session.stored_tokens(type("R", (), {"COOKIES": {session.COOKIE: cookie.value}})()) == (access, "r-1")


def test_the_cookie_is_secure_behind_https(browser, mocked_responses, customer_url, settings):
    settings.SESSION_COOKIE_SECURE = True  # HTTPS=1
    mocked_responses.post(f"{customer_url}/api/auth/login/", json={"access": staff_access(), "refresh": "r"})
    answer = post_login(browser)
    assert answer.cookies[session.COOKIE]["secure"]


def test_the_browsers_address_is_passed_on_from_a_trusted_proxy(browser, mocked_responses, customer_url, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]  # an ingress in front of the gateway
    mocked_responses.post(f"{customer_url}/api/auth/login/", json={"access": staff_access(), "refresh": "r"})
    post_login(browser, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert mocked_responses.calls[0].request.headers["X-Forwarded-For"] == "203.0.113.9"


@pytest.mark.parametrize(
    "unsafe", ["", "https://evil.example/admin/", "//evil.example/admin/", "/api/books/", "/admin/logout/"]
)
def test_a_login_goes_back_only_to_a_back_office_page(browser, mocked_responses, customer_url, unsafe):
    mocked_responses.post(f"{customer_url}/api/auth/login/", json={"access": staff_access(), "refresh": "r"})
    assert post_login(browser, next_page=unsafe)["Location"] == "/admin/"


def test_a_customer_login_is_refused(browser, mocked_responses, customer_url):
    mocked_responses.post(
        f"{customer_url}/api/auth/login/", json={"access": staff_access(is_staff=False), "refresh": "r"}
    )
    answer = post_login(browser)
    assert answer.status_code == 403
    assert "not a staff account" in answer.content.decode()
    assert session.COOKIE not in answer.cookies


@pytest.mark.parametrize(
    ("reply", "status", "says"),
    [
        ({"status": 401, "json": {"error": {"code": "invalid_credentials"}}}, 200, "username and password"),
        ({"status": 429, "json": {}, "headers": {"Retry-After": "42"}}, 429, "try again in 42 s"),
        ({"body": requests.ConnectionError("refused")}, 503, "customer service is unavailable"),
        ({"status": 200, "json": {"access": "no"}}, 503, "cannot read"),
    ],
    ids=["wrong-password", "throttled", "down", "unreadable"],
)
def test_a_refused_or_unchecked_login_says_why(browser, mocked_responses, customer_url, reply, status, says):
    mocked_responses.post(f"{customer_url}/api/auth/login/", **reply)
    answer = post_login(browser)
    assert answer.status_code == status
    assert says in answer.content.decode()
    assert session.COOKIE not in answer.cookies


def test_the_login_form_needs_its_csrf_token(browser, mocked_responses):
    answer = browser.post("/admin/login/", {"username": "boss", "password": "pw"})
    assert answer.status_code == 403  # and customer_service was never asked (mocked_responses: no call)


def test_logins_count_against_the_gateways_login_rate(browser, mocked_responses, customer_url, settings):
    from routing.rates import Rate

    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "login": Rate(limit=1, period=60)}
    mocked_responses.post(f"{customer_url}/api/auth/login/", status=401, json={})
    assert post_login(browser).status_code == 200
    refused = post_login(browser)
    assert refused.status_code == 429
    assert "Too many logins" in refused.content.decode()
    assert len(mocked_responses.calls) == 1


def test_logged_in_the_login_page_goes_home_unless_a_page_sent_back_here(client):
    log_in(client)
    assert client.get("/admin/login/")["Location"] == "/admin/"
    page = client.get("/admin/login/?next=/admin/book/")
    assert page.status_code == 200
    assert "You are logged in as boss" in page.content.decode()


def test_logout_drops_the_cookie(browser):
    log_in(browser)
    confirm = browser.get("/admin/logout/")  # where a service admin's "Log out" sends the user
    assert confirm.status_code == 200
    assert "You are logged in as <strong>boss</strong>" in confirm.content.decode()

    answer = browser.post("/admin/logout/", {"csrfmiddlewaretoken": csrf_of(confirm)})

    assert (answer.status_code, answer["Location"]) == (302, "/admin/login/?logged_out=1")
    dropped = answer.cookies[session.COOKIE]
    assert (dropped.value, dropped["max-age"], dropped["path"]) == ("", "0", "/admin/")
    assert browser.get("/admin/")["Location"] == "/admin/login/?next=%2Fadmin%2F"
    assert "logged out of every" in browser.get("/admin/login/?logged_out=1").content.decode()


def test_logout_needs_its_csrf_token(browser):
    log_in(browser)
    assert browser.post("/admin/logout/").status_code == 403
    assert browser.cookies[session.COOKIE].value  # still logged in
