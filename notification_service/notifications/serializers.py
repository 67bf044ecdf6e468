from rest_framework import serializers

from common.converters import MAX_ID
from notifications.models import Notification


def _id() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2)


# The payloads of the events this service hears, as their publishers write them
# (order_service/orders/services.py, payment_service/payments/services.py,
# customer_service/accounts and customers). Extra fields are ignored.


class EventPayloadSerializer(serializers.Serializer):
    user_id = _id()


class OrderLinePayloadSerializer(serializers.Serializer):
    product_id = _id()
    title = serializers.CharField(max_length=500, allow_null=True, allow_blank=True, required=False, default=None)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    line_total = _money()


class OrderCreatedPayloadSerializer(EventPayloadSerializer):
    order_id = _id()
    total = _money()
    lines = OrderLinePayloadSerializer(many=True, max_length=1000)


class OrderStatusChangedPayloadSerializer(EventPayloadSerializer):
    order_id = _id()
    from_status = serializers.CharField(max_length=30)
    to_status = serializers.CharField(max_length=30)


class PaymentPayloadSerializer(EventPayloadSerializer):
    order_id = _id()
    payment_id = _id()
    amount = _money()
    method = serializers.CharField(max_length=30)


class PaymentFailedPayloadSerializer(PaymentPayloadSerializer):
    failure_message = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class AccountCreatedPayloadSerializer(EventPayloadSerializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)


class CustomerCreatedPayloadSerializer(EventPayloadSerializer):
    customer_id = _id()
    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)


PAYLOAD_SERIALIZERS: dict[str, type[EventPayloadSerializer]] = {
    "order.created": OrderCreatedPayloadSerializer,
    "order.status_changed": OrderStatusChangedPayloadSerializer,
    "payment.succeeded": PaymentPayloadSerializer,
    "payment.failed": PaymentFailedPayloadSerializer,
    "payment.refunded": PaymentPayloadSerializer,
    "account.created": AccountCreatedPayloadSerializer,
    "customer.created": CustomerCreatedPayloadSerializer,
}


class NotificationListQuerySerializer(serializers.Serializer):
    user_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Whose notifications (default: the caller's)."
    )
    unread = serializers.BooleanField(required=False, help_text="Only unread ones (false: only read ones).")


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "user_id",
            "event_type",
            "language",
            "subject",
            "body",
            "read",
            "read_at",
            "email_state",
            "created_at",
        ]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None
