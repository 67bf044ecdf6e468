from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.errors import AccountErrorCode
from accounts.models import Account
from accounts.serializers import (
    AccessSerializer,
    AccountCreateSerializer,
    AccountSerializer,
    LoginSerializer,
    RefreshSerializer,
    TokenPairSerializer,
)
from accounts.throttling import client_address
from common.permissions import IsOwnerOrStaff


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AccountCreateView(APIView):
    """4.1 create an account (public sign-up)."""

    permission_classes = [AllowAny]
    authentication_classes = []  # a stale token in the browser does not stop a sign-up

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
        account = services.account_create(**_valid(AccountCreateSerializer, request))
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)


class AccountDetailView(generics.RetrieveAPIView):
    """Read (owner, staff or a service) and 4.2 delete (owner or staff) an account."""

    permission_classes = [IsOwnerOrStaff]
    owner_field = "id"
    serializer_class = AccountSerializer
    queryset = Account.objects.all()
    lookup_url_kwarg = "account_id"

    def get_object(self):
        # Someone else's id is the 404 of one that does not exist, so ids cannot be probed.
        account_id = self.kwargs["account_id"]
        self.check_object_permissions(self.request, Account(id=account_id))
        return generics.get_object_or_404(self.get_queryset(), pk=account_id)

    def delete(self, request, account_id):
        if request.user.is_service:  # services read accounts (an email to write to); only people delete them
            raise PermissionDenied("Only the account's owner or staff may delete it.")
        services.account_delete(account=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoginView(APIView):
    """Access token (short-lived) and refresh token for a username and password."""

    permission_classes = [AllowAny]
    authentication_classes = []

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
        credentials = _valid(LoginSerializer, request)
        return Response(services.account_login(**credentials, address=client_address(request)))


class RefreshView(APIView):
    """A new access token for a refresh token, while the account exists."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RefreshSerializer, responses={200: AccessSerializer})
    def post(self, request):
        return Response(services.tokens_refresh(**_valid(RefreshSerializer, request)))
