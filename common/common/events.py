"""The events the services tell each other, each defined once: its payload's fields
and types, its version, and who hears it by default.

Publishers write these payloads (common.outbox.publisher.publish checks each one
against its contract when EVENT_CONTRACTS_STRICT is on, as every test suite has it,
so a producer that drifts fails its own tests); consumers read them with
`payload_of(event_type, payload)`, the same contract, so both sides are tested
against one schema. A field added later is optional (old events still in an outbox
lack it); a change that breaks readers is a new version.
"""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from common.converters import MAX_ID
from common.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


def _id(**options: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **options)


def _money(**options: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **options)


def _text(max_length: int, **options: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, **options)


class _Payload(serializers.Serializer[Any]):
    """Every event is about one user (the one notified)."""

    user_id = _id()


class OrderLine(serializers.Serializer[Any]):
    product_id = _id()
    title = _text(500, allow_null=True, allow_blank=True)
    unit_price = _money(allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    line_total = _money()


class OrderCreated(_Payload):
    order_id = _id()
    status = _text(30)
    total = _money()
    # The stubs miss max_length, which many=True hands to the ListSerializer.
    lines = OrderLine(many=True, max_length=1000)  # type: ignore[call-arg]
    created_at = serializers.DateTimeField()


class OrderStatusChanged(_Payload):
    order_id = _id()
    from_status = _text(30)
    to_status = _text(30)
    changed_at = serializers.DateTimeField()
    changed_by = _text(150)
    reason = _text(30, allow_blank=True, required=False, default="")  # "payment_expired", "refunded"
    payment_id = _id(allow_null=True, required=False, default=None)
    total = _money(required=False)


class Payment(_Payload):
    payment_id = _id()
    order_id = _id()
    amount = _money()
    method = _text(30)
    status = _text(30)


class PaymentFailed(Payment):
    failure_code = _text(50, allow_blank=True)
    failure_message = _text(1000, allow_blank=True)


class PaymentRefunded(Payment):
    refunded_at = serializers.DateTimeField()


class AccountCreated(_Payload):
    username = _text(150)
    email = serializers.EmailField(max_length=254)


class AccountLinkSent(_Payload):
    """An email with a link only the account's owner may follow (email only, never
    shown in the app): its address, and how long the link works."""

    username = _text(150)
    email = serializers.EmailField(max_length=254)
    link = serializers.URLField(max_length=2000)
    valid_minutes = serializers.IntegerField(min_value=1)


class AccountDeleted(_Payload):
    deleted_at = serializers.DateTimeField()


class AccountDeactivated(_Payload):
    deactivated_at = serializers.DateTimeField()


class StockAvailabilityChanged(serializers.Serializer[Any]):
    """A book came into stock or went out of it (its available units left or reached 0);
    not about a person. `changed_at` orders them: a reader keeps the latest."""

    product_id = _id()
    in_stock = serializers.BooleanField()
    changed_at = serializers.DateTimeField()


class CustomerCreated(_Payload):
    customer_id = _id()
    first_name = _text(150, allow_blank=True)
    last_name = _text(150, allow_blank=True)


@dataclass(frozen=True)
class Contract:
    event_type: str
    payload: type[serializers.Serializer[Any]]
    subscribers: tuple[str, ...]  # who hears it by default (EVENT_SUBSCRIBERS replaces this)
    example: dict[str, Any]  # a payload as its publisher writes it: documentation, and the tests' events
    version: int = 1
    # A default subscriber that acts on some of these only hears those its condition holds
    # for: each other one would cost a delivery, a request and a record, to be ignored.
    only_when: Mapping[str, Callable[[dict[str, Any]], bool]] = field(default_factory=dict)


def _money_moves(payload: dict[str, Any]) -> bool:
    """payment_service refunds a cancelled order's payment and collects a delivered one's
    cash (payments.services.payment_order_changed); no other change of status moves money."""
    return payload["to_status"] in ("cancelled", "delivered")


# Every service but customer_service, which publishes them.
ACCOUNT_LISTENERS = ("book", "order", "cart", "payment", "notification", "inventory")
_PAID = {"payment_id": 7, "order_id": 12, "user_id": 5, "amount": "60.50", "method": "card"}

CONTRACTS: dict[str, Contract] = {
    contract.event_type: contract
    for contract in (
        Contract(
            "order.created",
            OrderCreated,
            ("notification",),
            example={
                "order_id": 12,
                "user_id": 5,
                "status": "pending",
                "total": "60.50",
                "lines": [
                    {"product_id": 3, "title": "Chí Phèo", "unit_price": "30.25", "quantity": 2, "line_total": "60.50"},
                    {"product_id": 4, "title": None, "unit_price": None, "quantity": 1, "line_total": "0.00"},
                ],
                "created_at": "2026-01-01T00:00:00Z",
            },
        ),
        # payment_service refunds a cancelled order's payment, or collects a delivered one's cash.
        Contract(
            "order.status_changed",
            OrderStatusChanged,
            ("notification", "payment"),
            only_when={"payment": _money_moves},
            example={
                "order_id": 12,
                "user_id": 5,
                "from_status": "paid",
                "to_status": "shipped",
                "changed_at": "2026-01-01T00:00:00Z",
                "changed_by": "staff 9000",
            },
        ),
        Contract(
            "payment.succeeded",
            Payment,
            ("notification",),
            example=_PAID | {"status": "succeeded"},
        ),
        Contract(
            "payment.failed",
            PaymentFailed,
            ("notification",),
            example=_PAID
            | {
                "status": "failed",
                "failure_code": "insufficient_funds",
                "failure_message": "The card has insufficient funds.",
            },
        ),
        # order_service cancels the order and gives its stock back.
        Contract(
            "payment.refunded",
            PaymentRefunded,
            ("order", "notification"),
            example=_PAID | {"status": "refunded", "refunded_at": "2026-01-02T00:00:00Z"},
        ),
        Contract(
            "account.created",
            AccountCreated,
            ("notification",),
            example={"user_id": 5, "username": "thino", "email": "thi.no@example.com"},
        ),
        Contract(
            "account.password_reset_requested",
            AccountLinkSent,
            ("notification",),
            example={
                "user_id": 5,
                "username": "thino",
                "email": "thi.no@example.com",
                "link": "http://localhost:1000/reset-password/?uid=NQ&token=cz4kpe-0123456789abcdef",
                "valid_minutes": 60,
            },
        ),
        Contract(
            "account.verification_requested",
            AccountLinkSent,
            ("notification",),
            example={
                "user_id": 5,
                "username": "thino",
                "email": "thi.no@example.com",
                "link": "http://localhost:1000/verify-email/?token=eyJ1c2VyX2lkIjo1fQ:1vR:abc",
                "valid_minutes": 4320,
            },
        ),
        # Every service that takes a person's token refuses its tokens from then on
        # (common.revocation); on deletion each removes what it holds about the person.
        Contract(
            "account.deleted",
            AccountDeleted,
            ACCOUNT_LISTENERS,
            example={"user_id": 5, "deleted_at": "2026-01-03T00:00:00Z"},
        ),
        Contract(
            "account.deactivated",
            AccountDeactivated,
            ACCOUNT_LISTENERS,
            example={"user_id": 5, "deactivated_at": "2026-01-03T00:00:00Z"},
        ),
        # book_service keeps each book's in_stock from these, so a catalog read asks no one.
        Contract(
            "stock.availability_changed",
            StockAvailabilityChanged,
            ("book",),
            example={"product_id": 3, "in_stock": False, "changed_at": "2026-01-03T00:00:00.000001Z"},
        ),
        Contract(
            "customer.created",
            CustomerCreated,
            ("notification",),
            example={"user_id": 5, "customer_id": 2, "first_name": "Thị", "last_name": "Nở"},
        ),
    )
}


class UnknownEventType(ValueError):
    pass


def contract_of(event_type: str) -> Contract:
    try:
        return CONTRACTS[event_type]
    except KeyError:
        raise UnknownEventType(f"{event_type!r} is not an event type of common.events") from None


@functools.cache
def _fields_of(payload: type[serializers.Serializer[Any]]) -> BindingDict:
    """A payload serializer's fields, made once for the process: DRF deep-copies a
    serializer's declared fields (and a nested one's) for every instance, most of the CPU
    that reading an event took. Reading a value keeps nothing on a field, so one set
    serves every thread (as common.outbox.consumer's envelope's)."""
    return payload().fields


def _serializer(event_type: str, payload: dict[str, Any]) -> serializers.Serializer[Any]:
    """`payload` in its contract's serializer, to be validated."""
    serializer = contract_of(event_type).payload(data=payload)
    serializer.fields = _fields_of(type(serializer))
    return serializer


def payload_of(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload read by its contract (types converted); a 400 naming the field if it
    does not hold to it."""
    serializer = _serializer(event_type, payload)
    serializer.is_valid(raise_exception=True)
    validated: dict[str, Any] = serializer.validated_data
    return validated


def check_payload(event_type: str, payload: dict[str, Any]) -> None:
    """For publishers: the payload as written holds to its contract, else ValueError."""
    serializer = _serializer(event_type, payload)
    if not serializer.is_valid():
        raise ValueError(f"{event_type} payload breaks its contract: {serializer.errors}")
