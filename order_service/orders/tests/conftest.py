from decimal import Decimal

import pytest
from django.conf import settings

CART_URL = settings.SERVICE_URLS["cart"]
INVENTORY_URL = settings.SERVICE_URLS["inventory"]
RESERVATIONS = f"{INVENTORY_URL}/api/warehouse/reservations/"


def cart_url(user_id: int) -> str:
    return f"{CART_URL}/api/carts/{user_id}/"


def cart_items_url(user_id: int) -> str:
    return f"{CART_URL}/api/carts/{user_id}/items/"


def cart_body(user_id: int, lines: list[tuple[int, int, str]], *, details_available: bool = True) -> dict:
    """cart_service's answer to GET /api/carts/{user_id}/: lines of (product_id, quantity, unit_price)."""
    items = [
        {
            "product_id": product_id,
            "quantity": quantity,
            "title": f"Book {product_id}" if details_available else None,
            "unit_price": price if details_available else None,
            "line_total": str(Decimal(price) * quantity) if details_available else None,
            "available": True if details_available else None,
        }
        for product_id, quantity, price in lines
    ]
    return {
        "user_id": user_id,
        "items": items,
        "total_quantity": sum(quantity for _, quantity, _ in lines),
        "total_price": str(sum(Decimal(p) * q for _, q, p in lines)) if details_available else None,
        "details_available": details_available,
        "updated_at": "2026-01-01T00:00:00Z",
    }


@pytest.fixture(autouse=True)
def _outbox_without_threads(settings):
    # The fast path's background thread would race the test's database; tests drive
    # delivery themselves (deliver_now, dispatch_once).
    settings.OUTBOX_FAST_PATH = False
    settings.EVENT_SUBSCRIBERS = {"order.created": ["notification"], "order.status_changed": ["notification"]}


@pytest.fixture
def make_order(db):
    """make_order(user_id=5, status="pending") -> an order with one line, as checkout leaves it."""
    from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange

    counter = iter(range(1, 10_000))

    def make(*, user_id: int = 5, status: str = OrderStatus.PENDING):
        order = Order.objects.create(
            user_id=user_id, status=status, total=Decimal("20.00"), reservation_reference=f"order-test-{next(counter)}"
        )
        OrderLine.objects.create(
            order=order, product_id=1, title="Book 1", unit_price=Decimal("10.00"), quantity=2, line_total=20
        )
        OrderStatusChange.objects.create(order=order, to_status=OrderStatus.PENDING, changed_by=f"user {user_id}")
        return order

    return make
