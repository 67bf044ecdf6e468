from django.urls import path, register_converter

from carts import views
from carts.serializers import MAX_ID


class IdConverter:
    """A positive id the database can store; anything longer is no route (404), not an
    overflow in the query."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("carts/", views.CartCreateView.as_view(), name="cart-create"),
    path("carts/<id:user_id>/", views.CartDetailView.as_view(), name="cart-detail"),
    path("carts/<id:user_id>/items/", views.CartItemListView.as_view(), name="cart-item-list"),
    path("carts/<id:user_id>/items/<id:product_id>/", views.CartItemDetailView.as_view(), name="cart-item-detail"),
]
