"""What many end-to-end tests need: tokens in headers, books in the catalog and
stock in the warehouse, made through the gateway as staff would."""

import itertools

import requests

_unique = itertools.count(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_books(
    stack, books: list[tuple[str, str]], *, tag: str, author: str | None = None, category: str | None = None
) -> list[dict]:
    """Books (title, price) by a new author in a new category. Their names, unless
    given, are made unique with `tag`, so modules sharing the stack do not collide."""
    staff = bearer(stack.token(user_id=1, is_staff=True))
    n = next(_unique)
    author = author or f"Tác giả {tag} {n}"
    category = category or f"Thể loại {tag} {n}"
    with requests.Session() as http:
        author = http.post(
            f"{stack.gateway}/api/authors/",
            json={"name": author, "email": f"{tag}.{n}@example.com", "address": "Hà Nội"},
            headers=staff,
        )
        assert author.status_code == 201, author.text
        category = http.post(f"{stack.gateway}/api/categories/", json={"name": category}, headers=staff)
        assert category.status_code == 201, category.text
        made = []
        for title, price in books:
            book = http.post(
                f"{stack.gateway}/api/books/",
                json={
                    "title": title,
                    "author_id": author.json()["id"],
                    "category_id": category.json()["id"],
                    "published_date": "2001-01-01",
                    "price": price,
                    "description": "",
                },
                headers=staff,
            )
            assert book.status_code == 201, book.text
            made.append(book.json())
    return made


def stock(stack, book_ids: list[int], quantity: int) -> None:
    """`quantity` units of each book in the default warehouse (made if it is not there yet)."""
    staff = bearer(stack.token(user_id=1, is_staff=True))
    with requests.Session() as http:
        warehouse = http.post(f"{stack.gateway}/api/warehouse/", json={}, headers=staff)
        assert warehouse.status_code in (201, 409), warehouse.text  # another module may have made it
        for book_id in book_ids:
            added = http.post(
                f"{stack.gateway}/api/warehouse/items/",
                json={"product_id": book_id, "quantity": quantity},
                headers=staff,
            )
            assert added.status_code == 201, added.text
