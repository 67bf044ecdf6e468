"""The catalog's read cache through the gateway (catalog/cache.py, common/cache.py): a write
is seen by the very next read of every answer that showed the old value, and with the
cache unreachable the shop still reads and writes, only without the shortcut."""

import os

import pytest
import redis

from tests.e2e.shop import bearer, make_books


def reads_of(stack, book: dict) -> dict[str, tuple[str, dict]]:
    """Every kind of catalog read that shows this book, as (path, params)."""
    return {
        "one book": (f"/api/books/{book['id']}/", {}),
        "a page": ("/api/books/", {"author": book["author_id"]}),
        "a search": ("/api/books/search/", {"search_term": "chim xanh"}),
        "a batch read": ("/api/books/", {"ids": str(book["id"])}),
    }


def shown(http, stack, path: str, params: dict, book_id: int) -> dict:
    response = http.get(f"{stack.gateway}{path}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    [book] = [b for b in body.get("results", [body]) if b["id"] == book_id]
    return book


def test_a_change_to_a_book_is_seen_by_the_next_read_of_every_kind(stack, http):
    [book] = make_books(stack, [("Chim xanh", "50000.00")], tag="cache")
    staff = bearer(stack.token(user_id=1, is_staff=True))
    reads = reads_of(stack, book)
    for path, params in reads.values():  # twice: the second is a cached answer
        shown(http, stack, path, params, book["id"])
        assert shown(http, stack, path, params, book["id"])["price"] == "50000.00"

    change = {"price": "45000.00", "title": "Chim xanh (bìa mềm)"}
    changed = http.patch(f"{stack.gateway}/api/books/{book['id']}/", json=change, headers=staff)
    assert changed.status_code == 200, changed.text

    for kind, (path, params) in reads.items():
        now = shown(http, stack, path, params, book["id"])
        assert (now["price"], now["title"]) == ("45000.00", "Chim xanh (bìa mềm)"), kind


def test_a_deleted_book_is_gone_from_the_next_read(stack, http):
    [book] = make_books(stack, [("Chim xanh đã bán hết", "30000.00")], tag="cache")
    staff = bearer(stack.token(user_id=1, is_staff=True))
    search = {"search_term": "chim xanh đã bán"}
    assert [b["id"] for b in http.get(f"{stack.gateway}/api/books/search/", params=search).json()["results"]] == [
        book["id"]
    ]
    assert http.get(f"{stack.gateway}/api/books/{book['id']}/").status_code == 200

    assert http.delete(f"{stack.gateway}/api/books/{book['id']}/", headers=staff).status_code == 204

    assert http.get(f"{stack.gateway}/api/books/search/", params=search).json()["results"] == []
    assert http.get(f"{stack.gateway}/api/books/{book['id']}/").status_code == 404


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the suite runs without Redis (REDIS_URL unset)")
def test_with_redis_the_answers_are_kept_in_it(stack, http):
    [book] = make_books(stack, [("Chim xanh trong Redis", "20000.00")], tag="cache")
    http.get(f"{stack.gateway}/api/books/{book['id']}/")

    keys = redis.Redis.from_url(os.environ["REDIS_URL"]).keys(f"{stack.cache_key_prefix}:book:*catalog:*")

    assert keys, "book_service kept no catalog answer in Redis"


def test_with_the_cache_unreachable_the_catalog_still_reads_and_writes(stack, http):
    staff = bearer(stack.token(user_id=1, is_staff=True))
    with stack.configured("book", REDIS_URL="redis://127.0.0.1:9/0", REDIS_TIMEOUT="0.2"):
        [book] = make_books(stack, [("Chim xanh không bộ nhớ đệm", "10000.00")], tag="cache")
        path = f"/api/books/{book['id']}/"
        assert shown(http, stack, path, {}, book["id"])["price"] == "10000.00"
        changed = http.patch(f"{stack.gateway}{path}", json={"price": "11000.00"}, headers=staff)
        assert changed.status_code == 200, changed.text
        assert shown(http, stack, path, {}, book["id"])["price"] == "11000.00"

    assert "cache unavailable" in stack.log_tail("book", 400)
