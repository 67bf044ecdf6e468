"""The security suite's customers and shop, made once for the package (helpers:
tests/e2e/security/__init__.py)."""

import pytest
import requests

from tests.e2e.people import Shopper
from tests.e2e.security import STAFF_ID
from tests.e2e.shop import bearer, make_books, stock


@pytest.fixture(scope="package")
def shop(stack):
    """Staff headers and one book with plenty in stock."""
    [book] = make_books(stack, [("Bỉ vỏ (security)", "20.00")], tag="security")
    stock(stack, [book["id"]], 200)
    return {"book": book, "staff": bearer(stack.token(user_id=STAFF_ID, is_staff=True))}


@pytest.fixture(scope="package")
def ann(stack, shop):
    """Customer A: a customer profile, a book in the cart, a paid order with its card
    payment, a pending order, and the notifications all that made."""
    book_id = shop["book"]["id"]
    with requests.Session() as http:
        shopper = Shopper.signing_up(stack, http, "secann", customer=True)
        paid = shopper.buy(book_id, 2)
        payment = shopper.pay_for(paid["id"])
        pending = shopper.buy(book_id, 1)
        shopper.put_in_cart(book_id, 3)  # left in the cart
        shopper.wait_for_order_status(paid["id"], "paid", timeout=20)
        subjects = {
            "Welcome to the bookstore",
            "Your customer profile is ready",
            f"Order #{paid['id']} placed",
            f"Order #{pending['id']} placed",
            f"Payment received for order #{paid['id']}",
            f"Order #{paid['id']} is paid",
        }
        notifications = shopper.wait_for_notifications(subjects)["results"]
    return shopper.account | {
        "paid_order": paid,
        "pending_order": pending,
        "payment": payment,
        "notification": notifications[0],
    }


@pytest.fixture(scope="package")
def bob(stack, shop):
    """Customer B: an account, a customer and a cart of their own."""
    with requests.Session() as http:
        shopper = Shopper.signing_up(stack, http, "secbob", customer=True)
        shopper.put_in_cart(shop["book"]["id"], 1)
    return shopper.account
