from django.utils import timezone
from rest_framework import serializers

from common.converters import MAX_ID
from payments.cards import Card, luhn_valid
from payments.models import Payment, PaymentMethod, PaymentStatus, PaymentTransaction


class CardSerializer(serializers.Serializer):
    """Card details as sent. Error messages never repeat the number or the cvc."""

    number = serializers.CharField(max_length=30, trim_whitespace=True)
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2200)
    cvc = serializers.RegexField(r"^[0-9]{3,4}$", error_messages={"invalid": "3 or 4 digits."})

    def validate_number(self, raw: str) -> str:
        number = raw.replace(" ", "").replace("-", "")
        if not number.isascii() or not number.isdigit() or not 12 <= len(number) <= 19:
            raise serializers.ValidationError("A card number is 12 to 19 digits.")
        if not luhn_valid(number):
            raise serializers.ValidationError("This card number is not valid (check digit).")
        return number

    def validate(self, attrs: dict) -> Card:
        today = timezone.now().date()
        if attrs["exp_year"] < today.year:
            raise serializers.ValidationError({"exp_year": ["The card has expired."]})
        if (attrs["exp_year"], attrs["exp_month"]) < (today.year, today.month):
            raise serializers.ValidationError({"exp_month": ["The card has expired."]})
        return Card(**attrs)


class PaymentCreateSerializer(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    card = CardSerializer(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["method"] == PaymentMethod.CARD and "card" not in attrs:
            raise serializers.ValidationError({"card": ["Card details are needed to pay by card."]})
        if attrs["method"] == PaymentMethod.COD and "card" in attrs:
            raise serializers.ValidationError({"card": ["Leave card details out to pay cash on delivery."]})
        attrs.setdefault("card", None)
        return attrs


class PaymentTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentTransaction
        fields = ["kind", "status", "amount", "provider_reference", "failure_code", "failure_message", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    transactions = PaymentTransactionSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "user_id",
            "amount",
            "method",
            "status",
            "failure_code",
            "failure_message",
            "card_brand",
            "card_last4",
            "provider",
            "transactions",
            "created_at",
            "updated_at",
            "refunded_at",
        ]


class PaymentListQuerySerializer(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
