"""The people of the end-to-end tests: one way to sign up (an account made and logged in
through the gateway, as a person would) and one shopper (a customer's calls through the
gateway: the cart, checkout, payment, orders and notifications)."""

import itertools
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from tests.e2e.shop import bearer
from tests.e2e.waiting import wait_until

PASSWORD = "e2e-people-long-pass"
# notification_service's English subjects of the account emails with a link.
VERIFY_SUBJECT, RESET_SUBJECT = "Confirm your email address", "Reset your password"


def read_ok(stack, http, headers: dict, path: str, **params) -> dict:
    """A read through the gateway that must answer 200: its JSON."""
    response = http.get(f"{stack.gateway}{path}", params=params, headers=headers, timeout=30)
    assert response.status_code == 200, f"{path}: {response.text}"
    return response.json()


def card(number: str = "4242424242424242") -> dict:
    """A test card of the payment provider's (4242... succeeds; see its docs for the others)."""
    return {"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "737"}


CARD = card()
_names = itertools.count(1)


def create_account(stack, http, username: str, *, password: str = PASSWORD, timeout: float = 60) -> requests.Response:
    """POST /api/accounts/ as a person signing up (email username@example.com); the answer as it came."""
    body = {"username": username, "password": password, "email": f"{username}@example.com"}
    return http.post(f"{stack.gateway}/api/accounts/", json=body, timeout=timeout)


def log_in(stack, http, username: str, *, password: str = PASSWORD, timeout: float = 60) -> requests.Response:
    """POST /api/auth/login/; the answer as it came."""
    body = {"username": username, "password": password}
    return http.post(f"{stack.gateway}/api/auth/login/", json=body, timeout=timeout)


def emailed_url(stack, address: str, subject: str) -> str:
    """The link in the newest mail with `subject` that reached `address` (waiting for one)."""
    mails = [mail for mail in stack.mailbox.wait_for(address, {subject}) if mail.subject == subject]
    link = re.search(r"https?://\S+", mails[-1].body)
    assert link, mails[-1].body
    return link[0]


def emailed_link(stack, address: str, subject: str) -> dict[str, str]:
    """The query of that link: {"token": ...} or {"uid": ..., "token": ...}."""
    query = urlsplit(emailed_url(stack, address, subject)).query
    return {name: values[0] for name, values in parse_qs(query).items()}


def verify_email(stack, http, address: str) -> None:
    """Follow the verification link that reached `address`, as the shop's page would."""
    token = emailed_link(stack, address, VERIFY_SUBJECT)["token"]
    verified = http.post(f"{stack.gateway}/api/auth/verify-email/", json={"token": token}, timeout=30)
    assert verified.status_code == 200, verified.text


def make_profile(stack, http, user: dict) -> dict:
    """A full name and an address for `user` (as sign_up returns it): the body that makes
    them a customer, {account_id, fullname_id, address_id}."""
    fullname = http.post(
        f"{stack.gateway}/api/fullnames/", json={"first_name": "Thị", "last_name": "Nở"}, headers=user["headers"]
    )
    assert fullname.status_code == 201, fullname.text
    address = http.post(
        f"{stack.gateway}/api/addresses/",
        json={"address": "1 Đường Làng", "city": "Vũ Đại", "country": "Vietnam"},
        headers=user["headers"],
    )
    assert address.status_code == 201, address.text
    return {"account_id": user["id"], "fullname_id": fullname.json()["id"], "address_id": address.json()["id"]}


def sign_up(stack, http, prefix: str, *, customer: bool = False, verified: bool = True) -> dict:
    """An account signed up and logged in through the gateway, its username `prefix` made
    unique: {id, username, email, headers, refresh}; its email verified with the link that
    reached the suite's mailbox, unless verified=False. With customer=True it also has a
    full name, an address and a customer (which makes its cart): fullname_id, address_id
    and customer (the customer as the service answered it)."""
    username = f"{prefix}{next(_names)}{uuid.uuid4().hex[:6]}"
    account = create_account(stack, http, username)
    assert account.status_code == 201, account.text
    if verified:
        verify_email(stack, http, f"{username}@example.com")
    login = log_in(stack, http, username)
    assert login.status_code == 200, login.text
    user = {
        "id": account.json()["id"],
        "username": username,
        "email": f"{username}@example.com",
        "headers": bearer(login.json()["access"]),
        "refresh": login.json()["refresh"],
    }
    if not customer:
        return user
    profile = make_profile(stack, http, user)
    made = http.post(f"{stack.gateway}/api/customers/", json=profile, headers=user["headers"])
    assert made.status_code == 201, made.text
    return user | {"fullname_id": profile["fullname_id"], "address_id": profile["address_id"], "customer": made.json()}


class Shopper:
    """One customer's calls through the gateway (or, with `via`, straight to a service).

    Shopper(stack, http, user_id) carries a token as customer_service issues it, with no
    account behind it: enough for carts, orders and payments; give each test module its
    own range of user ids. Shopper.signing_up(stack, http, prefix) is a person who signed
    up and logged in, Shopper.of(stack, http, account) the one of an account sign_up
    returned (`account` holds it). A call named for what it asks
    (add, view, checkout, pay, ...) returns the response as it came; put_in_cart,
    place_order, buy and pay_for assert that it worked and return the body."""

    def __init__(
        self,
        stack,
        http,
        user_id: int,
        *,
        headers: dict | None = None,
        is_staff: bool = False,
        via: str | None = None,
        timeout: float | None = None,
        account: dict | None = None,
    ):
        self.stack, self.http = stack, http
        self.user_id = user_id
        self.headers = headers or bearer(stack.token(user_id=user_id, is_staff=is_staff))
        self.api = via or stack.gateway
        self.cart_url = f"{self.api}/api/carts/{user_id}"  # another's, to try someone else's cart
        self.timeout = timeout
        self.account = account or {}

    @classmethod
    def signing_up(cls, stack, http, prefix: str, *, customer: bool = False, **options) -> "Shopper":
        """A person who signs up now (sign_up's `customer` as there)."""
        return cls.of(stack, http, sign_up(stack, http, prefix, customer=customer), **options)

    @classmethod
    def of(cls, stack, http, account: dict, **options) -> "Shopper":
        """The shopper of an account sign_up returned, with its login token."""
        return cls(stack, http, account["id"], headers=account["headers"], account=account, **options)

    @property
    def email(self) -> str:
        return self.account["email"]

    def _call(self, method: str, url: str, *, session=None, headers=None, **options) -> requests.Response:
        return (session or self.http).request(
            method, url, headers=headers or self.headers, timeout=self.timeout, **options
        )

    # --- the cart --------------------------------------------------------------------------

    def create_cart(self, user_id: int | None = None) -> requests.Response:
        body = {"user_id": self.user_id if user_id is None else user_id}
        return self._call("POST", f"{self.api}/api/carts/", json=body)

    def add(self, product_id: int, quantity: int = 1, *, session=None) -> requests.Response:
        body = {"product_id": product_id, "quantity": quantity}
        return self._call("POST", f"{self.cart_url}/items/", json=body, session=session)

    def put_in_cart(self, product_id: int, quantity: int = 1) -> None:
        added = self.add(product_id, quantity)
        assert added.status_code in (200, 201), added.text

    def remove(self, product_id: int, quantity: int | None = None) -> requests.Response:
        params = {} if quantity is None else {"quantity": quantity}
        return self._call("DELETE", f"{self.cart_url}/items/{product_id}/", params=params)

    def clear(self) -> requests.Response:
        return self._call("DELETE", f"{self.cart_url}/items/")

    def view(self, *, session=None) -> requests.Response:
        return self._call("GET", f"{self.cart_url}/", session=session)

    # --- orders ----------------------------------------------------------------------------

    def checkout(self, key: str | None = None, *, session=None) -> requests.Response:
        headers = self.headers | ({"Idempotency-Key": key} if key else {})
        return self._call(
            "POST", f"{self.api}/api/orders/", json={"user_id": self.user_id}, headers=headers, session=session
        )

    def place_order(self) -> dict:
        order = self.checkout()
        assert order.status_code == 201, order.text
        return order.json()

    def buy(self, product_id: int, quantity: int = 1) -> dict:
        """`quantity` of the product put in the cart and the order placed."""
        self.put_in_cart(product_id, quantity)
        return self.place_order()

    def orders(self) -> list[dict]:
        listed = self._call("GET", f"{self.api}/api/orders/")
        assert listed.status_code == 200, listed.text
        return listed.json()["results"]

    def order_status(self, order_id: int) -> str:
        response = self._call("GET", f"{self.api}/api/orders/{order_id}/")
        assert response.status_code == 200, response.text
        return response.json()["status"]

    def wait_for_order_status(self, order_id: int, status: str, timeout: float = 15.0) -> None:
        wait_until(f"order {order_id} {status}", lambda: self.order_status(order_id) == status, timeout)

    def set_status(self, order_id: int, status: str, headers: dict | None = None) -> requests.Response:
        return self._call("PATCH", f"{self.api}/api/orders/{order_id}/", json={"status": status}, headers=headers)

    # --- payments --------------------------------------------------------------------------

    def pay(
        self,
        order_id: int,
        key: str | None = None,
        *,
        method: str = "card",
        card: dict = CARD,
        session=None,
        headers: dict | None = None,
    ) -> requests.Response:
        """POST /api/payments/ with Idempotency-Key `key` (a new one if none)."""
        body = {"order_id": order_id, "method": method} | ({"card": card} if method == "card" else {})
        headers = (headers or self.headers) | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self._call("POST", f"{self.api}/api/payments/", json=body, headers=headers, session=session)

    def pay_for(self, order_id: int) -> dict:
        """The order paid by card, the payment succeeded."""
        payment = self.pay(order_id)
        assert payment.status_code == 201, payment.text
        assert payment.json()["status"] == "succeeded", payment.text
        return payment.json()

    def checkout_and_pay(
        self, key: str | None = None, *, method: str = "card", card: dict = CARD, session=None
    ) -> requests.Response:
        """The gateway's one-call checkout (POST /api/checkout/), Idempotency-Key `key` (a new one if none)."""
        body = {"payment_method": method} | ({"card": card} if method == "card" else {})
        headers = self.headers | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self._call("POST", f"{self.api}/api/checkout/", json=body, headers=headers, session=session)

    # --- notifications ---------------------------------------------------------------------

    def notifications(self, **params) -> dict:
        response = self._call("GET", f"{self.api}/api/notifications/", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for_notifications(self, subjects: set[str], timeout: float = 20.0) -> dict:
        """The first page (of 100) of the notifications once it holds all of `subjects`."""

        def arrived():
            page = self.notifications(page_size=100)
            return page if subjects <= {n["subject"] for n in page["results"]} else None

        return wait_until(f"notifications {sorted(subjects)}", arrived, timeout)
