"""Customers through the gateway: sign up, log in, full name, address, customer and
its cart in cart_service, ownership with the tokens customer_service issues, login
throttling, and the staff login in another service's admin."""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.people import PASSWORD, make_profile, sign_up
from tools.stack import REPO_DIR


@pytest.fixture(scope="module")
def ann(stack):
    with requests.Session() as http:
        return sign_up(stack, http, "ann", customer=True)


def test_the_customer_has_a_cart_the_token_works_on(stack, http, ann):
    cart = http.get(f"{stack.gateway}/api/carts/{ann['id']}/", headers=ann["headers"])
    assert cart.status_code == 200, cart.text
    assert cart.json()["user_id"] == ann["id"]
    assert cart.json()["items"] == []
    assert http.delete(f"{stack.gateway}/api/carts/{ann['id']}/items/", headers=ann["headers"]).status_code == 204


def test_the_customer_reads_with_its_full_name_and_address(stack, http, ann):
    by_account = http.get(f"{stack.gateway}/api/accounts/{ann['id']}/customer/", headers=ann["headers"])
    assert by_account.status_code == 200
    assert by_account.json() == ann["customer"]
    assert by_account.json()["fullname"]["last_name"] == "Nở"
    assert by_account.json()["address"]["city"] == "Vũ Đại"


def test_another_customers_things_are_404_as_if_missing_and_their_cart_route_403(stack, http, ann):
    bob = sign_up(stack, http, "bob")
    cart = http.get(f"{stack.gateway}/api/carts/{ann['id']}/", headers=bob["headers"])
    assert (cart.status_code, cart.json()["error"]["code"]) == (403, "permission_denied")
    for path, missing in (
        (f"/api/customers/{ann['customer']['id']}/", "/api/customers/987654321/"),
        (f"/api/accounts/{ann['id']}/customer/", "/api/accounts/987654321/customer/"),
        (f"/api/accounts/{ann['id']}/", "/api/accounts/987654321/"),
        (f"/api/fullnames/{ann['customer']['fullname']['id']}/", "/api/fullnames/987654321/"),
        (f"/api/addresses/{ann['customer']['address']['id']}/", "/api/addresses/987654321/"),
    ):
        response = http.get(f"{stack.gateway}{path}", headers=bob["headers"])
        absent = http.get(f"{stack.gateway}{missing}", headers=bob["headers"])
        assert response.status_code == absent.status_code == 404, path
        assert response.json()["error"]["code"] == absent.json()["error"]["code"]
    linking_anns = {**make_profile(stack, http, bob), "fullname_id": ann["customer"]["fullname"]["id"]}
    linked = http.post(f"{stack.gateway}/api/customers/", json=linking_anns, headers=bob["headers"])
    assert linked.status_code == 400  # Ann's full name is, to Bob, one that does not exist
    assert list(linked.json()["error"]["details"]) == ["fullname_id"]


def test_no_token_gets_401(stack, http, ann):
    assert http.get(f"{stack.gateway}/api/customers/{ann['customer']['id']}/").status_code == 401
    assert http.get(f"{stack.gateway}/api/carts/{ann['id']}/").status_code == 401


def test_a_second_customer_for_the_account_is_409(stack, http, ann):
    again = {"account_id": ann["id"], "fullname_id": ann["customer"]["fullname"]["id"]}
    again["address_id"] = ann["customer"]["address"]["id"]
    response = http.post(f"{stack.gateway}/api/customers/", json=again, headers=ann["headers"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "customer_exists"


def test_cart_service_down_refuses_the_customer_and_saves_nothing(stack, http):
    carol = sign_up(stack, http, "carol")
    body = make_profile(stack, http, carol)
    with stack.stopped("cart"):
        refused = http.post(f"{stack.gateway}/api/customers/", json=body, headers=carol["headers"])
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["details"]["service"] == "cart"
        missing = http.get(f"{stack.gateway}/api/accounts/{carol['id']}/customer/", headers=carol["headers"])
        assert missing.status_code == 404
    created = http.post(f"{stack.gateway}/api/customers/", json=body, headers=carol["headers"])
    assert created.status_code == 201, created.text
    assert http.get(f"{stack.gateway}/api/carts/{carol['id']}/", headers=carol["headers"]).status_code == 200


def test_refresh_works_until_the_account_is_deleted(stack, http):
    dave = sign_up(stack, http, "dave")
    refreshed = http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": dave["refresh"]})
    assert refreshed.status_code == 200
    assert http.delete(f"{stack.gateway}/api/accounts/{dave['id']}/", headers=dave["headers"]).status_code == 204
    gone = http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": dave["refresh"]})
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "account_gone"


def test_repeated_failed_logins_are_throttled(stack, http):
    eve = sign_up(stack, http, "eve")
    wrong = {"username": eve["username"], "password": "not-the-password"}
    answers = [http.post(f"{stack.gateway}/api/auth/login/", json=wrong).status_code for _ in range(5)]
    assert answers == [401] * 5
    right = http.post(f"{stack.gateway}/api/auth/login/", json={"username": eve["username"], "password": PASSWORD})
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "login_throttled"
    assert int(right.headers["Retry-After"]) > 0


def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_limit_through(stack):
    with requests.Session() as http:
        frank = sign_up(stack, http, "frank")

    def guess(number: int) -> int:
        wrong = {"username": frank["username"], "password": f"guess-{number}"}
        return requests.post(f"{stack.gateway}/api/auth/login/", json=wrong, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(guess, range(12)))

    assert set(answers) <= {401, 429}
    assert 1 <= answers.count(401) <= 5  # LOGIN_FAILURES_PER_USERNAME


def test_a_staff_login_works_in_another_services_admin(stack):
    env = stack.env_for("customer") | {"DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", "root", "--email", "r@example.com"],
        cwd=REPO_DIR / "customer_service",
        env={k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"} | {"PATH": os.environ["PATH"]},
        check=True,
        capture_output=True,
    )
    with requests.Session() as browser:
        admin = f"{stack.url('book')}/admin/"
        page = browser.get(f"{admin}login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        login = browser.post(
            f"{admin}login/?next=/admin/",
            data={"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{admin}login/"},
        )
        assert login.status_code == 200
        assert login.url == admin, "not logged in: still on the login page"
        assert "Site administration" in login.text
