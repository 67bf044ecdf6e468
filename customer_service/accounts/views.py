from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.errors import AccountErrorCode
from accounts.models import Account
from accounts.serializers import (
    AccessSerializer,
    AccountBatchQuerySerializer,
    AccountBatchSerializer,
    AccountCreateSerializer,
    AccountSerializer,
    DetailSerializer,
    EmailVerifiedSerializer,
    EmailVerifySerializer,
    LinkSentSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RefreshSerializer,
    TokenPairSerializer,
)
from accounts.throttling import client_address
from common.auth import Caller
from common.batch import batch_answer
from common.permissions import IsStaffOrService
from common.serializers import validated, validated_query


class PublicView(APIView):
    """Open to anyone, and reads no token: a stale token in the browser does not stop
    a sign-up, a login or a refresh."""

    permission_classes = [AllowAny]
    authentication_classes = []


class AccountsView(APIView):
    """4.1 create an account (public sign-up); read accounts by id (staff and services:
    ?ids=1,2,3, at most 100, one query; the admins show usernames with it)."""

    def initialize_request(self, request, *args, **kwargs):
        self.signing_up = request.method == "POST"  # DRF asks for the authenticators in here
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self):
        # A sign-up reads no token, as PublicView: a stale one in the browser does not stop it.
        return [] if self.signing_up else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.signing_up else [IsStaffOrService()]

    @extend_schema(
        operation_id="accounts_batch", parameters=[AccountBatchQuerySerializer], responses=AccountBatchSerializer
    )
    def get(self, request):
        ids = validated_query(AccountBatchQuerySerializer, request)["ids"]
        accounts = AccountSerializer(Account.objects.filter(pk__in=ids), many=True).data
        return Response(batch_answer(accounts, asked=ids))

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


class LogoutView(PublicView):
    """Revoke a refresh token (the access tokens it gave live out their few minutes)."""

    @extend_schema(
        request=RefreshSerializer,
        responses={204: None, 401: OpenApiResponse(description="token_not_valid: expired, forged or revoked already.")},
    )
    def post(self, request):
        services.account_logout(**validated(RefreshSerializer, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """A logged-in person's new password, the current one required; every refresh token
    of the account is revoked and a new pair is the answer."""

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: TokenPairSerializer,
            400: OpenApiResponse(description=f"{AccountErrorCode.WRONG_PASSWORD}, or a new password too weak."),
            429: OpenApiResponse(description=f"{AccountErrorCode.LOGIN_THROTTLED}: too many wrong passwords."),
        },
    )
    def post(self, request):
        passwords = validated(PasswordChangeSerializer, request.data)
        caller = Caller.of(request.user)
        return Response(services.account_password_change(caller=caller, **passwords, address=client_address(request)))


RESET_ASKED = "If an account has this email, a link to reset its password is on its way."


class PasswordResetView(PublicView):
    """Ask for a password reset link by email: the same 202 whether or not the email
    has an account."""

    @extend_schema(request=PasswordResetRequestSerializer, responses={202: DetailSerializer})
    def post(self, request):
        services.password_reset_request(**validated(PasswordResetRequestSerializer, request.data))
        return Response({"detail": RESET_ASKED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    """Set a new password with a reset link's uid and token (once); every refresh token
    of the account is revoked and a new pair is the answer."""

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={
            200: TokenPairSerializer,
            400: OpenApiResponse(description=f"{AccountErrorCode.LINK_NOT_VALID}, or a new password too weak."),
        },
    )
    def post(self, request):
        return Response(services.password_reset_confirm(**validated(PasswordResetConfirmSerializer, request.data)))


class EmailVerifyView(PublicView):
    """Verify an account's email with its verification link's token. Access tokens say
    so (`email_verified`) from the next refresh or login."""

    @extend_schema(
        request=EmailVerifySerializer,
        responses={200: EmailVerifiedSerializer, 400: OpenApiResponse(description=AccountErrorCode.LINK_NOT_VALID)},
    )
    def post(self, request):
        account = services.email_verify(**validated(EmailVerifySerializer, request.data))
        return Response({"email_verified": account.email_verified})


class EmailVerificationResendView(APIView):
    """A logged-in person asks for a new verification link."""

    @extend_schema(
        request=None,
        responses={202: LinkSentSerializer, 409: OpenApiResponse(description=AccountErrorCode.EMAIL_VERIFIED)},
    )
    def post(self, request):
        sent = services.email_verification_resend(caller=Caller.of(request.user))
        return Response({"sent": sent}, status=status.HTTP_202_ACCEPTED)
