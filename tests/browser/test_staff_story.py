"""A staff member's day in the back office, in a real browser, with one login: a book
made and stocked in the admins, a customer buying it through the API, that order
shipped and delivered from the order's page, a second order's payment refunded from
the payment's page, a third order cancelled from the order list. Each effect is read
back through the API, as the customer and as staff see it."""

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.backoffice import WAIT_SECONDS, BackOffice
from tests.e2e.people import Shopper, read_ok
from tests.e2e.shop import bearer, stock
from tests.e2e.waiting import wait_until

STOCKED = 5


@pytest.fixture(scope="module")
def staff_headers(stack) -> dict:
    return bearer(stack.token(user_id=9700, is_staff=True))


def choose_autocomplete(office: BackOffice, field: str, text: str) -> None:
    """Picks `text` in an autocomplete field (the admin's select2 box), as a person types it."""
    office.find(f"#id_{field} + .select2 .select2-selection").click()
    search = office.find(".select2-container--open .select2-search__field")
    search.send_keys(text)
    WebDriverWait(office.driver, WAIT_SECONDS).until(
        lambda d: any(
            text in option.text for option in d.find_elements(By.CSS_SELECTOR, ".select2-results__option--highlighted")
        )
    )
    search.send_keys(Keys.ENTER)


def add_in_admin(office: BackOffice, path: str, **fields: str) -> list[str]:
    """The add page at `path` filled and saved; the messages it left on the list."""
    office.open(path)
    office.fill(**fields)
    office.save()
    assert "/add/" not in office.path, office.errors()
    return office.messages()


def press(office: BackOffice, label: str) -> list[str]:
    """A service button on an object's page (ObjectButtonsMixin); the messages it left."""
    [button] = [b for b in office.find_all("#object-buttons button") if b.text == label]
    office.click(button)
    return office.messages()


def buttons(office: BackOffice) -> list[str]:
    return [button.text for button in office.find_all("#object-buttons button")]


def test_a_book_made_stocked_sold_shipped_refunded_and_cancelled_from_the_back_office(
    logged_in, stack, http, staff_headers
):
    office = logged_in
    tag = uuid.uuid4().hex[:6]

    # The book, made in the book admin: its author and category first.
    add_in_admin(office, "/admin/book/catalog/category/add/", name=f"Truyện ngắn {tag}")
    add_in_admin(
        office,
        "/admin/book/catalog/author/add/",
        name=f"Nam Cao {tag}",
        email=f"nam.cao.{tag}@example.com",
        address="Hà Nam",
    )
    office.open("/admin/book/catalog/book/add/")
    office.fill(title=f"Chí Phèo {tag}", published_date="1941-01-01", price="56000.00")
    choose_autocomplete(office, "author", f"Nam Cao {tag}")
    choose_autocomplete(office, "category", f"Truyện ngắn {tag}")
    office.save()
    assert office.path == "/admin/book/catalog/book/", office.errors()
    [book] = read_ok(stack, http, {}, "/api/books/search/", search_term=f"Chí Phèo {tag}")["results"]
    assert (book["author_name"], book["price"]) == (f"Nam Cao {tag}", "56000.00")

    # Stocked from the inventory admin's add page (the warehouse made as 8.1 makes it).
    stock(stack, [], 0)
    messages = add_in_admin(
        office, "/admin/inventory/stock/stockitem/add/", product_id=str(book["id"]), quantity=str(STOCKED)
    )
    assert any(f"{STOCKED} units added" in message for message in messages), messages
    level = read_ok(stack, http, {}, f"/api/warehouse/items/{book['id']}/")
    assert (level["available"], level["reserved"]) == (STOCKED, 0)
    office.open_model("inventory", "stock", "stockitem", query=f"q={book['id']}")
    assert f"Chí Phèo {tag}" in office.find("#result_list").text  # the title, from book_service

    # Three orders of it, placed and paid by a customer through the API.
    buyer = Shopper.signing_up(stack, http, "story", customer=True)
    shipped, refunded, cancelled = (buyer.buy(book["id"]) for _ in range(3))
    for order in (shipped, refunded):
        buyer.pay_for(order["id"])
        buyer.wait_for_order_status(order["id"], "paid")

    # The first shipped and delivered with the buttons of the order's page, which offer
    # only the moves its status allows.
    office.open(f"/admin/order/orders/order/{shipped['id']}/change/")
    assert buyer.account["username"] in office.find("#content").text  # the customer, by name
    assert buttons(office) == ["Ship", "Cancel the order"]
    assert any("paid → shipped" in message for message in press(office, "Ship"))
    assert buttons(office) == ["Mark delivered"]
    assert any("shipped → delivered" in message for message in press(office, "Mark delivered"))
    assert buttons(office) == []
    assert buyer.order_status(shipped["id"]) == "delivered"

    # The second's payment refunded from the payment's page: the order is cancelled by
    # the payment.refunded event and its unit goes back on sale.
    [payment] = read_ok(stack, http, staff_headers, "/api/payments/", order_id=refunded["id"])["results"]
    office.open(f"/admin/payment/payments/payment/{payment['id']}/change/")
    assert any("refunded" in message for message in press(office, "Refund")), office.messages()
    assert buttons(office) == []
    assert read_ok(stack, http, staff_headers, f"/api/payments/{payment['id']}/")["status"] == "refunded"
    buyer.wait_for_order_status(refunded["id"], "cancelled")

    # The third, unpaid, cancelled with the order list's action.
    office.open_model("order", "orders", "order", query=f"q={cancelled['id']}")
    messages = office.run_action("cancel", ids=[cancelled["id"]])
    assert any(f"Order {cancelled['id']}" in message and "cancelled" in message for message in messages), messages
    assert buyer.order_status(cancelled["id"]) == "cancelled"

    # What is left on the shelf: one unit delivered, the refunded and cancelled ones back.
    wait_until(
        "the refunded and cancelled units back on sale",
        lambda: read_ok(stack, http, {}, f"/api/warehouse/items/{book['id']}/")["available"] == STOCKED - 1,
    )
    # The delivered unit is still counted reserved: shipping does not take units out of
    # the warehouse yet (docs/api.md, Inventory).
    assert read_ok(stack, http, {}, f"/api/warehouse/items/{book['id']}/")["reserved"] == 1
    history = read_ok(stack, http, buyer.headers, f"/api/orders/{shipped['id']}/")["history"]
    assert [change["changed_by"] for change in history[-2:]] == ["admin chief", "admin chief"]


def test_a_move_the_order_no_longer_allows_is_refused_with_a_message(logged_in, stack, http):
    """A stale page's button: the order was cancelled through the API meanwhile."""
    office = logged_in
    book_id = read_ok(stack, http, {}, "/api/books/", page_size=1)["results"][0]["id"]
    stock(stack, [book_id], 1)
    buyer = Shopper.signing_up(stack, http, "stale", customer=True)
    order = buyer.buy(book_id)
    office.open(f"/admin/order/orders/order/{order['id']}/change/")
    assert "Cancel the order" in buttons(office)
    cancelled = buyer.set_status(order["id"], "cancelled")
    assert cancelled.status_code == 200, cancelled.text

    messages = press(office, "Cancel the order")

    assert any("refused" in message.lower() or "cannot" in message.lower() for message in messages), messages
    assert buyer.order_status(order["id"]) == "cancelled"
    assert buttons(office) == []  # the page, shown again, offers no move from cancelled
