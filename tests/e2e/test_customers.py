"""Customers through the gateway: sign up, log in, full name, address, customer and
its cart in cart_service, ownership with the tokens customer_service issues, login
throttling, and the staff login in another service's admin."""

import itertools
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tools.stack import REPO_DIR

PASSWORD = "e2e-long-enough-pass"
_names = itertools.count(1)


def sign_up_and_log_in(stack, http, prefix: str) -> dict:
    username = f"{prefix}{next(_names)}"
    account = http.post(
        f"{stack.gateway}/api/accounts/",
        json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
    )
    assert account.status_code == 201, account.text
    login = http.post(f"{stack.gateway}/api/auth/login/", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    return {
        "id": account.json()["id"],
        "username": username,
        "refresh": tokens["refresh"],
        "auth": {"Authorization": f"Bearer {tokens['access']}"},
    }


def profile(stack, http, user) -> dict:
    fullname = http.post(
        f"{stack.gateway}/api/fullnames/", json={"first_name": "Thị", "last_name": "Nở"}, headers=user["auth"]
    )
    assert fullname.status_code == 201, fullname.text
    address = http.post(
        f"{stack.gateway}/api/addresses/",
        json={"address": "1 Đường Làng", "city": "Vũ Đại", "country": "Vietnam"},
        headers=user["auth"],
    )
    assert address.status_code == 201, address.text
    return {"account_id": user["id"], "fullname_id": fullname.json()["id"], "address_id": address.json()["id"]}


@pytest.fixture(scope="module")
def ann(stack):
    with requests.Session() as http:
        user = sign_up_and_log_in(stack, http, "ann")
        customer = http.post(f"{stack.gateway}/api/customers/", json=profile(stack, http, user), headers=user["auth"])
        assert customer.status_code == 201, customer.text
    return user | {"customer": customer.json()}


def test_the_customer_has_a_cart_the_token_works_on(stack, http, ann):
    cart = http.get(f"{stack.gateway}/api/carts/{ann['id']}/", headers=ann["auth"])
    assert cart.status_code == 200, cart.text
    assert cart.json()["user_id"] == ann["id"]
    assert cart.json()["items"] == []
    assert http.delete(f"{stack.gateway}/api/carts/{ann['id']}/items/", headers=ann["auth"]).status_code == 204


def test_the_customer_reads_with_its_full_name_and_address(stack, http, ann):
    by_account = http.get(f"{stack.gateway}/api/accounts/{ann['id']}/customer/", headers=ann["auth"])
    assert by_account.status_code == 200
    assert by_account.json() == ann["customer"]
    assert by_account.json()["fullname"]["last_name"] == "Nở"
    assert by_account.json()["address"]["city"] == "Vũ Đại"


def test_another_customers_things_are_404_as_if_missing_and_their_cart_route_403(stack, http, ann):
    bob = sign_up_and_log_in(stack, http, "bob")
    cart = http.get(f"{stack.gateway}/api/carts/{ann['id']}/", headers=bob["auth"])
    assert (cart.status_code, cart.json()["error"]["code"]) == (403, "permission_denied")
    for path, missing in (
        (f"/api/customers/{ann['customer']['id']}/", "/api/customers/987654321/"),
        (f"/api/accounts/{ann['id']}/customer/", "/api/accounts/987654321/customer/"),
        (f"/api/accounts/{ann['id']}/", "/api/accounts/987654321/"),
        (f"/api/fullnames/{ann['customer']['fullname']['id']}/", "/api/fullnames/987654321/"),
        (f"/api/addresses/{ann['customer']['address']['id']}/", "/api/addresses/987654321/"),
    ):
        response = http.get(f"{stack.gateway}{path}", headers=bob["auth"])
        absent = http.get(f"{stack.gateway}{missing}", headers=bob["auth"])
        assert response.status_code == absent.status_code == 404, path
        assert response.json()["error"]["code"] == absent.json()["error"]["code"]
    linking_anns = {**profile(stack, http, bob), "fullname_id": ann["customer"]["fullname"]["id"]}
    linked = http.post(f"{stack.gateway}/api/customers/", json=linking_anns, headers=bob["auth"])
    assert linked.status_code == 400  # Ann's full name is, to Bob, one that does not exist
    assert list(linked.json()["error"]["details"]) == ["fullname_id"]


def test_no_token_gets_401(stack, http, ann):
    assert http.get(f"{stack.gateway}/api/customers/{ann['customer']['id']}/").status_code == 401
    assert http.get(f"{stack.gateway}/api/carts/{ann['id']}/").status_code == 401


def test_a_second_customer_for_the_account_is_409(stack, http, ann):
    again = {"account_id": ann["id"], "fullname_id": ann["customer"]["fullname"]["id"]}
    again["address_id"] = ann["customer"]["address"]["id"]
    response = http.post(f"{stack.gateway}/api/customers/", json=again, headers=ann["auth"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "customer_exists"


def test_cart_service_down_refuses_the_customer_and_saves_nothing(stack, http):
    carol = sign_up_and_log_in(stack, http, "carol")
    body = profile(stack, http, carol)
    with stack.stopped("cart"):
        refused = http.post(f"{stack.gateway}/api/customers/", json=body, headers=carol["auth"])
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["details"]["service"] == "cart"
        missing = http.get(f"{stack.gateway}/api/accounts/{carol['id']}/customer/", headers=carol["auth"])
        assert missing.status_code == 404
    created = http.post(f"{stack.gateway}/api/customers/", json=body, headers=carol["auth"])
    assert created.status_code == 201, created.text
    assert http.get(f"{stack.gateway}/api/carts/{carol['id']}/", headers=carol["auth"]).status_code == 200


def test_refresh_works_until_the_account_is_deleted(stack, http):
    dave = sign_up_and_log_in(stack, http, "dave")
    refreshed = http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": dave["refresh"]})
    assert refreshed.status_code == 200
    assert http.delete(f"{stack.gateway}/api/accounts/{dave['id']}/", headers=dave["auth"]).status_code == 204
    gone = http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": dave["refresh"]})
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "account_gone"


def test_repeated_failed_logins_are_throttled(stack, http):
    eve = sign_up_and_log_in(stack, http, "eve")
    wrong = {"username": eve["username"], "password": "not-the-password"}
    answers = [http.post(f"{stack.gateway}/api/auth/login/", json=wrong).status_code for _ in range(5)]
    assert answers == [401] * 5
    right = http.post(f"{stack.gateway}/api/auth/login/", json={"username": eve["username"], "password": PASSWORD})
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "login_throttled"
    assert int(right.headers["Retry-After"]) > 0


def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_limit_through(stack):
    with requests.Session() as http:
        frank = sign_up_and_log_in(stack, http, "frank")

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
