from rest_framework import serializers

from carts.models import MAX_LINE_QUANTITY, Cart, CartItem
from common.converters import MAX_ID
from common.serializers import ModelSerializer, Serializer


def _money() -> serializers.DecimalField:
    # max_digits=None: a line total (price x 999) or cart total can be longer than a price.
    return serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True, read_only=True)


class CartCreateSerializer(Serializer):
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class CartSerializer(ModelSerializer):
    class Meta:
        model = Cart
        fields = ["id", "user_id", "created_at", "updated_at"]


class CartItemAddSerializer(Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartItemRemoveQuerySerializer(Serializer):
    # No upper bound: taking off as many or more than the line has removes the line.
    quantity = serializers.IntegerField(min_value=1, required=False)


class CartItemSerializer(ModelSerializer):
    class Meta:
        model = CartItem
        fields = ["product_id", "quantity", "created_at", "updated_at"]


class CartLineSerializer(Serializer):
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    title = serializers.CharField(allow_null=True)
    unit_price = _money()
    line_total = _money()
    available = serializers.BooleanField(
        allow_null=True, help_text="false: the book no longer exists; null: book details are unavailable"
    )


class CartDetailSerializer(Serializer):
    user_id = serializers.IntegerField()
    items = CartLineSerializer(many=True, source="lines")
    total_quantity = serializers.IntegerField()
    total_price = _money()
    details_available = serializers.BooleanField(
        help_text="false when book_service could not be asked: lines have no title or price, total_price is null"
    )
    updated_at = serializers.DateTimeField(source="cart.updated_at")
