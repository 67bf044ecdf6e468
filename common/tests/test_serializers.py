"""common.serializers: a JSON body's strings must be strings, as the schema says;
validated; represent."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.http import QueryDict
from django.utils import timezone
from rest_framework import serializers

from common.errors import exception_handler
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.serializers import NOT_A_STRING, ModelSerializer, Serializer, represent, validated, validated_query


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


class NameSerializer(Serializer):
    name = serializers.CharField(max_length=5)


@pytest.mark.parametrize("name", ["\r" + "*" * 5, "*" * 5 + "  ", "*" * 6])
def test_a_string_longer_than_its_max_length_as_sent_is_refused_even_if_trimming_would_fit(name):
    # Found by make fuzz: "\r" and 100 characters passed a maxLength of 100 once trimmed.
    serializer = NameSerializer(data={"name": name})

    assert not serializer.is_valid()
    assert serializer.errors["name"] == ["Ensure this field has no more than 5 characters."]


def test_a_string_at_its_max_length_is_trimmed_and_kept():
    serializer = NameSerializer(data={"name": " ***"})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "***"}


def test_read_only_fields_and_numbers_are_not_checked():
    serializer = PriceSerializer(data={"title": "Dune", "price": "1.00", "shown": 5, "quantity": 3})

    assert serializer.is_valid(), serializer.errors


def test_a_query_string_is_text_already():
    serializer = PriceSerializer(data=QueryDict("title=Dune&price=1.00"))

    assert serializer.is_valid(), serializer.errors


class FilterSerializer(Serializer):
    status = serializers.ChoiceField(choices=["pending", "paid"], required=False)
    search = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


def query(text: str) -> SimpleNamespace:
    return SimpleNamespace(query_params=QueryDict(text))  # what validated_query reads of a request


def test_a_blank_filter_is_refused_naming_it_not_read_as_absent():
    with pytest.raises(serializers.ValidationError) as refused:
        validated_query(FilterSerializer, query("status=&search=&note="))

    assert set(refused.value.detail) == {"status", "search"}


def test_drf_alone_reads_a_blank_filter_as_left_out():
    """Why validated_query reads the query string as a plain dict."""
    serializer = FilterSerializer(data=QueryDict("status=&search="))

    assert serializer.is_valid()
    assert serializer.validated_data == {}


def test_filters_left_out_or_given_pass():
    assert validated_query(FilterSerializer, query("")) == {}
    assert validated_query(FilterSerializer, query("status=paid&search=du")) == {"status": "paid", "search": "du"}


def test_validated_gives_the_clean_data_or_raises_naming_the_bad_fields():
    assert validated(PriceSerializer, {"title": "Dune", "price": "9.50"}) == {"title": "Dune", "price": Decimal("9.50")}
    with pytest.raises(serializers.ValidationError) as refused:
        validated(PriceSerializer, {"title": "", "price": "x"})
    assert set(refused.value.detail) == {"title", "price"}


class LineSerializer(Serializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=9, default=1)


class OrderSerializer(Serializer):
    reference = serializers.RegexField(r"^[a-z]{1,8}$", error_messages={"invalid": "1 to 8 letters"})
    lines = serializers.ListField(child=LineSerializer(), min_length=1, max_length=3)
    billing = PriceSerializer(required=False)
    tags = serializers.DictField(required=False)
    method = serializers.ChoiceField(choices=["card", "cod"], default="cod")

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        if len({line["product_id"] for line in lines}) < len(lines):
            raise serializers.ValidationError("Each product once.")
        return lines

    def validate(self, attrs: dict) -> dict:
        if attrs["method"] == "card" and "billing" not in attrs:
            raise serializers.ValidationError({"billing": ["Needed to pay by card."]})
        if attrs["reference"] == "refused":
            raise serializers.ValidationError("Refused as a whole.")
        return attrs


LINE = {"product_id": 1, "quantity": 2}
BILLING = {"title": "Dune", "price": "9.50"}
BODIES = [
    {"reference": "abc", "lines": [LINE]},
    {"reference": "abc", "lines": [LINE, {"product_id": 2}], "method": "card", "billing": BILLING, "tags": {"a": 1}},
    {},
    None,
    [],
    [{"reference": "abc", "lines": [LINE]}],
    "text",
    12,
    True,
    {"reference": 12, "lines": [LINE]},
    {"reference": "ABC!", "lines": []},
    {"reference": "abc", "lines": {"product_id": 1}},
    {"reference": "abc", "lines": [LINE, LINE]},
    {"reference": "abc", "lines": [LINE, {"product_id": 0, "quantity": 10}, "x", None]},
    {"reference": "abc", "lines": [LINE] * 4},
    {"reference": "abc", "lines": [LINE], "method": "card"},
    {"reference": "abc", "lines": [LINE], "method": "cheque", "tags": []},
    {"reference": "abc", "lines": [LINE], "method": "card", "billing": {"title": 5, "price": 9.5}},
    {"reference": "abc", "lines": [LINE], "method": "card", "billing": {"title": "", "price": "x"}},
    {"reference": "abc", "lines": [LINE], "billing": None},
    {"reference": "abc", "lines": [LINE], "billing": []},
    {"reference": "refused", "lines": [LINE]},
    {"reference": None, "lines": None},
]


def checked(check, serializer_class, data):
    try:
        return "valid", check(serializer_class, data)
    except serializers.ValidationError as refused:
        answer = exception_handler(refused, {})
        assert answer is not None
        return "refused", (refused.detail, refused.get_codes(), answer.status_code, answer.data)


def checked_by_is_valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@pytest.mark.parametrize("body", BODIES)
def test_validated_answers_as_a_fresh_serializers_is_valid(body):
    assert checked(validated, OrderSerializer, body) == checked(checked_by_is_valid, OrderSerializer, body)


@pytest.mark.parametrize("body", [{}, None, [], "text", {"title": 5, "price": "1"}, {"title": "Dune", "price": "1"}])
def test_validated_of_a_flat_serializer_answers_as_is_valid(body):
    assert checked(validated, PriceSerializer, body) == checked(checked_by_is_valid, PriceSerializer, body)


def test_validated_builds_the_fields_once():
    validated(OrderSerializer, BODIES[0])

    def built_again(*args, **kwargs):
        raise AssertionError("the fields were built again")

    with mock.patch.object(OrderSerializer, "get_fields", built_again):
        assert validated(OrderSerializer, BODIES[1])["method"] == "card"


def test_one_kept_serializer_validates_for_many_threads_at_once():
    bodies = BODIES * 20
    expected = [checked(checked_by_is_valid, OrderSerializer, body) for body in bodies]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(lambda body: checked(validated, OrderSerializer, body), bodies)) == expected


class DeliverySerializer(ModelSerializer):
    class Meta:
        model = OutboxDelivery
        fields = ["target", "method", "path", "attempts", "next_attempt_at", "leased_until"]


class EventSerializer(ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = OutboxEvent
        fields = ["id", "kind", "event_type", "payload", "created_at", "deliveries"]


def events_with_deliveries(count: int) -> list[OutboxEvent]:
    now = timezone.now()
    for number in range(count):
        event = OutboxEvent.objects.create(event_type=f"thing.{number:02}", payload={"n": number, "text": "Hà Nội"})
        OutboxDelivery.objects.create(event=event, target="order", path="/a/", next_attempt_at=now)
        leased = now + timedelta(seconds=number)
        OutboxDelivery.objects.create(event=event, target="cart", path="/b/", next_attempt_at=now, leased_until=leased)
    return list(OutboxEvent.objects.prefetch_related("deliveries").order_by("event_type"))


@pytest.mark.django_db
def test_represent_writes_what_data_writes_and_builds_the_fields_once():
    first, second = events_with_deliveries(2)
    assert represent(EventSerializer, first) == EventSerializer(first).data

    def built_again(*args, **kwargs):
        raise AssertionError("the fields were built again")

    with (
        mock.patch.object(EventSerializer, "get_fields", built_again),
        mock.patch.object(DeliverySerializer, "get_fields", built_again),
    ):
        written = represent(EventSerializer, second)
    assert written == EventSerializer(second).data
    assert [delivery["target"] for delivery in written["deliveries"]] == ["order", "cart"]


@pytest.mark.django_db
def test_one_reader_serves_many_threads_at_once():
    events = events_with_deliveries(40)
    expected = [EventSerializer(event).data for event in events]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(lambda event: represent(EventSerializer, event), events)) == expected
