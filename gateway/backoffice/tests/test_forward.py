"""/admin/ and /admin/<service>/...: the staff home, and every service's admin forwarded
with the staff member's bearer token and X-Forwarded-Prefix, the login renewed on the way."""

from datetime import timedelta

import pytest
import requests

from backoffice import session
from backoffice.tests.conftest import log_in, staff_access
from common.registry import SERVICES

pytestmark = pytest.mark.django_db


def test_the_home_links_every_services_admin_with_its_health(client, upstream):
    log_in(client)
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    for service in SERVICES.values():
        if service.name != "gateway":
            assert f'<a href="/admin/{service.name}/">' in html
            assert service.owns in html
    assert '<a href="/admin/gateway/">' not in html
    book = html[html.index('data-service="book"') :].split("</tr>")[0]
    assert "ready" in book  # the stand-in answers /ready/
    order = html[html.index('data-service="order"') :].split("</tr>")[0]
    assert "down" in order  # nothing listens on its port here
    assert "Welcome, <strong>boss</strong>" in html
    assert 'action="/admin/logout/"' in html


def test_without_a_login_every_page_sends_to_the_login(client, upstream):
    assert client.get("/admin/")["Location"] == "/admin/login/?next=%2Fadmin%2F"
    answer = client.post("/admin/book/catalog/author/add/?x=1", {"name": "A"})
    assert answer["Location"] == "/admin/login/?next=%2Fadmin%2Fbook%2Fcatalog%2Fauthor%2Fadd%2F%3Fx%3D1"
    assert upstream.seen == []


def test_a_tampered_cookie_is_no_login(client, upstream):
    value = session.cookie_value(access=staff_access(), refresh="r")
    # The second-to-last character is all signature bits (the last one carries padding too).
    swapped = "y" if value[-2] == "x" else "x"
    client.cookies[session.COOKIE] = value[:-2] + swapped + value[-1]
    answer = client.get("/admin/book/")
    assert answer.status_code == 302
    assert answer.cookies[session.COOKIE]["max-age"] == "0"  # dropped
    assert upstream.seen == []


def test_the_admin_is_forwarded_under_its_prefix_with_the_bearer_token(client, upstream):
    access = log_in(client)
    login = f"{session.COOKIE}={client.cookies[session.COOKIE].coded_value}"
    browser_cookies = f'gateway_csrftoken=gg; {login}; book_csrftoken=bb;book_messages="a:b$c"; order_sessionid=oo'

    answer = client.get(
        "/admin/book/catalog/book/?q=de%20men&o=2",
        HTTP_COOKIE=browser_cookies,
        HTTP_AUTHORIZATION="Bearer someone-elses-token",
        HTTP_X_FORWARDED_PREFIX="/admin/order",
    )

    assert answer.status_code == 201  # the stand-in's answer, passed back
    [seen] = upstream.seen
    assert (seen["method"], seen["target"]) == ("GET", "/catalog/book/?q=de%20men&o=2")
    headers = seen["headers"]
    assert headers["Authorization"] == f"Bearer {access}"
    assert headers.get_all("X-Forwarded-Prefix") == ["/admin/book"]
    assert (headers["X-Forwarded-Host"], headers["X-Forwarded-For"], headers["X-Forwarded-Proto"]) == (
        "testserver",
        "127.0.0.1",
        "http",
    )
    # The service's own cookies only: never the back office's, the gateway's or another service's.
    cookies = sorted(part.strip() for part in headers["Cookie"].split(";"))
    assert cookies == ["book_csrftoken=bb", 'book_messages="a:b$c"']  # as the browser wrote them


def test_a_form_post_is_forwarded_as_is_and_left_to_the_services_csrf_check(upstream):
    from conftest import GatewayClient

    browser = GatewayClient(enforce_csrf_checks=True)
    log_in(browser)
    body = b"csrfmiddlewaretoken=t0k&name=Nam+Cao&email=nc%40example.com"

    answer = browser.post("/admin/book/catalog/author/add/", body, content_type="application/x-www-form-urlencoded")

    assert answer.status_code == 201
    [seen] = upstream.seen
    assert (seen["method"], seen["target"], seen["body"]) == ("POST", "/catalog/author/add/", body)


def test_a_clients_own_prefix_never_reaches_a_service_through_the_api(client, upstream):
    client.get("/api/authors/", HTTP_X_FORWARDED_PREFIX="/admin/book")
    assert "X-Forwarded-Prefix" not in upstream.seen[0]["headers"]


def test_an_expiring_access_token_is_renewed_before_it_is_forwarded(client, upstream, mocked_responses, customer_url):
    log_in(client, access=staff_access(lifetime=timedelta(seconds=10)), refresh="r-7")
    renewed = staff_access()
    mocked_responses.post(f"{customer_url}/api/auth/refresh/", json={"access": renewed})

    answer = client.get("/admin/book/")

    assert mocked_responses.calls[0].request.body == b'{"refresh": "r-7"}'
    assert upstream.seen[0]["headers"]["Authorization"] == f"Bearer {renewed}"
    stored = session.stored_tokens(type("R", (), {"COOKIES": {session.COOKIE: answer.cookies[session.COOKIE].value}})())
    assert stored == (renewed, "r-7")


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 401, "json": {"error": {"code": "token_not_valid"}}},
        {"status": 401, "json": {"error": {"code": "account_gone"}}},
        {"status": 200, "json": {"access": "PLACEHOLDER-NOT-STAFF"}},
    ],
    ids=["refresh-expired", "account-gone", "no-longer-staff"],
)
def test_a_login_that_cannot_be_renewed_has_ended(client, upstream, mocked_responses, customer_url, reply):
    log_in(client, access=staff_access(lifetime=timedelta(seconds=-1)))
    if reply["json"].get("access"):
        reply = {"status": 200, "json": {"access": staff_access(is_staff=False)}}
    mocked_responses.post(f"{customer_url}/api/auth/refresh/", **reply)

    answer = client.get("/admin/book/catalog/")

    assert answer["Location"] == "/admin/login/?next=%2Fadmin%2Fbook%2Fcatalog%2F"
    assert answer.cookies[session.COOKIE]["max-age"] == "0"
    assert upstream.seen == []


def test_a_login_that_cannot_be_renewed_now_is_a_page_saying_so(client, upstream, mocked_responses, customer_url):
    log_in(client, access=staff_access(lifetime=timedelta(seconds=-1)))
    mocked_responses.post(f"{customer_url}/api/auth/refresh/", body=requests.ConnectionError("refused"))
    answer = client.get("/admin/book/")
    assert answer.status_code == 503
    assert "customer service is unavailable" in answer.content.decode()
    assert session.COOKIE not in answer.cookies  # kept: the login may work again in a moment


def test_a_service_that_is_down_is_a_page_not_json(client, closed_port_url, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "order": closed_port_url}
    log_in(client)
    answer = client.get("/admin/order/")
    assert answer.status_code == 503
    assert answer["Content-Type"].startswith("text/html")
    assert "The order service is unavailable." in answer.content.decode()


def test_unknown_services_and_the_gateways_own_admin_are_not_found(client):
    log_in(client)
    for path in ["/admin/gateway/", "/admin/auth/user/", "/admin/no-such-page/"]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer["Content-Type"].startswith("text/html")


def test_the_prefix_without_its_slash_is_redirected(client):
    answer = client.get("/admin/book")
    assert (answer.status_code, answer["Location"]) == (301, "/admin/book/")
