from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.errors import AccountErrorCode
from accounts.serializers import (
    AccessSerializer,
    AccountCreateSerializer,
    AccountSerializer,
    LoginSerializer,
    RefreshSerializer,
    TokenPairSerializer,
)
from accounts.throttling import client_address
from common.auth import Caller
from common.serializers import validated


class PublicView(APIView):
    """Open to anyone, and reads no token: a stale token in the browser does not stop
    a sign-up, a login or a refresh."""

    permission_classes = [AllowAny]
    authentication_classes = []


class AccountCreateView(PublicView):
    """4.1 create an account (public sign-up)."""

    @extend_schema(
        request=AccountCreateSerializer,
        responses={
            201: AccountSerializer,
            409: OpenApiResponse(
                description=f"{AccountErrorCode.USERNAME_TAKEN} or {AccountErrorCode.EMAIL_TAKEN}, naming the field."
            ),
        },
    )
    def post(self, request):
        account = services.account_create(**validated(AccountCreateSerializer, request.data))
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)


class AccountDetailView(APIView):
    """Read (owner, staff or a service) and 4.2 delete (owner or staff) an account."""

    @extend_schema(responses=AccountSerializer)
    def get(self, request, account_id):
        return Response(AccountSerializer(selectors.account_visible(Caller.of(request.user), account_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, account_id):
        services.account_delete(account_id=account_id, caller=Caller.of(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoginView(PublicView):
    """Access token (short-lived) and refresh token for a username and password."""

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            429: OpenApiResponse(
                description=f"{AccountErrorCode.LOGIN_THROTTLED}: too many failed logins; see Retry-After."
            ),
        },
    )
    def post(self, request):
        credentials = validated(LoginSerializer, request.data)
        return Response(services.account_login(**credentials, address=client_address(request)))


class RefreshView(PublicView):
    """A new access token for a refresh token, while the account exists."""

    @extend_schema(request=RefreshSerializer, responses={200: AccessSerializer})
    def post(self, request):
        return Response(services.tokens_refresh(**validated(RefreshSerializer, request.data)))
