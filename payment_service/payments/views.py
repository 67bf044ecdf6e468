from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from common.idempotency.header import HEADER as IDEMPOTENCY_HEADER
from common.idempotency.keys import idempotent
from common.outbox.consumer import EventReceiverView
from common.permissions import IsStaff, listed_owner, visible_or_404
from common.serializers import represent, validated
from payments import selectors, services
from payments.serializers import (
    PaymentCreateSerializer,
    PaymentListQuerySerializer,
    PaymentSerializer,
)


def _idempotency_header(required: bool) -> OpenApiParameter:
    return OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=required)


class PaymentListCreateView(generics.ListAPIView):
    """6: pay for an order (POST {order_id, method, card}, Idempotency-Key header required);
    list payments: a customer their own, staff all, by ?order_id=, ?user_id=, ?status=."""

    serializer_class = PaymentSerializer

    def get_queryset(self):
        query = validated(PaymentListQuerySerializer, self.request.query_params)
        # A customer's ?order_id= of someone else's order lists nothing, as one that does not exist.
        query["user_id"] = listed_owner(self.request.user, query.get("user_id"), what="payments")
        return selectors.payment_list(**query)

    @extend_schema(
        request=PaymentCreateSerializer, responses={201: PaymentSerializer}, parameters=[_idempotency_header(True)]
    )
    def post(self, request):
        return idempotent(request, lambda: self._pay(request), required=True)

    def _pay(self, request) -> Response:
        body = validated(PaymentCreateSerializer, request.data)
        created = services.payment_create(
            order_id=body["order_id"], method=body["method"], card=body["card"], user=request.user
        )
        payment = selectors.payment_get(payment_id=created.pk)
        return Response(represent(PaymentSerializer, payment), status=status.HTTP_201_CREATED)


class PaymentDetailView(APIView):
    """One payment with its transactions (owner or staff); someone else's is a 404."""

    @extend_schema(responses=PaymentSerializer)
    def get(self, request, payment_id):
        payment = visible_or_404(
            selectors.payment_get(payment_id=payment_id),
            user=request.user,
            not_found=NotFound(f"There is no payment {payment_id}."),
        )
        return Response(represent(PaymentSerializer, payment))


class PaymentRefundView(APIView):
    """Refund a succeeded payment (staff); optional Idempotency-Key header."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses=PaymentSerializer, parameters=[_idempotency_header(False)])
    def post(self, request, payment_id):
        return idempotent(request, lambda: self._refund(request, payment_id), required=False)

    def _refund(self, request, payment_id: int) -> Response:
        payment = services.payment_refund(payment_id=payment_id, user=request.user)
        return Response(represent(PaymentSerializer, selectors.payment_get(payment_id=payment.pk)))


def _order_status_changed(payload: dict) -> None:
    services.payment_order_changed(order_id=payload["order_id"], to_status=payload["to_status"])


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): a cancelled order's payment is refunded or
    cancelled, a delivered cash order's payment collected; each event id once."""

    handlers = {"order.status_changed": _order_status_changed}
