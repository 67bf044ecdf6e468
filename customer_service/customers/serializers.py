from rest_framework import serializers

from common.converters import MAX_ID
from common.serializers import ModelSerializer, Serializer
from customers.models import Address, Customer, FullName


def id_field(**kwargs) -> serializers.IntegerField:
    # More than a bigint holds is a 400, not a database error.
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class FullNameSerializer(ModelSerializer):
    account_id = id_field(required=False, help_text="Staff only: the account this is for (default: your own).")

    class Meta:
        model = FullName
        fields = ["id", "account_id", "first_name", "last_name", "created_at"]


class AddressSerializer(ModelSerializer):
    account_id = id_field(required=False, help_text="Staff only: the account this is for (default: your own).")

    class Meta:
        model = Address
        fields = ["id", "account_id", "address", "city", "country", "created_at"]


class CustomerCreateSerializer(Serializer):
    account_id = id_field()
    fullname_id = id_field()
    address_id = id_field()


class CustomerSerializer(ModelSerializer):
    username = serializers.CharField(source="account.username", read_only=True)
    email = serializers.EmailField(source="account.email", read_only=True)
    fullname = FullNameSerializer(read_only=True)
    address = AddressSerializer(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "account_id", "username", "email", "fullname", "address", "created_at"]


class CustomerListQuerySerializer(Serializer):
    search = serializers.CharField(required=False, max_length=200)
    account_id = id_field(required=False)
