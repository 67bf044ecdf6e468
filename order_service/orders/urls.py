from django.urls import path

from orders import views

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<id:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<id:order_id>/payment/", views.OrderPaymentView.as_view(), name="order-payment"),
    path("events/", views.EventsView.as_view(), name="events"),
]
