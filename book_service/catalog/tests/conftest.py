import datetime
import json
from decimal import Decimal

import pytest
import responses
from django.conf import settings

from catalog import services


class FakeInventory:
    """inventory_service's list of the books in stock (manage.py stock_sync), answered from
    `stock` (book id: units for sale); `failure`, an exception of requests
    (ConnectionError: down, ReadTimeout: slow), is raised instead; `calls` lists the
    paths asked, with their query. Nothing else of inventory's is answered: a catalog
    read that asked it would fail."""

    def __init__(self) -> None:
        self.stock: dict[int, int] = {}
        self.failure: Exception | None = None
        self.calls: list[str] = []

    def in_stock_ids(self, request):
        self.calls.append(request.path_url)
        if self.failure is not None:
            raise self.failure
        ids = sorted(i for i, n in self.stock.items() if n > 0)
        return 200, {}, json.dumps({"product_type": "book", "product_ids": ids})


@pytest.fixture(autouse=True)
def inventory():
    """Every test's inventory_service, faked at the HTTP layer: nothing in stock until a
    test puts some in `inventory.stock`."""
    fake = FakeInventory()
    base = f"{settings.SERVICE_URLS['inventory']}/api/warehouse/items/"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", f"{base}in-stock/", callback=fake.in_stock_ids, content_type="application/json")
        yield fake


@pytest.fixture
def make_book(db):
    """make_book(title, author="...", category="...", price="10.00") creating the author
    and category on first use."""

    def make(title: str, *, author: str = "Nguyễn Nhật Ánh", category: str = "Văn học", price: str = "10.00"):
        from catalog.models import Author, Category

        author_obj = Author.objects.filter(name=author).first() or services.author_create(
            name=author, email=f"{abs(hash(author))}@example.com"
        )
        category_obj = Category.objects.filter(name=category).first() or services.category_create(name=category)
        return services.book_create(
            title=title,
            author_id=author_obj.id,
            category_id=category_obj.id,
            published_date=datetime.date(2020, 1, 1),
            price=Decimal(price),
        )

    return make
