"""carts.clients.books: one batch read of book_service, and every way it can fail."""

from decimal import Decimal

import pytest

from carts.clients.books import MAX_IDS_PER_CALL, Book, books_fetch
from carts.tests.conftest import book
from common.auth import service_token
from common.errors import ServiceTimeout, ServiceUnavailable


def test_fetches_the_books_that_exist_in_one_call(book_service):
    book_service.has(book(3, "Số đỏ", "45.50"), book(1, "Lão Hạc"), asked=[1, 2, 3])

    found = books_fetch(ids=[3, 1, 2, 3])

    assert found == {1: Book(1, "Lão Hạc", Decimal("10.00")), 3: Book(3, "Số đỏ", Decimal("45.50"))}
    assert book_service.calls == 1
    sent = book_service.mock.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {service_token()}"


def test_ignores_books_it_did_not_ask_for(book_service):
    book_service.has(book(1), book(99), asked=[1])

    assert set(books_fetch(ids=[1])) == {1}


def test_no_ids_no_call(book_service):
    assert books_fetch(ids=[]) == {}
    assert book_service.calls == 0


def test_more_ids_than_one_call_takes_is_a_programming_error(book_service):
    with pytest.raises(ValueError, match="At most"):
        books_fetch(ids=range(1, MAX_IDS_PER_CALL + 2))


def test_down_is_503_naming_book_service(book_service):
    book_service.is_down([1])

    with pytest.raises(ServiceUnavailable) as raised:
        books_fetch(ids=[1])
    assert raised.value.details == {"service": "book"}


def test_slow_is_504_naming_book_service(book_service):
    book_service.is_slow([1])

    with pytest.raises(ServiceTimeout) as raised:
        books_fetch(ids=[1])
    assert raised.value.details == {"service": "book"}


def test_waits_only_the_cart_book_read_timeout(book_service, settings):
    settings.CART_BOOK_READ_TIMEOUT = 0.25
    book_service.has(book(1))

    books_fetch(ids=[1])

    assert book_service.mock.calls[0].request.req_kwargs["timeout"] == (settings.SERVICE_CONNECT_TIMEOUT, 0.25)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "json": {"error": {}}},
        {"status": 400, "json": {"error": {"code": "validation_error"}}},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": ["a", "list"]},
        {"status": 200, "json": {"count": 1}},
        {"status": 200, "json": {"results": {"1": "not a list"}}},
        {"status": 200, "json": {"results": ["not a book"]}},
        {"status": 200, "json": {"results": [{"id": 1, "title": "No price"}]}},
        {"status": 200, "json": {"results": [{**book(1), "id": "1"}]}},
        {"status": 200, "json": {"results": [{**book(1), "id": True}]}},
        {"status": 200, "json": {"results": [{**book(1), "title": None}]}},
        {"status": 200, "json": {"results": [{**book(1), "price": "ten"}]}},
        {"status": 200, "json": {"results": [{**book(1), "price": "NaN"}]}},
        {"status": 200, "json": {"results": [{**book(1), "price": "-1.00"}]}},
        {"status": 200, "json": {"results": [{**book(1), "price": 10.5}]}},
    ],
)
def test_an_answer_that_is_not_a_batch_read_is_503(book_service, answer):
    book_service.answers([1], **answer)

    with pytest.raises(ServiceUnavailable) as raised:
        books_fetch(ids=[1])
    assert raised.value.details == {"service": "book"}


def test_an_unreadable_answer_is_logged_with_what_was_wrong(book_service, caplog):
    book_service.answers([1], status=200, json={"results": [{**book(1), "price": "ten"}]})

    with pytest.raises(ServiceUnavailable):
        books_fetch(ids=[1])

    assert "price 'ten'" in caplog.text
