from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.batch import batch_answer
from common.idempotency.header import REPLAYED_HEADER
from common.permissions import IsService, IsStaff, IsStaffOrReadOnly
from common.serializers import represent, validated, validated_query
from stock import selectors, services
from stock.errors import StockErrorCode
from stock.models import ProductType
from stock.serializers import (
    CapacityCheckSerializer,
    CapacityQuerySerializer,
    InStockIdsSerializer,
    ProductTypeQuerySerializer,
    ReservationCreateSerializer,
    ReservationReferenceSerializer,
    ReservationSerializer,
    StockAddSerializer,
    StockBatchQuerySerializer,
    StockBatchSerializer,
    StockItemPathSerializer,
    StockItemSerializer,
    StockRemoveQuerySerializer,
    WarehouseSerializer,
)

PRODUCT_TYPE_PARAMETER = OpenApiParameter("product_type", str, enum=ProductType.values, default=ProductType.BOOK)
# The domain's error answers, for the schema (their body is the common error shape).
NO_WAREHOUSE = OpenApiResponse(description=f"{StockErrorCode.WAREHOUSE_NOT_FOUND}: there is no warehouse yet.")
INSUFFICIENT_STOCK = OpenApiResponse(description=f"{StockErrorCode.INSUFFICIENT_STOCK}: not that many units free.")
BOOK_SERVICE_DOWN = OpenApiResponse(description="book_service (does the book exist?) is down (503) or slow (504).")


def _with_path(request, **path) -> dict:
    return request.query_params.dict() | path


class WarehouseView(APIView):
    """8.1 create the default warehouse (POST, {} for the default capacities),
    8.2 change it (PATCH), 8.4 its info (GET). Staff only."""

    permission_classes = [IsStaff]
    serializer_class = WarehouseSerializer  # for the OpenAPI schema

    @extend_schema(responses={200: WarehouseSerializer, 404: NO_WAREHOUSE})
    def get(self, request):
        return Response(WarehouseSerializer(selectors.warehouse_get_default()).data)

    @extend_schema(
        request=WarehouseSerializer,
        responses={
            201: WarehouseSerializer,
            409: OpenApiResponse(description=f"{StockErrorCode.WAREHOUSE_EXISTS}: it is made already."),
        },
    )
    def post(self, request):
        warehouse = services.warehouse_create(**validated(WarehouseSerializer, request.data))
        return Response(WarehouseSerializer(warehouse).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WarehouseSerializer,
        responses={
            200: WarehouseSerializer,
            404: NO_WAREHOUSE,
            409: OpenApiResponse(description=f"{StockErrorCode.CAPACITY_BELOW_STOCK}: it holds more than that."),
        },
    )
    def patch(self, request):
        serializer = WarehouseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        warehouse = services.warehouse_update(**serializer.validated_data)
        return Response(WarehouseSerializer(warehouse).data)


class StockItemListView(APIView):
    """8.3 add stock (staff); the stock levels of many products in one call
    (?ids=1,2,3, public), with the ids the warehouse does not stock."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        operation_id="warehouse_items_batch",
        parameters=[StockBatchQuerySerializer],
        responses={200: StockBatchSerializer, 404: NO_WAREHOUSE},
    )
    def get(self, request):
        query = validated_query(StockBatchQuerySerializer, request)
        items = selectors.stock_items_by_ids(
            warehouse=selectors.warehouse_get_default(), product_type=query["product_type"], ids=query["ids"]
        )
        results = StockItemSerializer(items, many=True).data
        return Response(batch_answer(results, asked=query["ids"], id_field="product_id"))

    @extend_schema(
        request=StockAddSerializer,
        responses={
            201: StockItemSerializer,
            404: NO_WAREHOUSE,
            409: OpenApiResponse(
                description=f"{StockErrorCode.CAPACITY_EXCEEDED} or {StockErrorCode.WAREHOUSE_NOT_ACTIVE}."
            ),
            503: BOOK_SERVICE_DOWN,
            504: BOOK_SERVICE_DOWN,
        },
    )
    def post(self, request):
        item = services.stock_add(**validated(StockAddSerializer, request.data))
        return Response(StockItemSerializer(item).data, status=status.HTTP_201_CREATED)


class InStockIdsView(APIView):
    """The ids of every product of ?product_type= (book) that can be sold now, in one
    answer: book_service filters its catalog by them (?in_stock=). Public, as stock
    levels are; an id is 8 bytes of JSON, so 100,000 stocked books are about 800 kB."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(parameters=[ProductTypeQuerySerializer], responses={200: InStockIdsSerializer, 404: NO_WAREHOUSE})
    def get(self, request):
        product_type = validated_query(ProductTypeQuerySerializer, request)["product_type"]
        ids = selectors.in_stock_product_ids(warehouse=selectors.warehouse_get_default(), product_type=product_type)
        return Response(InStockIdsSerializer({"product_type": product_type, "product_ids": ids}).data)


class StockItemDetailView(APIView):
    """One product's stock level (public); 8.5 remove stock, ?quantity= (staff)."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(parameters=[PRODUCT_TYPE_PARAMETER], responses=StockItemSerializer)
    def get(self, request, product_id):
        query = validated(StockItemPathSerializer, _with_path(request, product_id=product_id))
        item = selectors.stock_item_get(warehouse=selectors.warehouse_get_default(), **query)
        return Response(StockItemSerializer(item).data)

    @extend_schema(
        parameters=[OpenApiParameter("quantity", int, required=True), PRODUCT_TYPE_PARAMETER],
        responses={200: StockItemSerializer, 409: INSUFFICIENT_STOCK},
    )
    def delete(self, request, product_id):
        query = validated(StockRemoveQuerySerializer, _with_path(request, product_id=product_id))
        item = services.stock_remove(**query)
        return Response(StockItemSerializer(item).data)


class CapacityView(APIView):
    """8.6 does ?quantity= more of ?product_id= fit? Free units of that product's type (staff)."""

    permission_classes = [IsStaff]

    @extend_schema(parameters=[CapacityQuerySerializer], responses={200: CapacityCheckSerializer, 404: NO_WAREHOUSE})
    def get(self, request):
        query = validated_query(CapacityQuerySerializer, request)
        usage = selectors.type_usage(warehouse=selectors.warehouse_get_default(), product_type=query["product_type"])
        check = {
            "product_id": query["product_id"],
            "product_type": query["product_type"],
            "requested": query["quantity"],
            "free": usage.free,
            "fits": query["quantity"] <= usage.free,
        }
        return Response(CapacityCheckSerializer(check).data)


class ReservationListView(APIView):
    """Reserve stock for a checkout: every line or none; idempotent per reference (services only)."""

    permission_classes = [IsService]

    @extend_schema(
        request=ReservationCreateSerializer,
        responses={
            201: ReservationSerializer,
            404: NO_WAREHOUSE,
            409: OpenApiResponse(
                description=f"{StockErrorCode.INSUFFICIENT_STOCK}, {StockErrorCode.RESERVATION_REFERENCE_REUSED} "
                f"or {StockErrorCode.RESERVATION_RELEASED}."
            ),
        },
    )
    def post(self, request):
        reservation, created = services.reservation_create(**validated(ReservationCreateSerializer, request.data))
        response = Response(represent(ReservationSerializer, reservation), status=status.HTTP_201_CREATED)
        if not created:
            response[REPLAYED_HEADER] = "true"
        return response


class ReservationDetailView(APIView):
    """Release a reservation: its units go back on sale; safe to repeat (services only)."""

    permission_classes = [IsService]

    @extend_schema(responses={200: ReservationSerializer})  # the released reservation, not a 204
    def delete(self, request, reference):
        reference = validated(ReservationReferenceSerializer, {"reference": reference})["reference"]
        return Response(represent(ReservationSerializer, services.reservation_release(reference=reference)))


class ReservationConfirmView(APIView):
    """The holder's order was saved: the hold stops expiring; safe to repeat (services only)."""

    permission_classes = [IsService]

    @extend_schema(
        request=None,
        responses={
            200: ReservationSerializer,
            404: OpenApiResponse(description=f"{StockErrorCode.RESERVATION_NOT_FOUND}."),
            409: OpenApiResponse(
                description=f"{StockErrorCode.RESERVATION_RELEASED}, or {StockErrorCode.RESERVATION_EXPIRED} "
                "when it expired and its units are gone."
            ),
        },
    )
    def post(self, request, reference):
        reference = validated(ReservationReferenceSerializer, {"reference": reference})["reference"]
        return Response(represent(ReservationSerializer, services.reservation_confirm(reference=reference)))
