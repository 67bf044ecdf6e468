from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from common.outbox.consumer import EventReceiverView
from common.permissions import IsService, is_owner
from common.serializers import represent, validated
from orders import selectors, services
from orders.errors import OrderErrorCode
from orders.models import Order
from orders.serializers import (
    CheckoutSerializer,
    IdempotencyKeySerializer,
    OrderListQuerySerializer,
    OrderSerializer,
    PaymentAcceptSerializer,
    PaymentEventSerializer,
    StatusChangeSerializer,
)
from orders.services import Actor

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A retry with the same key and body gets the same order (200) instead of a second one.",
)


def _idempotency_key(request) -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    serializer = IdempotencyKeySerializer(data={"idempotency_key": raw})
    if not serializer.is_valid():  # name the header, not the serializer's field
        raise ValidationError({"Idempotency-Key": serializer.errors["idempotency_key"]})
    return serializer.validated_data["idempotency_key"]


class OrderListCreateView(generics.ListAPIView):
    """3.1 check out a cart (POST {user_id}, optional Idempotency-Key header);
    list orders: a customer their own, staff all, filtered by ?user_id= and ?status=."""

    serializer_class = OrderSerializer

    @extend_schema(parameters=[OrderListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = validated(OrderListQuerySerializer, self.request.query_params)
        actor = Actor.of(self.request.user)
        if not actor.is_privileged:
            if query.get("user_id", actor.user_id) != actor.user_id:
                raise PermissionDenied("You can only list your own orders.")
            query["user_id"] = actor.user_id
        return selectors.order_list(**query)

    @extend_schema(
        request=CheckoutSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: OrderSerializer,
            200: OrderSerializer,
            409: OpenApiResponse(
                description=f"{OrderErrorCode.CART_EMPTY}, {OrderErrorCode.PRODUCT_UNAVAILABLE}, "
                f"{OrderErrorCode.INSUFFICIENT_STOCK}, {OrderErrorCode.CHECKOUT_IN_PROGRESS} "
                f"or {OrderErrorCode.IDEMPOTENCY_KEY_IN_USE}."
            ),
            422: OpenApiResponse(description=f"{OrderErrorCode.IDEMPOTENCY_KEY_REUSED}: with another request."),
            503: OpenApiResponse(description="cart, book or inventory service down, or the database."),
            504: OpenApiResponse(description="cart, book or inventory service too slow."),
        },
    )
    def post(self, request):
        body = validated(CheckoutSerializer, request.data)
        result = services.order_checkout(
            user_id=body["user_id"],
            actor=Actor.of(request.user),
            idempotency_key=_idempotency_key(request),
            fingerprint=services.request_fingerprint(request.data),
        )
        if result.created:
            return Response(represent(OrderSerializer, result.order), status=status.HTTP_201_CREATED)
        return Response(represent(OrderSerializer, selectors.order_get(order_id=result.order.pk)))


class OrderDetailView(APIView):
    """One order with its lines and status history (owner or staff); 3.2 change its status (PATCH {status})."""

    def get_order(self, order_id: int) -> Order:
        order = selectors.order_get(order_id=order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        actor = Actor.of(self.request.user)
        if not (actor.is_privileged or is_owner(self.request.user, order.user_id)):
            raise PermissionDenied("This order belongs to another user.")
        return order

    @extend_schema(responses=OrderSerializer)
    def get(self, request, order_id):
        return Response(represent(OrderSerializer, self.get_order(order_id)))

    @extend_schema(
        request=StatusChangeSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(description=f"{OrderErrorCode.ILLEGAL_STATUS_CHANGE}: not from its status."),
        },
    )
    def patch(self, request, order_id):
        body = validated(StatusChangeSerializer, request.data)
        services.order_status_change(order_id=order_id, to_status=body["status"], actor=Actor.of(request.user))
        return Response(represent(OrderSerializer, selectors.order_get(order_id=order_id)))


class OrderPaymentView(APIView):
    """A payment takes the order (services only): a card payment makes a pending order
    paid, cash on delivery confirms it; the same payment asking again gets the order as
    it is now; 409 order_not_payable when it is not pending or another payment took it."""

    permission_classes = [IsService]

    @extend_schema(
        request=PaymentAcceptSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(description=f"{OrderErrorCode.ORDER_NOT_PAYABLE}, with details.status."),
        },
    )
    def post(self, request, order_id):
        body = validated(PaymentAcceptSerializer, request.data)
        services.order_payment_accept(
            order_id=order_id, payment_id=body["payment_id"], method=body["method"], by_service=request.user.service
        )
        return Response(represent(OrderSerializer, selectors.order_get(order_id=order_id)))


def _payment_refunded(payload: dict) -> None:
    body = validated(PaymentEventSerializer, payload)
    services.order_cancel_refunded(order_id=body["order_id"], by_service="payment")


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): events this service consumes, each id once."""

    handlers = {"payment.refunded": _payment_refunded}
