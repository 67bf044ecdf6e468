"""common.serializers: a JSON body's strings must be strings, as the schema says."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from common.serializers import NOT_A_STRING, QuerySerializer, Serializer


class PriceSerializer(Serializer):
    title = serializers.CharField()
    email = serializers.EmailField(required=False)
    price = serializers.DecimalField(max_digits=6, decimal_places=2)
    note = serializers.CharField(required=False, allow_null=True)
    quantity = serializers.IntegerField(required=False)
    shown = serializers.CharField(read_only=True)
    ref = serializers.UUIDField(required=False)


def test_strings_pass():
    serializer = PriceSerializer(data={"title": "Dune", "email": "a@b.co", "price": "9.5", "note": None, "quantity": 2})

    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize("value", [12, 1.5, True, [], {}])
def test_another_json_type_where_a_string_belongs_is_refused_naming_the_fields(value):
    serializer = PriceSerializer(data={"title": value, "email": value, "price": value, "ref": value})

    assert not serializer.is_valid()
    assert serializer.errors["title"] == [NOT_A_STRING]
    assert serializer.errors["email"] == [NOT_A_STRING]
    assert serializer.errors["price"] == [NOT_A_STRING]
    assert serializer.errors["ref"] == [NOT_A_STRING]


def test_read_only_fields_and_numbers_are_not_checked():
    serializer = PriceSerializer(data={"title": "Dune", "price": "1.00", "shown": 5, "quantity": 3})

    assert serializer.is_valid(), serializer.errors


def test_a_query_string_is_text_already():
    serializer = PriceSerializer(data=QueryDict("title=Dune&price=1.00"))

    assert serializer.is_valid(), serializer.errors


class FilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=["pending", "paid"], required=False)
    search = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


def test_a_blank_filter_is_refused_naming_it_not_read_as_absent():
    serializer = FilterSerializer(data=QueryDict("status=&search=&note="))

    assert not serializer.is_valid()
    assert set(serializer.errors) == {"status", "search"}


def test_filters_left_out_or_given_pass():
    assert FilterSerializer(data=QueryDict("")).is_valid()
    serializer = FilterSerializer(data=QueryDict("status=paid&search=du"))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"status": "paid", "search": "du"}
