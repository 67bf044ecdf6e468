from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from carts import selectors, services
from carts.errors import CartErrorCode
from carts.serializers import (
    CartCreateSerializer,
    CartDetailSerializer,
    CartItemAddSerializer,
    CartItemRemoveQuerySerializer,
    CartItemSerializer,
    CartSerializer,
)
from common.auth import Caller
from common.outbox.consumer import EventReceiverView
from common.permissions import IsOwnUserIdOrStaff
from common.revocation import services as revocation
from common.serializers import represent, validated, validated_query


class CartCreateView(APIView):
    """5.1 create the cart of a user (a customer their own; staff and services any user's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cart_create", request=CartCreateSerializer, responses={200: CartSerializer, 201: CartSerializer}
    )
    def post(self, request):
        user_id = validated(CartCreateSerializer, request.data)["user_id"]
        cart, created = services.cart_create(user_id=user_id, caller=Caller.of(request.user))
        return Response(CartSerializer(cart).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CartDetailView(APIView):
    """5.4 view a cart: lines with title, unit price and line total (one batched call to
    book_service), total quantity and price."""

    permission_classes = [IsOwnUserIdOrStaff]

    @extend_schema(operation_id="cart_detail", responses=CartDetailSerializer)
    def get(self, request, user_id):
        return Response(represent(CartDetailSerializer, selectors.cart_detail(user_id=user_id)))


class CartItemListView(APIView):
    """5.2 add an item (POST); 5.5 clear the cart (DELETE)."""

    permission_classes = [IsOwnUserIdOrStaff]

    @extend_schema(
        operation_id="cart_item_add",
        request=CartItemAddSerializer,
        responses={
            200: CartItemSerializer,
            201: CartItemSerializer,
            409: OpenApiResponse(
                description=f"{CartErrorCode.LINE_QUANTITY_LIMIT}, {CartErrorCode.CART_FULL} or "
                f"{CartErrorCode.CART_TOTAL_TOO_LARGE}: the cart cannot take it."
            ),
            503: OpenApiResponse(description="book_service, which says the book exists, is down."),
            504: OpenApiResponse(description="book_service, which says the book exists, is too slow."),
        },
    )
    def post(self, request, user_id):
        item, created = services.cart_item_add(user_id=user_id, **validated(CartItemAddSerializer, request.data))
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(represent(CartItemSerializer, item), status=answer)

    @extend_schema(operation_id="cart_clear", responses={204: None})
    def delete(self, request, user_id):
        services.cart_clear(user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemDetailView(APIView):
    """5.3 remove ?quantity= of a product, or its whole line without quantity."""

    permission_classes = [IsOwnUserIdOrStaff]

    @extend_schema(
        operation_id="cart_item_remove",
        parameters=[OpenApiParameter("quantity", int, required=False)],
        responses={200: CartItemSerializer, 204: None},
    )
    def delete(self, request, user_id, product_id):
        quantity = validated_query(CartItemRemoveQuerySerializer, request).get("quantity")
        item = services.cart_item_remove(user_id=user_id, product_id=product_id, quantity=quantity)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(represent(CartItemSerializer, item))


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): a deleted account's cart goes, and a deleted or
    deactivated account's tokens are refused from then on; each event id once."""

    handlers = revocation.event_handlers(erase=services.cart_of_erased_account_delete)
