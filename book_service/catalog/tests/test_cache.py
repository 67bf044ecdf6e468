"""The catalog's read cache (catalog/cache.py): a repeated read costs no query, and every
kind of write (the API, the admin's services, a rename of an author or category, bulk
generation) is seen by the next read; a cache that cannot be reached is no cache."""

import logging
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

import common.cache
from catalog import services
from catalog.synthetic import books_generate
from common.cache import ForgivingRedisCache

READS = {
    "one book": "/api/books/{id}/",
    "a page": "/api/books/?ordering=price",
    "a search": "/api/books/search/?search_term=dế",
    "a batch read": "/api/books/?ids={id}",
}


def books_in(answer: dict) -> list[dict]:
    return answer.get("results", [answer])


@pytest.fixture
def book(make_book):
    return make_book("Dế Mèn phiêu lưu ký", author="Tô Hoài", category="Thiếu nhi", price="12.00")


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_repeated_read_is_answered_without_the_database(book, api_client, django_assert_num_queries, read):
    url = read.format(id=book.id)
    first = api_client.get(url)
    assert first.status_code == 200

    with django_assert_num_queries(0):
        again = api_client.get(url)

    assert again.status_code == 200
    assert again.json() == first.json()


class CountingCache:
    """Django's cache, counting the calls made to it (each one round trip to Redis)."""

    def __init__(self, cache):
        self.cache, self.calls = cache, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.cache, name)


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_read_takes_one_call_to_the_cache_and_a_miss_one_more(
    book, api_client, monkeypatch, django_capture_on_commit_callbacks, read
):
    """The versions of what an answer read come with the answer, in one call (one round
    trip to Redis); a miss then files the new answer."""
    counting = CountingCache(common.cache.cache)
    monkeypatch.setattr(common.cache, "cache", counting)
    url = read.format(id=book.id)
    api_client.get(url)  # the versions made
    counting.calls.clear()

    api_client.get(url)
    hit = list(counting.calls)
    with django_capture_on_commit_callbacks(execute=True):
        services.book_update(book=book, price="13.00")
    counting.calls.clear()
    api_client.get(url)

    assert (hit, counting.calls) == (["get_many"], ["get_many", "set"])


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_new_price_is_seen_by_the_next_read(book, api_client, staff_client, django_capture_on_commit_callbacks, read):
    url = read.format(id=book.id)
    assert books_in(api_client.get(url).json())[0]["price"] == "12.00"

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.patch(f"/api/books/{book.id}/", {"price": "15.50"}).status_code == 200

    assert books_in(api_client.get(url).json())[0]["price"] == "15.50"


@pytest.mark.parametrize(
    "url",
    ["/api/books/?sort=cheapest", "/api/books/search/?search_term=", "/api/books/?ids=x", "/api/books/suggest/?q=%20"],
)
def test_a_bad_query_is_400_every_time_never_a_cached_answer(book, api_client, url):
    """The query is read on a miss only: an answer is filed only for a URL that was read
    and found good, so a bad one is refused each time."""
    answers = [api_client.get(url) for _ in range(2)]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(400, "validation_error")] * 2


def test_a_write_to_one_book_keeps_the_other_books_answers(
    make_book, api_client, staff_client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """One book's answer is renewed by writes to that book (or to any author or
    category), not by those to other books; lists, searches and batch reads by every one."""
    repriced, other = make_book("Mắt biếc", price="12.00"), make_book("Cho tôi xin một vé đi tuổi thơ")
    reads = [f"/api/books/{repriced.id}/", f"/api/books/{other.id}/", "/api/books/", f"/api/books/?ids={other.id}"]
    for url in reads:
        api_client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.patch(f"/api/books/{repriced.id}/", {"price": "15.50"}).status_code == 200

    with django_assert_num_queries(0):
        assert api_client.get(f"/api/books/{other.id}/").status_code == 200
    assert api_client.get(f"/api/books/{repriced.id}/").json()["price"] == "15.50"
    assert api_client.get("/api/books/").json()["results"][0]["price"] == "15.50"
    with django_assert_num_queries(1):  # a batch read of the other book only: renewed too
        api_client.get(f"/api/books/?ids={other.id}")


@pytest.mark.parametrize("read", ["/api/books/{id}/", "/api/books/?in_stock=true", "/api/books/?ids={id}"])
def test_a_book_coming_into_stock_is_seen_by_the_next_read(
    book, api_client, service_client, django_capture_on_commit_callbacks, read
):
    url = read.format(id=book.id)
    assert [b["in_stock"] for b in books_in(api_client.get(url).json())] in ([False], [])
    event = {
        "id": str(uuid.uuid4()),
        "type": "stock.availability_changed",
        "payload": {"product_id": book.id, "in_stock": True, "changed_at": timezone.now().isoformat()},
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert service_client.post("/api/events/", event, format="json").status_code == 200

    assert [b["in_stock"] for b in books_in(api_client.get(url).json())] == [True]


def test_renaming_an_author_or_a_category_is_seen_in_their_books(book, api_client, django_capture_on_commit_callbacks):
    url = f"/api/books/{book.id}/"
    api_client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        services.author_update(author=book.author, name="Tô Hoài (Nguyễn Sen)")
        services.category_update(category=book.category, name="Truyện thiếu nhi")

    answer = api_client.get(url).json()
    assert (answer["author_name"], answer["category_name"]) == ("Tô Hoài (Nguyễn Sen)", "Truyện thiếu nhi")


def test_a_deleted_book_is_gone_from_the_next_read(book, api_client, staff_client, django_capture_on_commit_callbacks):
    assert api_client.get(f"/api/books/{book.id}/").status_code == 200
    assert api_client.get("/api/books/search/?search_term=dế").json()["count"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.delete(f"/api/books/{book.id}/").status_code == 204

    assert api_client.get(f"/api/books/{book.id}/").status_code == 404
    assert api_client.get("/api/books/search/?search_term=dế").json()["count"] == 0


def test_a_write_rolled_back_leaves_the_answers_as_they_were(book, api_client, django_capture_on_commit_callbacks):
    """The renewal waits for the commit: a write that never commits renews nothing, and a
    read meanwhile is not told of a change that did not happen."""
    api_client.get(f"/api/books/{book.id}/")

    with django_capture_on_commit_callbacks(execute=False) as renewals:
        services.book_update(book=book, price="99.00")

    assert len(renewals) >= 1  # waiting for a commit, not run
    assert api_client.get(f"/api/books/{book.id}/").json()["price"] == "12.00"


def test_books_added_in_bulk_are_listed_by_the_next_read(db, api_client, django_capture_on_commit_callbacks):
    assert api_client.get("/api/books/").json()["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        books_generate(count=30)

    assert api_client.get("/api/books/").json()["count"] == 30


def test_answers_are_kept_apart_by_host(book, api_client):
    """Answers hold links built from the request's address: the same path asked by another
    host name is another answer."""
    api_client.get("/api/books/?page_size=1", HTTP_HOST="localhost")
    other = api_client.get("/api/books/?page_size=1", HTTP_HOST="127.0.0.1").json()

    assert other["next"] is None or other["next"].startswith("http://127.0.0.1")


def test_no_caching_when_the_setting_is_zero(book, api_client, settings, django_assert_num_queries):
    settings.CATALOG_CACHE_SECONDS = 0
    api_client.get(f"/api/books/{book.id}/")

    with django_assert_num_queries(1):
        api_client.get(f"/api/books/{book.id}/")


@pytest.fixture
def unreachable_redis(settings):
    """The cache is Redis on a port where nothing listens (Django renews its cache
    handlers when CACHES changes, and again when the test ends)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    return caches["default"]


def test_with_the_cache_unreachable_reads_and_writes_still_work(
    book, api_client, staff_client, unreachable_redis, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    assert isinstance(unreachable_redis, ForgivingRedisCache)
    tries = []
    real_get_many = RedisCache.get_many
    monkeypatch.setattr(RedisCache, "get_many", lambda self, *a, **k: tries.append(1) or real_get_many(self, *a, **k))

    with caplog.at_level(logging.WARNING, logger="common.cache"):
        assert api_client.get(f"/api/books/{book.id}/").json()["price"] == "12.00"
        with django_capture_on_commit_callbacks(execute=True):
            assert staff_client.patch(f"/api/books/{book.id}/", {"price": "13.00"}).status_code == 200
        assert api_client.get(f"/api/books/{book.id}/").json()["price"] == "13.00"

    assert len(tries) == 1  # after the first failure Redis is left alone for a while
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "cache unavailable" in caplog.records[0].message


def headers_of(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name != "X-Request-ID"}  # one per request


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_cached_answer_is_the_first_answers_bytes_and_headers(book, api_client, read):
    """A hit answers the bytes the miss's renderer wrote, with the same status and headers."""
    url = read.format(id=book.id)
    first, again = api_client.get(url), api_client.get(url)

    assert (again.status_code, again.content, headers_of(again)) == (
        first.status_code,
        first.content,
        headers_of(first),
    )
    assert again.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("accept", ["application/json; indent=2", "application/json;q=0.9", "*/*"])
@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_an_answer_filed_for_one_rendering_is_rendered_for_another_as_a_fresh_one_is(
    book, api_client, settings, django_assert_num_queries, read, accept
):
    """Filed as a plain request's bytes, an answer to a request that negotiated another
    media type (an indented one) is what that request gets without the cache."""
    url = read.format(id=book.id)
    api_client.get(url)  # filed for application/json
    with django_assert_num_queries(0):
        cached = api_client.get(url, HTTP_ACCEPT=accept)
    settings.CATALOG_CACHE_SECONDS = 0
    fresh = api_client.get(url, HTTP_ACCEPT=accept)

    assert (cached.content, headers_of(cached)) == (fresh.content, headers_of(fresh))
    assert cached.json() == cached.data


def test_a_hit_after_a_write_is_the_new_answers_bytes(
    book, api_client, staff_client, django_capture_on_commit_callbacks
):
    url = f"/api/books/{book.id}/"
    api_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.patch(url, {"price": "15.50"})

    miss, hit = api_client.get(url), api_client.get(url)

    assert miss.content == hit.content
    assert hit.json()["price"] == "15.50"
