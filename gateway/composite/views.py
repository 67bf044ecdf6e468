from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from composite import services


def _caller(request) -> tuple[int, str]:
    """The customer calling (user id and the raw token to pass on)."""
    if request.user.is_service or request.user.id is None:
        raise PermissionDenied("This call is for a logged-in user, not a service.")
    return int(request.user.id), str(request.auth)


class MeView(APIView):
    """Everything about the logged-in user in one answer, read from three services in parallel."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "account": serializers.DictField(),
                "customer": serializers.DictField(allow_null=True),
                "cart": serializers.DictField(allow_null=True),
                "latest_orders": serializers.DictField(allow_null=True),
                "unavailable": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        user_id, token = _caller(request)
        return Response(services.me_get(user_id=user_id, token=token))
