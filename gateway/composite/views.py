from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import Caller
from common.idempotency import header
from common.serializers import validated
from composite import services
from routing import rate_limits

# Shorter than the services' 255: ":order" and ":payment" are added for each of them.
# The key is passed on with ":order" and ":payment" appended, which must fit the rule.
MAX_KEY_LENGTH = header.MAX_KEY_LENGTH - len(":payment")


def _customer(request) -> tuple[int, str]:
    """The logged-in user calling (their id, and the raw token to pass on)."""
    caller = Caller.of(request.user)
    if caller.user_id is None:
        raise PermissionDenied("This call is for a logged-in user, not a service.")
    return caller.user_id, str(request.auth)


class MeView(APIView):
    """Everything about the logged-in user in one answer, read from three services in parallel."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "account": serializers.DictField(),
                    "customer": serializers.DictField(allow_null=True),
                    "cart": serializers.DictField(allow_null=True),
                    "latest_orders": serializers.DictField(allow_null=True),
                    "unavailable": serializers.ListField(child=serializers.DictField()),
                },
            ),
            404: OpenApiResponse(description="account_gone: the token's account no longer exists."),
            503: OpenApiResponse(description="customer_service, which has the account, is down."),
            504: OpenApiResponse(description="customer_service, which has the account, is too slow."),
        }
    )
    def get(self, request):
        user_id, token = _customer(request)
        return Response(services.me_get(user_id=user_id, token=token))


class CheckoutRequestSerializer(serializers.Serializer):
    payment_method = serializers.ChoiceField(choices=["card", "cod"])
    # Checked by payment_service (number, expiry, cvc); only its presence is checked here.
    card = serializers.DictField(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["payment_method"] == "card" and "card" not in attrs:
            raise ValidationError({"card": ["Card details are needed to pay by card."]})
        if attrs["payment_method"] == "cod" and "card" in attrs:
            raise ValidationError({"card": ["Leave card details out to pay cash on delivery."]})
        return attrs


CHECKOUT_RESULT = inline_serializer(
    "CheckoutResult", {"order": serializers.DictField(), "payment": serializers.DictField()}
)


class CheckoutView(APIView):
    """Order the cart and pay for it in one call: 201 with the order and the payment;
    402 when the order was placed but the payment failed (declined); the payment
    service's own error (400, 409, 503, 504) when it was placed but not paid. In those
    last two cases the body has the order too, which stays pending and can be paid
    with POST /api/payments/."""

    @extend_schema(
        request=CheckoutRequestSerializer,
        parameters=[OpenApiParameter(header.HEADER, str, OpenApiParameter.HEADER, required=True)],
        responses={
            201: CHECKOUT_RESULT,
            200: OpenApiResponse(CHECKOUT_RESULT, description="A replay of the same Idempotency-Key."),
            # The error shape, with "order" and "payment" added once the order exists.
            402: OpenApiResponse(description="payment_failed: the order was placed, the payment declined."),
            409: OpenApiResponse(description="The order service's or the payment service's conflict."),
            422: OpenApiResponse(description="The Idempotency-Key was used for another request."),
            429: OpenApiResponse(description="throttled: too many writes; see Retry-After."),
            503: OpenApiResponse(description="The order service, or one it needs, or the payment service is down."),
            504: OpenApiResponse(description="The order service, or one it needs, or the payment service is too slow."),
        },
    )
    def post(self, request):
        user_id, token = _customer(request)
        if refusal := rate_limits.check(request, request.user):
            return rate_limits.refusal_response(refusal)
        key = request.headers.get(header.HEADER, "")
        if not header.key_valid(key, max_length=MAX_KEY_LENGTH):
            message = f"Send 1 to {MAX_KEY_LENGTH} visible ASCII characters, the same on a retry."
            raise ValidationError({header.HEADER: [message]})
        body = validated(CheckoutRequestSerializer, request.data)
        result = services.checkout(
            user_id=user_id, token=token, idempotency_key=key, method=body["payment_method"], card=body.get("card")
        )
        answer, status = result.answer()
        return Response(answer, status=status)
