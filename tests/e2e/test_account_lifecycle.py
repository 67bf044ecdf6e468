"""An account's life through the gateway, with the real SMTP server of the suite: the
email verified with the link it was sent before the first checkout, a forgotten
password reset with the emailed link, a new password, logging out, and deletion, after
which no service holds or answers anything personal about the account and its token is
refused everywhere."""

import pytest

from tests.e2e.people import (
    PASSWORD,
    RESET_SUBJECT,
    Shopper,
    emailed_link,
    log_in,
    read_ok,
    sign_up,
    verify_email,
)
from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until

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


@pytest.fixture(scope="module")
def erasable_book(stack):
    [book] = make_books(stack, [("Vang bóng một thời (erasure)", "15.00")], tag="erasure")
    stock(stack, [book["id"]], 10)
    return book


# Every service that takes a person's token, and a route of each a person may call.
PERSONAL_ROUTES = {
    "book": "/api/books/",
    "order": "/api/orders/",
    "cart": "/api/carts/{user_id}/",
    "payment": "/api/payments/",
    "notification": "/api/notifications/",
    "inventory": "/api/warehouse/items/",
    "customer": "/api/fullnames/",
}


def test_a_deleted_account_is_erased_from_every_service_and_its_token_refused_everywhere(stack, http, erasable_book):
    user = sign_up(stack, http, "erased", customer=True)
    shopper = Shopper.of(stack, http, user)
    paid = shopper.buy(erasable_book["id"])
    shopper.pay_for(paid["id"])
    pending = shopper.buy(erasable_book["id"], 2)
    shopper.put_in_cart(erasable_book["id"])
    shopper.wait_for_notifications({f"Order #{pending['id']} placed"})
    staff = bearer(stack.token(user_id=1, is_staff=True))
    level = f"/api/warehouse/items/{erasable_book['id']}/"
    assert read_ok(stack, http, staff, level)["reserved"] == 3  # the paid order's 1 and the pending order's 2

    deleted = http.delete(f"{stack.gateway}/api/accounts/{user['id']}/", headers=user["headers"], timeout=30)

    assert deleted.status_code == 204, deleted.text

    # Its token: refused by every service, each asked directly, within seconds (the events'
    # delivery, then REVOCATIONS_REFRESH_SECONDS).
    def refused_everywhere() -> bool:
        answers = {
            service: http.get(stack.url(service) + path.format(user_id=user["id"]), headers=user["headers"]).status_code
            for service, path in PERSONAL_ROUTES.items()
        }
        return set(answers.values()) == {401}

    wait_until("the deleted account's token refused by every service", refused_everywhere, 20)

    # Nothing personal is left: no account, customer, names, cart, notification or card.
    def gone(path: str, **params) -> bool:
        return http.get(f"{stack.gateway}{path}", params=params, headers=staff, timeout=30).status_code == 404

    assert gone(f"/api/accounts/{user['id']}/")
    assert gone(f"/api/accounts/{user['id']}/customer/")
    assert read_ok(stack, http, staff, "/api/customers/", search=user["username"])["count"] == 0
    wait_until("the cart erased", lambda: gone(f"/api/carts/{user['id']}/"), 20)
    wait_until(
        "the notifications erased",
        lambda: read_ok(stack, http, staff, "/api/notifications/", user_id=user["id"])["count"] == 0,
        20,
    )
    payments = read_ok(stack, http, staff, "/api/payments/", user_id=user["id"])["results"]
    assert [(p["status"], p["card_last4"], p["card_brand"]) for p in payments] == [("succeeded", "", "")]
    assert stack.mailbox.to(user["email"])  # it was written to before (the mails are the mail server's, not ours)

    # The shop's accounts keep the orders, by user id only; the pending one is cancelled and its stock back.
    orders = {o["id"]: o for o in read_ok(stack, http, staff, "/api/orders/", user_id=user["id"])["results"]}
    assert orders[paid["id"]]["status"] == "paid"
    assert orders[pending["id"]]["status"] == "cancelled"
    assert orders[pending["id"]]["history"][-1]["reason"] == "account_deleted"
    wait_until("the pending order's stock back", lambda: read_ok(stack, http, staff, level)["reserved"] == 1, 20)
