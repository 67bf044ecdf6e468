from django.contrib.auth.validators import ASCIIUsernameValidator
from rest_framework import serializers

from accounts.models import Account
from common.batch import IdListField
from common.serializers import ModelSerializer, Serializer


def _password() -> serializers.CharField:
    # Not trimmed: spaces are part of a password. Capped so hashing stays cheap.
    return serializers.CharField(max_length=256, write_only=True, trim_whitespace=False)


class AccountCreateSerializer(Serializer):
    username = serializers.CharField(max_length=150, validators=[ASCIIUsernameValidator()])
    email = serializers.EmailField(max_length=254)
    password = _password()


class AccountSerializer(ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "username", "email", "email_verified", "is_staff", "date_joined"]
        read_only_fields = fields


class AccountBatchQuerySerializer(Serializer):
    ids = IdListField()


class AccountBatchSerializer(Serializer):
    """Many accounts by id (staff and services: the admins show usernames), and the ids
    of none."""

    count = serializers.IntegerField()
    results = AccountSerializer(many=True)
    missing_ids = serializers.ListField(child=serializers.IntegerField())


class LoginSerializer(Serializer):
    username = serializers.CharField(max_length=150)
    password = _password()


class PasswordChangeSerializer(Serializer):
    current_password = _password()
    new_password = _password()


class PasswordResetRequestSerializer(Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(Serializer):
    # What the reset link carries (accounts.links), posted back by the front end.
    uid = serializers.CharField(max_length=32)
    token = serializers.CharField(max_length=100)
    new_password = _password()


class EmailVerifySerializer(Serializer):
    token = serializers.CharField(max_length=1000)  # the verification link's


class EmailVerifiedSerializer(Serializer):
    email_verified = serializers.BooleanField()


class LinkSentSerializer(Serializer):
    sent = serializers.BooleanField(help_text="False when one went less than ACCOUNT_EMAIL_INTERVAL_SECONDS ago.")


class DetailSerializer(Serializer):
    detail = serializers.CharField()


class TokenPairSerializer(Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshSerializer(Serializer):
    refresh = serializers.CharField(max_length=4096)


class AccessSerializer(Serializer):
    access = serializers.CharField()
