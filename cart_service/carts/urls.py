from django.urls import path

from carts import views

urlpatterns = [
    path("carts/", views.CartCreateView.as_view(), name="cart-create"),
    path("carts/<id:user_id>/", views.CartDetailView.as_view(), name="cart-detail"),
    path("carts/<id:user_id>/items/", views.CartItemListView.as_view(), name="cart-item-list"),
    path("carts/<id:user_id>/items/<id:product_id>/", views.CartItemDetailView.as_view(), name="cart-item-detail"),
    path("events/", views.EventsView.as_view(), name="events"),
]
