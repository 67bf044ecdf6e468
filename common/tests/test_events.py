"""common.events: each event type's payload defined once, held to by publishers (in
every test suite) and read by consumers with the same contract."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIRequestFactory

from common.auth import mint_access_token
from common.events import CONTRACTS, check_payload, payload_of
from common.outbox import conf
from common.outbox.consumer import EventReceiverView
from common.outbox.models import OutboxEvent
from common.outbox.publisher import publish

REFUNDED = CONTRACTS["payment.refunded"].example


def test_the_default_subscribers_are_those_next_to_the_contracts():
    assert {name: list(c.subscribers) for name, c in CONTRACTS.items()} == conf.DEFAULT_SUBSCRIBERS
    assert conf.DEFAULT_SUBSCRIBERS["payment.refunded"] == ["order", "notification"]


def test_a_payload_is_read_with_its_types():
    read = payload_of("payment.refunded", REFUNDED | {"extra": "ignored"})
    assert str(read["amount"]) == "60.50"
    assert read["refunded_at"].year == 2026
    assert "extra" not in read


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in REFUNDED.items() if k != "refunded_at"},
        REFUNDED | {"amount": "1" * 20},  # more digits than any money column holds
        REFUNDED | {"user_id": "five"},
    ],
)
def test_a_payload_that_breaks_its_contract_is_refused_on_both_sides(broken):
    with pytest.raises(ValueError, match=r"payment\.refunded payload breaks its contract"):
        check_payload("payment.refunded", broken)
    with pytest.raises(ValidationError):
        payload_of("payment.refunded", broken)


def _fresh(event_type, payload):
    """The contract's serializer as DRF makes it, fields and all: what payload_of must answer like."""
    serializer = CONTRACTS[event_type].payload(data=payload)
    serializer.is_valid()
    return serializer


ORDER = CONTRACTS["order.created"].example
BROKEN = [
    ("payment.refunded", {k: v for k, v in REFUNDED.items() if k != "refunded_at"}),
    ("payment.refunded", REFUNDED | {"amount": "1" * 20, "user_id": "five", "refunded_at": "soon"}),
    ("payment.refunded", ["not", "a", "dict"]),
    ("order.created", ORDER | {"lines": [ORDER["lines"][0] | {"quantity": 0}, {"product_id": None}]}),
    ("order.created", ORDER | {"lines": "none"}),
    ("order.created", ORDER | {"lines": [ORDER["lines"][0]] * 1001}),
    ("order.status_changed", {"user_id": 5}),
    ("account.created", {"user_id": 5, "username": "x" * 151, "email": "not an address"}),
]


@pytest.mark.parametrize("event_type", sorted(CONTRACTS))
def test_a_payload_is_read_as_a_fresh_serializer_reads_it(event_type):
    # The payload serializers' fields are made once for the process: the values are a fresh serializer's.
    example = CONTRACTS[event_type].example
    for _ in range(2):  # the second read uses the fields the first one made
        assert payload_of(event_type, example) == _fresh(event_type, example).validated_data


@pytest.mark.parametrize(("event_type", "broken"), BROKEN)
def test_a_broken_payload_is_refused_as_a_fresh_serializer_refuses_it(event_type, broken):
    expected = _fresh(event_type, broken).errors
    assert expected
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            payload_of(event_type, broken)
        assert refused.value.detail == expected
        with pytest.raises(ValueError, match="breaks its contract") as checked:
            check_payload(event_type, broken)
        assert str(checked.value) == f"{event_type} payload breaks its contract: {expected}"
    # and a good one read after a bad one is read whole (nothing of the bad one kept)
    example = CONTRACTS[event_type].example
    assert payload_of(event_type, example) == _fresh(event_type, example).validated_data


def test_threads_reading_at_once_each_get_their_own_payloads_answer():
    # One set of fields serves every thread: nothing of one read may show in another's.
    cases = [("order.created", ORDER), *BROKEN[:4]]
    expected = [(_fresh(t, p).validated_data, _fresh(t, p).errors) for t, p in cases]

    def read(event_type, payload):
        try:
            return payload_of(event_type, payload), {}
        except ValidationError as refused:
            return {}, refused.detail

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda n: read(*cases[n % len(cases)]), range(400)))
    assert answers == [expected[n % len(cases)] for n in range(400)]


@pytest.mark.django_db
def test_a_publisher_drifting_from_the_contract_fails_in_the_test_suites(settings):
    assert settings.EVENT_CONTRACTS_STRICT  # set by common.testing's plugin for every suite
    with pytest.raises(ValueError, match="breaks its contract"):
        publish("payment.refunded", {"order_id": 12})
    publish("payment.refunded", REFUNDED)
    assert OutboxEvent.objects.get().payload == REFUNDED


class _Refunds(EventReceiverView):
    handled: list = []
    handlers = {"payment.refunded": handled.append}


def _post(body):
    token = mint_access_token(user_id=None, service="payment")
    request = APIRequestFactory().post("/api/events/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    return _Refunds.as_view()(request)


@pytest.mark.django_db
def test_a_consumer_gets_the_payload_read_by_its_contract_and_refuses_what_breaks_it():
    _Refunds.handled.clear()
    event = {"id": str(uuid.uuid4()), "type": "payment.refunded", "version": 1, "payload": REFUNDED}

    assert _post(event).data["status"] == "processed"
    assert _Refunds.handled[0]["order_id"] == 12
    assert str(_Refunds.handled[0]["amount"]) == "60.50"

    broken = {**event, "id": str(uuid.uuid4()), "payload": {"order_id": 12}}
    assert _post(broken).status_code == 400
    newer = {**event, "id": str(uuid.uuid4()), "version": 2}
    response = _post(newer)
    assert response.status_code == 400
    assert "version" in response.data["error"]["details"]
    assert len(_Refunds.handled) == 1


@pytest.mark.parametrize("event_type", sorted(CONTRACTS))
def test_every_contracts_example_holds_to_it(event_type):
    check_payload(event_type, CONTRACTS[event_type].example)
