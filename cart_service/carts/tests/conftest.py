import pytest
import requests
from responses import matchers


def book(book_id: int, title: str | None = None, price: str = "10.00") -> dict:
    """A book as book_service's batch read returns it."""
    return {
        "id": book_id,
        "title": title or f"Book {book_id}",
        "author_id": 1,
        "author_name": "Nam Cao",
        "category_id": 1,
        "category_name": "Văn học",
        "published_date": "1941-01-01",
        "price": price,
        "description": "",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


class FakeBookService:
    """book_service's batch read, faked at the HTTP layer; each registered answer
    must be asked for exactly once (mocked_responses checks)."""

    def __init__(self, mocked_responses, base_url: str):
        self.mock = mocked_responses
        self.url = f"{base_url}/api/books/"

    def _match(self, ids) -> list:
        return [matchers.query_param_matcher({"ids": ",".join(str(i) for i in sorted(set(ids)))})]

    def has(self, *books: dict, asked: list[int] | None = None) -> None:
        """Answers a batch read of `asked` (default: the books' ids) with the books found."""
        asked = asked if asked is not None else [b["id"] for b in books]
        found = {b["id"] for b in books}
        body = {"count": len(books), "results": list(books), "missing_ids": [i for i in asked if i not in found]}
        self.mock.get(self.url, match=self._match(asked), json=body)

    def answers(self, asked: list[int], **response) -> None:
        """Any other answer to a batch read of `asked`: status=, body=, json=."""
        self.mock.get(self.url, match=self._match(asked), **response)

    def is_down(self, asked: list[int]) -> None:
        self.answers(asked, body=requests.ConnectionError("connection refused"))

    def is_slow(self, asked: list[int]) -> None:
        self.answers(asked, body=requests.ReadTimeout("read timed out"))

    @property
    def calls(self) -> int:
        return len(self.mock.calls)


@pytest.fixture
def book_service(mocked_responses, settings) -> FakeBookService:
    return FakeBookService(mocked_responses, settings.SERVICE_URLS["book"])
