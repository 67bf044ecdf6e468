from django.urls import path, register_converter

from common.converters import IdConverter
from payments import views

register_converter(IdConverter, "id")

urlpatterns = [
    path("payments/", views.PaymentListCreateView.as_view(), name="payment-list"),
    path("payments/<id:payment_id>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<id:payment_id>/refund/", views.PaymentRefundView.as_view(), name="payment-refund"),
]
