from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import Caller
from common.idempotency.header import HEADER as IDEMPOTENCY_HEADER
from common.idempotency.keys import idempotent
from common.outbox.consumer import EventReceiverView
from common.pagination import PageNumberPagination, paginated
from common.permissions import IsStaff
from common.revocation import services as revocation
from common.serializers import represent, validated, validated_query
from payments import selectors, services
from payments.serializers import (
    PaymentCreateSerializer,
    PaymentListQuerySerializer,
    PaymentSerializer,
)


def _idempotency_header(required: bool) -> OpenApiParameter:
    return OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=required)


class PaymentListCreateView(APIView):
    """6: pay for an order (POST {order_id, method, card}, Idempotency-Key header required);
    list payments: a customer their own, staff all, by ?order_id=, ?user_id=, ?status=."""

    pagination_class = PageNumberPagination

    @extend_schema(parameters=[PaymentListQuerySerializer], responses=PaymentSerializer(many=True))
    def get(self, request):
        query = validated_query(PaymentListQuerySerializer, request)
        payments = selectors.payments_listed_for(Caller.of(request.user), **query)
        return paginated(self, request, payments, PaymentSerializer)

    @extend_schema(
        request=PaymentCreateSerializer, responses={201: PaymentSerializer}, parameters=[_idempotency_header(True)]
    )
    def post(self, request):
        return idempotent(request, lambda: self._pay(request), required=True)

    def _pay(self, request) -> Response:
        body = validated(PaymentCreateSerializer, request.data)
        payment = services.payment_create(
            order_id=body["order_id"], method=body["method"], card=body["card"], caller=Caller.of(request.user)
        )
        # Answered from the payment as payment_create left it, with the transactions it recorded.
        return Response(represent(PaymentSerializer, payment), status=status.HTTP_201_CREATED)


class PaymentDetailView(APIView):
    """One payment with its transactions (owner or staff); someone else's is a 404."""

    @extend_schema(responses=PaymentSerializer)
    def get(self, request, payment_id):
        return Response(represent(PaymentSerializer, selectors.payment_visible(Caller.of(request.user), payment_id)))


class PaymentRefundView(APIView):
    """Refund a succeeded payment (staff); optional Idempotency-Key header."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses=PaymentSerializer, parameters=[_idempotency_header(False)])
    def post(self, request, payment_id):
        return idempotent(request, lambda: self._refund(request, payment_id), required=False)

    def _refund(self, request, payment_id: int) -> Response:
        payment = services.payment_refund(payment_id=payment_id, caller=Caller.of(request.user))
        return Response(represent(PaymentSerializer, selectors.payment_get(payment_id=payment.pk)))


def _order_status_changed(payload: dict) -> None:
    services.payment_order_changed(order_id=payload["order_id"], to_status=payload["to_status"])


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): a cancelled order's payment is refunded or
    cancelled, a delivered cash order's payment collected; each event id once."""

    handlers = {
        "order.status_changed": _order_status_changed,
        **revocation.event_handlers(erase=services.payments_of_erased_account_anonymise),
    }
