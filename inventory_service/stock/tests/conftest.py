import pytest
import responses
from django.conf import settings

from stock import services
from stock.models import ProductType


def book_url(book_id: int) -> str:
    return f"{settings.SERVICE_URLS['book']}/api/books/{book_id}/"


@pytest.fixture
def warehouse(db):
    """The default warehouse, with the default capacities."""
    return services.warehouse_create()


@pytest.fixture
def book_exists(mocked_responses):
    """book_exists(book_id): book_service answers that the book exists (once)."""

    def register(book_id: int) -> None:
        mocked_responses.get(book_url(book_id), json={"id": book_id, "title": f"Book {book_id}"})

    return register


@pytest.fixture
def put_stock(warehouse):
    """put_stock(product_id, quantity): units of a book on the shelves, the book_service
    call faked (a mock of its own, so tests can register their own calls too)."""

    def put(product_id: int, quantity: int, product_type: str = ProductType.BOOK):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.get(book_url(product_id), json={"id": product_id})
            return services.stock_add(product_id=product_id, quantity=quantity, product_type=product_type)

    return put
