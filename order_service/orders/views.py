from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import Caller
from common.idempotency.header import HEADER as IDEMPOTENCY_HEADER
from common.idempotency.header import REPLAYED_HEADER
from common.idempotency.keys import IdempotencyErrorCode, complete_in_transaction, idempotent
from common.outbox.consumer import EventReceiverView
from common.pagination import PageNumberPagination, paginated
from common.permissions import IsService
from common.revocation import services as revocation
from common.serializers import represent, validated, validated_query
from orders import selectors, services
from orders.errors import OrderErrorCode
from orders.models import Order
from orders.serializers import (
    CheckoutSerializer,
    OrderForPaymentSerializer,
    OrderListQuerySerializer,
    OrderSerializer,
    PaymentAcceptSerializer,
    StatusChangeSerializer,
)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="A retry with the same key and body gets the first answer again (the same order), "
    f"with {REPLAYED_HEADER}: true, instead of a second order.",
)


class OrderListCreateView(APIView):
    """3.1 check out a cart (POST {user_id}, optional Idempotency-Key header);
    list orders: a customer their own, staff all, filtered by ?user_id= and ?status=."""

    pagination_class = PageNumberPagination

    @extend_schema(parameters=[OrderListQuerySerializer], responses=OrderSerializer(many=True))
    def get(self, request):
        query = validated_query(OrderListQuerySerializer, request)
        return paginated(self, request, selectors.orders_listed_for(Caller.of(request.user), **query), OrderSerializer)

    @extend_schema(
        request=CheckoutSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: OrderSerializer,
            403: OpenApiResponse(
                description=f"{OrderErrorCode.EMAIL_NOT_VERIFIED} (CHECKOUT_REQUIRES_VERIFIED_EMAIL), or someone "
                "else's cart."
            ),
            409: OpenApiResponse(
                description=f"{OrderErrorCode.CART_EMPTY}, {OrderErrorCode.PRODUCT_UNAVAILABLE}, "
                f"{OrderErrorCode.INSUFFICIENT_STOCK}, {OrderErrorCode.CHECKOUT_IN_PROGRESS} "
                f"or {IdempotencyErrorCode.KEY_IN_USE}."
            ),
            422: OpenApiResponse(description=f"{IdempotencyErrorCode.KEY_REUSED}: with another request."),
            503: OpenApiResponse(description="cart, book or inventory service down, or the database."),
            504: OpenApiResponse(description="cart, book or inventory service too slow."),
        },
    )
    def post(self, request):
        return idempotent(request, lambda: self._checkout(request), required=False)

    def _checkout(self, request) -> Response:
        body = validated(CheckoutSerializer, request.data)
        answer: dict = {}

        def keep_answer(order: Order) -> None:  # in the order's transaction: a crash after it still replays
            # The order is final once saved: the answer kept is the one sent, made once.
            answer.update(represent(OrderSerializer, order))
            complete_in_transaction(response_status=status.HTTP_201_CREATED, response_body=answer)

        services.order_checkout(user_id=body["user_id"], caller=Caller.of(request.user), on_saved=keep_answer)
        return Response(answer, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    """One order with its lines and status history (owner or staff); 3.2 change its status (PATCH {status})."""

    @extend_schema(responses=OrderSerializer)
    def get(self, request, order_id):
        return Response(represent(OrderSerializer, selectors.order_visible(Caller.of(request.user), order_id)))

    @extend_schema(
        request=StatusChangeSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(description=f"{OrderErrorCode.ILLEGAL_STATUS_CHANGE}: not from its status."),
        },
    )
    def patch(self, request, order_id):
        body = validated(StatusChangeSerializer, request.data)
        services.order_status_change(order_id=order_id, to_status=body["status"], caller=Caller.of(request.user))
        return Response(represent(OrderSerializer, selectors.order_get(order_id=order_id)))


class OrderPaymentView(APIView):
    """The order as a payment needs it (services only): read it (GET) before paying; take
    it (POST): a card payment makes a pending order paid, cash on delivery confirms it;
    the same payment asking again gets the order as it is now; 409 order_not_payable when
    it is not pending or another payment took it."""

    permission_classes = [IsService]

    @extend_schema(responses=OrderForPaymentSerializer)
    def get(self, request, order_id):
        return Response(represent(OrderForPaymentSerializer, selectors.order_found(order_id)))

    @extend_schema(
        request=PaymentAcceptSerializer,
        responses={
            200: OrderForPaymentSerializer,
            409: OpenApiResponse(description=f"{OrderErrorCode.ORDER_NOT_PAYABLE}, with details.status."),
        },
    )
    def post(self, request, order_id):
        body = validated(PaymentAcceptSerializer, request.data)
        order = services.order_payment_accept(
            order_id=order_id, payment_id=body["payment_id"], method=body["method"], by_service=request.user.service
        )
        return Response(represent(OrderForPaymentSerializer, order))


def _payment_refunded(payload: dict) -> None:
    services.order_cancel_refunded(order_id=payload["order_id"], by_service="payment")


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): events this service consumes, each id once."""

    handlers = {
        "payment.refunded": _payment_refunded,
        **revocation.event_handlers(erase=services.orders_of_erased_account_close),
    }
