from django.urls import path

from payments import views

urlpatterns = [
    path("payments/", views.PaymentListCreateView.as_view(), name="payment-list"),
    path("payments/<id:payment_id>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<id:payment_id>/refund/", views.PaymentRefundView.as_view(), name="payment-refund"),
    path("events/", views.EventsView.as_view(), name="events"),
]
