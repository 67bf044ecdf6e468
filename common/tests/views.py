"""Test-only DRF views that exercise the plumbing: errors, auth, permissions, request ids, service calls."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApiError, Conflict
from common.http import client_for
from common.permissions import IsOwnUserIdOrStaff
from common.request_id import current_request_id

logger = logging.getLogger(__name__)


class WhoAmIView(APIView):
    """The caller as the default authentication sees it."""

    def get(self, request):
        user = request.user
        return Response(
            {
                "class": type(user).__name__,
                "id": user.id,
                "username": user.username,
                "is_staff": user.is_staff,
                "is_service": user.is_service,
                "service": user.service,
            }
        )


class ItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1)


class ItemCreateView(APIView):
    """POST only: validates the body."""

    def post(self, request):
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class ConflictView(APIView):
    def post(self, request):
        raise Conflict("The book is already in the cart.", code="already_in_cart", details={"book_id": 7})


class ApiErrorView(APIView):
    def post(self, request):
        raise ApiError("Coupons cannot be combined.", code="coupon_not_combinable")


class NotFoundView(APIView):
    def get(self, request):
        raise Http404("No such book.")


class DjangoPermissionDeniedView(APIView):
    def get(self, request):
        raise DjangoPermissionDenied


class BoomView(APIView):
    def get(self, request):
        raise RuntimeError("a bug")


class RequestIdView(APIView):
    """Returns the request id the code inside the request sees, and logs a line."""

    permission_classes = [AllowAny]

    def get(self, request):
        logger.warning("inside the request")
        return Response({"request_id": current_request_id.get()})


class ClientView(APIView):
    """The client as the request sees it (common.forwarded), and what it sent (common.limits)."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"address": request.META["REMOTE_ADDR"], "url": request.build_absolute_uri()})

    def post(self, request):
        return Response({"data": request.data})


class UserCartView(APIView):
    """A route such as /api/carts/{user_id}/."""

    permission_classes = [IsOwnUserIdOrStaff]

    def get(self, request, user_id):
        return Response({"user_id": user_id})


class GuardedView(APIView):
    """A route behind the permission classes urls.py gives it (as_view(permission_classes=...))."""

    def get(self, request):
        return Response({"ok": True})


class PeerStockView(APIView):
    """Calls the inventory service through the common client; its failures are not caught here."""

    def get(self, request, book_id):
        response = client_for("inventory").get(f"/api/stock/{book_id}/")
        return Response(response.json(), status=response.status_code)
