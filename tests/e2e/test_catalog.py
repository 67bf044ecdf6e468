"""The book catalog through the gateway: staff writes, anyone reads and searches."""

import pytest

from tests.e2e.shop import make_books


@pytest.fixture(scope="module")
def catalog(stack):
    [book] = make_books(
        stack, [("Dế Mèn phiêu lưu ký", "68000.00")], tag="catalog", author="Tô Hoài", category="Thiếu nhi"
    )
    return book


def test_a_customer_cannot_write_the_catalog(stack, http):
    customer = {"Authorization": f"Bearer {stack.token(user_id=2)}"}
    response = http.post(f"{stack.gateway}/api/categories/", json={"name": "Nope"}, headers=customer)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("term", ["id", "de men", "to hoai", "thieu nhi"])
def test_anyone_finds_the_book_by_id_title_author_or_category(stack, http, catalog, term):
    search_term = str(catalog["id"]) if term == "id" else term
    response = http.get(f"{stack.gateway}/api/books/search/", params={"search_term": search_term})
    assert response.status_code == 200, response.text
    assert catalog["id"] in [book["id"] for book in response.json()["results"]]


def test_batch_read_through_the_gateway(stack, http, catalog):
    body = http.get(f"{stack.gateway}/api/books/", params={"ids": f"{catalog['id']},999999"}).json()
    assert [book["title"] for book in body["results"]] == ["Dế Mèn phiêu lưu ký"]
    assert body["missing_ids"] == [999999]
