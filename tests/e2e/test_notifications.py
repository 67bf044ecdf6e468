"""Notifications with every real service behind them: a customer who checks out and
pays gets "order placed" and "payment received" notifications in the app and by
email through a real SMTP server; an order placed while notification_service is down
is notified once it is back, once; a mail server that is down delays emails, not events."""

import time

import pytest

from tests.e2e.people import Shopper, make_profile
from tests.e2e.shop import bearer, make_books, stock


@pytest.fixture(scope="module")
def book(stack):
    """A book with plenty in stock."""
    [book] = make_books(stack, [("Dế Mèn phiêu lưu ký (notifications)", "12.50")], tag="notifications")
    stock(stack, [book["id"]], 50)
    return book


def test_check_out_and_pay_and_the_customer_is_told_in_the_app_and_by_email(stack, http, book):
    shopper = Shopper.signing_up(stack, http, "notify")

    order = shopper.buy(book["id"], 2)
    shopper.pay_for(order["id"])

    placed, received = f"Order #{order['id']} placed", f"Payment received for order #{order['id']}"
    page = shopper.wait_for_notifications({placed, received})
    by_subject = {n["subject"]: n for n in page["results"]}
    assert by_subject[placed]["event_type"] == "order.created"
    assert "2 x Dế Mèn phiêu lưu ký (notifications): 25.00" in by_subject[placed]["body"]
    assert by_subject[received]["event_type"] == "payment.succeeded"
    assert "25.00 by card" in by_subject[received]["body"]
    created = [n["created_at"] for n in page["results"]]
    assert created == sorted(created, reverse=True)  # newest first
    assert page["unread_count"] == page["count"]

    mails = stack.mailbox.wait_for(shopper.email, {placed, received})
    assert all(mail.rcpt_tos == [shopper.email] for mail in mails)
    assert "25.00 by card" in next(mail.body for mail in mails if mail.subject == received)
    assert len([mail for mail in mails if mail.subject == placed]) == 1


def test_signing_up_and_becoming_a_customer_are_welcomed(stack, http):
    shopper = Shopper.signing_up(stack, http, "notify")
    parts = make_profile(stack, http, shopper.account)  # a full name (Thị Nở) and an address
    customer = http.post(f"{stack.gateway}/api/customers/", json=parts, headers=shopper.headers)
    assert customer.status_code == 201, customer.text

    welcome, profile = "Welcome to the bookstore", "Your customer profile is ready"
    page = shopper.wait_for_notifications({welcome, profile})
    assert {n["event_type"] for n in page["results"]} == {"account.created", "customer.created"}
    mails = stack.mailbox.wait_for(shopper.email, {welcome, profile})
    assert "Hello Thị Nở," in next(mail.body for mail in mails if mail.subject == profile)


def test_reading_a_notification_and_someone_elses(stack, http, book):
    shopper, other = Shopper.signing_up(stack, http, "notify"), Shopper.signing_up(stack, http, "notify")
    order = shopper.buy(book["id"])
    placed = f"Order #{order['id']} placed"
    notification = next(n for n in shopper.wait_for_notifications({placed})["results"] if n["subject"] == placed)
    read_url = f"{stack.gateway}/api/notifications/{notification['id']}/read/"

    assert http.post(read_url, headers=other.headers).status_code == 404  # as for one that does not exist
    listed = http.get(f"{stack.gateway}/api/notifications/", params={"user_id": shopper.user_id}, headers=other.headers)
    assert listed.status_code == 403
    assert http.get(f"{stack.gateway}/api/notifications/").status_code == 401
    read = http.post(read_url, headers=shopper.headers)

    assert read.status_code == 200, read.text
    assert read.json()["read"] is True
    page = shopper.notifications()  # one answer: its counts are of one moment, while notifications still arrive
    assert page["unread_count"] == page["count"] - 1
    staff = bearer(stack.token(user_id=3, is_staff=True))
    by_staff = http.get(f"{stack.gateway}/api/notifications/", params={"user_id": shopper.user_id}, headers=staff)
    assert by_staff.status_code == 200, by_staff.text
    assert {n["user_id"] for n in by_staff.json()["results"]} == {shopper.user_id}
    assert notification["id"] in {n["id"] for n in by_staff.json()["results"]}


def test_an_order_placed_while_notifications_are_down_is_notified_once_it_is_back(stack, http, book):
    shopper = Shopper.signing_up(stack, http, "notify")

    with stack.stopped("notification"):
        order = shopper.buy(book["id"])  # checkout does not wait for notification_service
        placed = f"Order #{order['id']} placed"
        time.sleep(1)  # a few redeliveries are refused meanwhile

    shopper.wait_for_notifications({placed})
    stack.mailbox.wait_for(shopper.email, {placed})
    time.sleep(2)  # time for any repeat delivery to show
    assert [n["subject"] for n in shopper.notifications()["results"]].count(placed) == 1
    assert [mail.subject for mail in stack.mailbox.to(shopper.email)].count(placed) == 1


def test_a_mail_server_that_is_down_delays_the_email_not_the_notification(stack, http, book):
    shopper = Shopper.signing_up(stack, http, "notify")

    with stack.mailbox.down():
        order = shopper.buy(book["id"])
        placed = f"Order #{order['id']} placed"
        page = shopper.wait_for_notifications({placed})  # the event was taken and stored
        notification = next(n for n in page["results"] if n["subject"] == placed)
        assert notification["email_state"] == "pending"
        time.sleep(1)  # a try or two fails
        assert placed not in {mail.subject for mail in stack.mailbox.to(shopper.email)}

    mails = stack.mailbox.wait_for(shopper.email, {placed})
    assert [mail.subject for mail in mails].count(placed) == 1
    deadline = time.monotonic() + 10
    while shopper.notifications()["results"][0]["email_state"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert next(n for n in shopper.notifications()["results"] if n["subject"] == placed)["email_state"] == "sent"
