from rest_framework import serializers

from common.batch import MAX_BATCH_IDS, IdListField
from common.serializers import ModelSerializer, Serializer
from stock import selectors
from stock.models import MAX_PRODUCT_ID, MAX_UNITS, ProductType, Reservation, StockItem, Warehouse
from stock.services import ReservationItem

REFERENCE_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"  # it goes in a URL path segment


def product_id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_PRODUCT_ID, **kwargs)


def quantity_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_UNITS, **kwargs)


def product_type_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=ProductType.choices, default=ProductType.BOOK)


class WarehouseSerializer(ModelSerializer):
    """8.1/8.2 input, and 8.4 info: capacity, used, reserved and free units and the
    number of products per product type."""

    book_quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, required=False)
    clothes_quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, required=False)
    electronic_quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, required=False)
    product_types = serializers.SerializerMethodField()

    class Meta:
        model = Warehouse
        fields = [
            "id",
            "name",
            "address",
            "status",
            "book_quantity",
            "clothes_quantity",
            "electronic_quantity",
            "product_types",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["name"]

    def get_product_types(self, warehouse: Warehouse) -> dict[str, dict[str, int]]:
        return {
            product_type: {
                "capacity": usage.capacity,
                "used": usage.used,
                "reserved": usage.reserved,
                "free": usage.free,
                "products": usage.products,
            }
            for product_type, usage in selectors.warehouse_usage(warehouse=warehouse).items()
        }


class StockItemSerializer(ModelSerializer):
    """A stock level: `available` can be sold now; `reserved` is held for checkouts."""

    in_stock = serializers.SerializerMethodField()

    class Meta:
        model = StockItem
        fields = ["product_id", "product_type", "available", "reserved", "in_stock", "updated_at"]

    def get_in_stock(self, item: StockItem) -> bool:
        return item.available > 0


class StockBatchSerializer(Serializer):
    """The stock levels of many products, and the ids the warehouse does not stock."""

    count = serializers.IntegerField()
    results = StockItemSerializer(many=True)
    missing_ids = serializers.ListField(child=serializers.IntegerField())


class ProductTypeQuerySerializer(Serializer):
    product_type = product_type_field()


class InStockIdsSerializer(Serializer):
    """Every product of a type with units that can be sold now (available > 0)."""

    product_type = serializers.CharField()
    product_ids = serializers.ListField(child=serializers.IntegerField())


class CapacityCheckSerializer(Serializer):
    product_id = serializers.IntegerField()
    product_type = serializers.CharField()
    requested = serializers.IntegerField()
    free = serializers.IntegerField()
    fits = serializers.BooleanField()


class StockAddSerializer(Serializer):
    product_id = product_id_field()
    quantity = quantity_field()
    product_type = product_type_field()


class StockItemPathSerializer(Serializer):
    """The product id from the path (checked here: the path converter takes any digits)
    and ?product_type=."""

    product_id = product_id_field()
    product_type = product_type_field()


class StockRemoveQuerySerializer(StockItemPathSerializer):
    quantity = quantity_field()
    product_type = product_type_field()


class CapacityQuerySerializer(Serializer):
    product_id = product_id_field()
    quantity = quantity_field()
    product_type = product_type_field()


class StockBatchQuerySerializer(Serializer):
    ids = IdListField()
    product_type = product_type_field()


class ReservationItemSerializer(Serializer):
    product_id = product_id_field()
    quantity = quantity_field()
    product_type = product_type_field()


class ReservationCreateSerializer(Serializer):
    reference = serializers.RegexField(
        REFERENCE_PATTERN, error_messages={"invalid": "1 to 100 letters, digits or _ . : -"}
    )
    items = serializers.ListField(child=ReservationItemSerializer(), min_length=1, max_length=MAX_BATCH_IDS)

    def validate_items(self, items: list[dict]) -> list[ReservationItem]:
        keys = [(item["product_type"], item["product_id"]) for item in items]
        if repeated := sorted({f"{t} {i}" for t, i in keys if keys.count((t, i)) > 1}):
            raise serializers.ValidationError(f"Each product once per reservation: {', '.join(repeated)} repeated.")
        return [ReservationItem(**item) for item in items]


class ReservationReferenceSerializer(Serializer):
    reference = serializers.RegexField(REFERENCE_PATTERN)


class ReservationSerializer(ModelSerializer):
    items = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = ["reference", "status", "items", "created_at", "expires_at", "confirmed_at", "released_at"]

    def get_items(self, reservation: Reservation) -> list[dict]:
        return [
            {
                "product_id": line.stock_item.product_id,
                "product_type": line.stock_item.product_type,
                "quantity": line.quantity,
            }
            for line in reservation.lines.all()
        ]
