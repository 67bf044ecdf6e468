"""/verify-email/ and /reset-password/: the pages the account emails link to, posting the
link's token to customer_service on a click only (customer_service faked at the HTTP layer)."""

import json
import re

import pytest
import requests
from django.conf import settings

from conftest import GatewayClient
from routing.rates import Rate

pytestmark = pytest.mark.django_db

CONFIRM = f"{settings.SERVICE_URLS['customer']}/api/auth/password-reset/confirm/"
VERIFY = f"{settings.SERVICE_URLS['customer']}/api/auth/verify-email/"
NEW = "a-long-new-passphrase"
LINK_NOT_VALID = {"error": {"code": "link_not_valid", "message": "This link is not valid."}}


@pytest.fixture
def browser():
    return GatewayClient(enforce_csrf_checks=True)


def csrf_of(page) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found, page.content
    return found[1]


def click(browser, path: str, page, **fields):
    return browser.post(path, {"csrfmiddlewaretoken": csrf_of(page), **fields})


def text(page) -> str:
    return page.content.decode()


def test_opening_a_verification_link_changes_nothing_until_the_click(browser, mocked_responses):
    verified = mocked_responses.post(VERIFY, json={"email_verified": True})

    page = browser.get("/verify-email/?token=abc")

    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert "Confirm my email address" in text(page)
    assert verified.call_count == 0
    done = click(browser, "/verify-email/", page, token="abc")
    assert done.status_code == 200
    assert "Your email address is confirmed" in text(done)
    assert json.loads(verified.calls[0].request.body) == {"token": "abc"}


def test_a_refused_verification_link_says_so(browser, mocked_responses):
    mocked_responses.post(VERIFY, status=400, json=LINK_NOT_VALID)
    page = browser.get("/verify-email/?token=abc")

    refused = click(browser, "/verify-email/", page, token="abc")

    assert refused.status_code == 400
    assert "This link is not valid" in text(refused)


@pytest.mark.parametrize("path", ["/verify-email/", "/reset-password/?uid=NQ", "/reset-password/?token=t"])
def test_an_incomplete_link_is_not_valid(browser, path):
    page = browser.get(path)
    assert page.status_code == 400
    assert "This link is not valid" in text(page)


def test_a_click_without_the_page_s_csrf_token_is_refused(mocked_responses):
    forged = GatewayClient(enforce_csrf_checks=True).post("/verify-email/", {"token": "abc"})
    assert forged.status_code == 403  # and customer_service was not called: nothing is registered for it
    assert not mocked_responses.calls


def test_a_new_password_is_set_with_the_link_s_uid_and_token(browser, mocked_responses):
    confirmed = mocked_responses.post(CONFIRM, json={"access": "a", "refresh": "r"})
    page = browser.get("/reset-password/?uid=NQ&token=abc-123")
    assert page.status_code == 200

    done = click(browser, "/reset-password/", page, uid="NQ", token="abc-123", new_password=NEW, repeated=NEW)

    assert done.status_code == 200
    assert "Your password is changed" in text(done)
    assert json.loads(confirmed.calls[0].request.body) == {"uid": "NQ", "token": "abc-123", "new_password": NEW}
    assert "a" not in done.cookies  # the tokens are not kept: the person logs in


def test_two_different_passwords_are_not_sent(browser, mocked_responses):
    page = browser.get("/reset-password/?uid=NQ&token=t")

    differ = click(browser, "/reset-password/", page, uid="NQ", token="t", new_password=NEW, repeated=NEW + "x")

    assert differ.status_code == 400
    assert "The two passwords differ." in text(differ)
    assert not mocked_responses.calls


def test_a_weak_password_is_shown_on_its_field_and_the_link_kept(browser, mocked_responses):
    weak = {"error": {"code": "validation_error", "message": "Invalid.", "details": {"new_password": ["Too short."]}}}
    mocked_responses.post(CONFIRM, status=400, json=weak)
    page = browser.get("/reset-password/?uid=NQ&token=t")

    refused = click(browser, "/reset-password/", page, uid="NQ", token="t", new_password="short", repeated="short")

    assert refused.status_code == 400
    assert "Too short." in text(refused)
    assert 'name="token" value="t"' in text(refused)  # the form can be sent again


def test_a_used_or_expired_reset_link_says_so(browser, mocked_responses):
    mocked_responses.post(CONFIRM, status=400, json=LINK_NOT_VALID)
    page = browser.get("/reset-password/?uid=NQ&token=t")

    refused = click(browser, "/reset-password/", page, uid="NQ", token="t", new_password=NEW, repeated=NEW)

    assert refused.status_code == 400
    assert "used already or expired" in text(refused)


def test_customer_service_down_is_a_503_page_and_nothing_is_lost(browser, mocked_responses):
    mocked_responses.post(CONFIRM, body=requests.ConnectionError("refused"))
    page = browser.get("/reset-password/?uid=NQ&token=t")

    down = click(browser, "/reset-password/", page, uid="NQ", token="t", new_password=NEW, repeated=NEW)

    assert down.status_code == 503
    assert "customer" in text(down)
    assert 'name="token" value="t"' in text(down)  # try again later with the same link


def test_clicks_count_against_the_write_limit_per_address(browser, mocked_responses, settings):
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "writes": Rate(1, 3600)}
    verified = mocked_responses.post(VERIFY, json={"email_verified": True})
    page = browser.get("/verify-email/?token=abc")

    assert click(browser, "/verify-email/", page, token="abc").status_code == 200
    assert click(browser, "/verify-email/", page, token="abc").status_code == 429
    assert verified.call_count == 1
