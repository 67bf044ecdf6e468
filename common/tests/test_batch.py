"""common.batch: the batch read's client side (batch_read) and the admin's names from it
(common.admin_names.PageNames)."""

import pytest
import requests
from django.conf import settings

from common.admin_names import NameSource, PageNames
from common.batch import MAX_BATCH_IDS, batch_read
from common.errors import ServiceUnavailable

BOOKS = f"{settings.SERVICE_URLS['book']}/api/books/"
ACCOUNTS = f"{settings.SERVICE_URLS['customer']}/api/accounts/"


def answer(request):
    """A batch read that finds the even ids."""
    import json

    ids = [int(i) for i in request.params["ids"].split(",")]
    found = [{"id": i, "title": f"Book {i}"} for i in ids if i % 2 == 0]
    return 200, {}, json.dumps({"count": len(found), "results": found, "missing_ids": [i for i in ids if i % 2]})


def titles(*, ids):
    return {
        book["id"]: book["title"]
        for book in batch_read(service="book", path="/api/books/", ids=ids, item_shape={"id": int, "title": str})
    }


def test_one_call_asks_for_the_distinct_ids_in_order_and_returns_what_was_found(mocked_responses):
    mocked_responses.add_callback("GET", BOOKS, callback=answer, content_type="application/json")

    assert titles(ids=[4, 2, 3, 4]) == {2: "Book 2", 4: "Book 4"}
    assert len(mocked_responses.calls) == 1
    assert mocked_responses.calls[0].request.params == {"ids": "2,3,4"}


def test_more_ids_than_one_call_takes_are_read_in_calls_of_the_limit(mocked_responses):
    mocked_responses.add_callback("GET", BOOKS, callback=answer, content_type="application/json")

    found = titles(ids=range(1, 2 * MAX_BATCH_IDS + 2))

    assert len(found) == MAX_BATCH_IDS
    assert len(mocked_responses.calls) == 3


def test_a_caller_may_wait_less_than_the_client_would(mocked_responses):
    mocked_responses.add_callback("GET", BOOKS, callback=answer, content_type="application/json")

    batch_read(service="book", path="/api/books/", ids=[2], item_shape={"id": int}, timeout=(0.5, 0.25))
    titles(ids=[2])

    assert mocked_responses.calls[0].request.req_kwargs["timeout"] == (0.5, 0.25)
    assert mocked_responses.calls[1].request.req_kwargs["timeout"] == (
        settings.SERVICE_CONNECT_TIMEOUT,
        settings.SERVICE_READ_TIMEOUT,
    )


def test_no_ids_no_call(mocked_responses):
    assert titles(ids=[]) == {}


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 403, "json": {"error": {"code": "permission_denied"}}},
        {"status": 200, "json": {"results": [{"id": "1", "title": "x"}]}},
        {"status": 200, "body": "<html>"},
        {"status": 502, "body": "bad gateway"},
        {"body": requests.ConnectionError("refused")},
    ],
)
def test_a_refusal_an_unreadable_answer_or_a_peer_down_is_the_peer_unavailable(mocked_responses, reply):
    mocked_responses.add("GET", BOOKS, **reply)

    with pytest.raises(ServiceUnavailable) as raised:
        titles(ids=[1])

    assert raised.value.service == "book"


def test_page_names_ask_each_source_once_for_every_id_wanted(mocked_responses):
    mocked_responses.add_callback("GET", BOOKS, callback=answer, content_type="application/json")
    books = NameSource(service="book", thing="book", fetch=titles)
    names = PageNames()
    names.want(books, [2, 3, None])
    names.want(books, [4, 2])

    names.resolve()
    names.resolve()  # nothing new wanted: no call

    assert names.label(books, 2) == "2 · Book 2"
    assert names.label(books, 3) == "3 (not in book_service)"
    assert names.label(books, None) == "-"
    assert len(mocked_responses.calls) == 1
    assert mocked_responses.calls[0].request.params == {"ids": "2,3,4"}


def test_page_names_of_a_peer_down_are_the_ids_with_a_note_and_the_other_peers_still_answer(mocked_responses):
    mocked_responses.add("GET", ACCOUNTS, body=requests.ConnectionError("refused"))
    mocked_responses.add_callback("GET", BOOKS, callback=answer, content_type="application/json")

    def usernames(*, ids):
        batch_read(service="customer", path="/api/accounts/", ids=ids, item_shape={"id": int, "username": str})
        raise AssertionError("unreachable")

    accounts = NameSource(service="customer", thing="account", fetch=usernames)
    books = NameSource(service="book", thing="book", fetch=titles)
    names = PageNames()
    names.want(accounts, [7])
    names.want(books, [2])

    names.resolve()

    assert names.label(accounts, 7) == "7 (customer_service unavailable)"
    assert names.label(books, 2) == "2 · Book 2"
    assert list(names.down) == [accounts]
    assert "customer service is unavailable" in names.down[accounts]
