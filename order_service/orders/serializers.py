from rest_framework import serializers

from common.serializers import ModelSerializer, Serializer
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange, PaymentMethod

MAX_ID = 2**63 - 1  # the largest id both databases store (a signed 64-bit integer)


class OrderLineSerializer(ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["product_id", "title", "unit_price", "quantity", "line_total"]


class OrderStatusChangeSerializer(ModelSerializer):
    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by", "changed_by_user_id", "reason"]


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    history = OrderStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "user_id",
            "status",
            "total",
            "payment_due_at",
            "payment_id",
            "cash_on_delivery",
            "lines",
            "history",
            "created_at",
            "updated_at",
        ]


class OrderForPaymentSerializer(ModelSerializer):
    """An order as payment_service reads and takes it (GET and POST /api/orders/{id}/payment/):
    whose it is, its status and total, and what a payment taking it changed. Without the
    lines and history, which a payment does not need and which cost two more reads."""

    class Meta:
        model = Order
        fields = ["id", "user_id", "status", "total", "payment_due_at", "payment_id", "cash_on_delivery"]


class CheckoutSerializer(Serializer):
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class StatusChangeSerializer(Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)


class OrderListQuerySerializer(Serializer):
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)


class PaymentAcceptSerializer(Serializer):
    """payment_service asking to take an order for one of its payments."""

    payment_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
