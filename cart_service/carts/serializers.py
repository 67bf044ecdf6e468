from decimal import Decimal
from typing import Any

from rest_framework import serializers

from carts.models import MAX_LINE_QUANTITY, Cart, CartItem
from carts.selectors import CartDetail
from common.converters import MAX_ID
from common.serializers import ModelSerializer, Serializer


def _money() -> serializers.DecimalField:
    # max_digits=None: a line total (price x 999) or cart total can be longer than a price.
    return serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True, read_only=True)


_MONEY = _money()
_DATETIME = serializers.DateTimeField()


def _money_string(amount: Decimal | None) -> str | None:
    return None if amount is None else _MONEY.to_representation(amount)


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

    def to_representation(self, item: CartItem) -> dict[str, Any]:
        # Every add answers with its line: built in one step rather than through DRF's
        # per-field machinery, each value as its DRF field writes it (a test holds the
        # result equal to DRF's own).
        return {
            "product_id": item.product_id,
            "quantity": item.quantity,
            "created_at": _DATETIME.to_representation(item.created_at),
            "updated_at": _DATETIME.to_representation(item.updated_at),
        }


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
    updated_at = serializers.DateTimeField()

    def to_representation(self, detail: CartDetail) -> dict[str, Any]:
        # Every cart view and checkout's cart read: built in one step, as
        # CartItemSerializer's. None stays None, as DRF leaves it; the ints, strings and
        # booleans are what their DRF fields would write.
        return {
            "user_id": detail.user_id,
            "items": [
                {
                    "product_id": line.product_id,
                    "quantity": line.quantity,
                    "title": line.title,
                    "unit_price": _money_string(line.unit_price),
                    "line_total": _money_string(line.line_total),
                    "available": line.available,
                }
                for line in detail.lines
            ],
            "total_quantity": detail.total_quantity,
            "total_price": _money_string(detail.total_price),
            "details_available": detail.details_available,
            "updated_at": _DATETIME.to_representation(detail.updated_at),
        }
