from django.urls import path, register_converter

from carts import views
from common.converters import IdConverter

register_converter(IdConverter, "id")

urlpatterns = [
    path("carts/", views.CartCreateView.as_view(), name="cart-create"),
    path("carts/<id:user_id>/", views.CartDetailView.as_view(), name="cart-detail"),
    path("carts/<id:user_id>/items/", views.CartItemListView.as_view(), name="cart-item-list"),
    path("carts/<id:user_id>/items/<id:product_id>/", views.CartItemDetailView.as_view(), name="cart-item-detail"),
]
