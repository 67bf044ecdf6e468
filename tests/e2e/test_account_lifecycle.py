"""An account's life through the gateway, with the real SMTP server of the suite: the
email verified with the link it was sent before the first checkout, a forgotten
password reset with the emailed link, a new password, logging out."""

import pytest

from tests.e2e.people import (
    PASSWORD,
    RESET_SUBJECT,
    Shopper,
    emailed_link,
    log_in,
    sign_up,
    verify_email,
)
from tests.e2e.shop import bearer, make_books, stock

NEW_PASSWORD = "a-new-e2e-long-passphrase"


@pytest.fixture(scope="module")
def book(stack):
    [book] = make_books(stack, [("Số đỏ (accounts)", "9.00")], tag="accounts")
    stock(stack, [book["id"]], 20)
    return book


def refresh(stack, http, token: str):
    return http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": token}, timeout=30)


def test_an_unverified_person_fills_a_cart_but_verifies_before_the_first_checkout(stack, http, book):
    user = sign_up(stack, http, "unverified", customer=True, verified=False)
    shopper = Shopper.of(stack, http, user)
    shopper.put_in_cart(book["id"])

    refused = shopper.checkout()

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "email_not_verified"
    verify_email(stack, http, user["email"])
    renewed = refresh(stack, http, user["refresh"])  # the next token says the email is verified
    assert renewed.status_code == 200, renewed.text
    shopper.headers = bearer(renewed.json()["access"])
    assert shopper.checkout().status_code == 201


def test_a_forgotten_password_is_reset_with_the_link_from_the_email(stack, http):
    user = sign_up(stack, http, "forgetful")
    asked = http.post(f"{stack.gateway}/api/auth/password-reset/", json={"email": user["email"]}, timeout=30)
    nobody = http.post(f"{stack.gateway}/api/auth/password-reset/", json={"email": "no-one@example.com"}, timeout=30)
    assert asked.status_code == nobody.status_code == 202
    assert asked.json() == nobody.json()  # the answer does not tell which emails have an account

    link = emailed_link(stack, user["email"], RESET_SUBJECT)
    reset = http.post(
        f"{stack.gateway}/api/auth/password-reset/confirm/", json=link | {"new_password": NEW_PASSWORD}, timeout=30
    )

    assert reset.status_code == 200, reset.text
    assert refresh(stack, http, user["refresh"]).status_code == 401  # the session from before is over
    assert refresh(stack, http, reset.json()["refresh"]).status_code == 200
    assert log_in(stack, http, user["username"]).status_code == 401
    assert log_in(stack, http, user["username"], password=NEW_PASSWORD).status_code == 200
    again = http.post(
        f"{stack.gateway}/api/auth/password-reset/confirm/",
        json=link | {"new_password": "x" + NEW_PASSWORD},
        timeout=30,
    )
    assert (again.status_code, again.json()["error"]["code"]) == (400, "link_not_valid")
    assert not [n for n in Shopper.of(stack, http, user).notifications()["results"] if "reset" in n["subject"].lower()]


def test_a_new_password_ends_every_other_session(stack, http):
    user = sign_up(stack, http, "changer")
    other = log_in(stack, http, user["username"]).json()

    changed = http.post(
        f"{stack.gateway}/api/auth/password/",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=user["headers"],
        timeout=30,
    )

    assert changed.status_code == 200, changed.text
    for session in (user["refresh"], other["refresh"]):
        assert refresh(stack, http, session).status_code == 401
    assert refresh(stack, http, changed.json()["refresh"]).status_code == 200


def test_logging_out_ends_that_session(stack, http):
    user = sign_up(stack, http, "leaver")

    out = http.post(f"{stack.gateway}/api/auth/logout/", json={"refresh": user["refresh"]}, timeout=30)

    assert out.status_code == 204, out.text
    assert refresh(stack, http, user["refresh"]).status_code == 401
