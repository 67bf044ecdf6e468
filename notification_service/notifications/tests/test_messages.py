"""The templates: every event type says something in both languages."""

import pytest

from common.events import CONTRACTS, payload_of
from notifications import messages
from notifications.tests.conftest import PAYLOADS


def validated(event_type: str) -> dict:
    return payload_of(event_type, PAYLOADS[event_type])


# What this service hears by its contracts; the account's end is not told to the person:
# it erases them.
HEARD = {event_type for event_type, contract in CONTRACTS.items() if "notification" in contract.subscribers}
NOT_TOLD = {"account.deleted", "account.deactivated"}


def test_every_event_type_heard_has_a_template_in_each_language():
    assert set(messages.TEMPLATES) == HEARD - NOT_TOLD
    for templates in messages.TEMPLATES.values():
        assert set(templates) == set(messages.LANGUAGES)


@pytest.mark.parametrize("event_type", sorted(HEARD - NOT_TOLD))
@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_each_template_renders_from_its_payload(event_type, language):
    subject, body = messages.render(event_type=event_type, language=language, payload=validated(event_type))

    assert subject
    assert "{" not in subject + body  # every placeholder was filled
    assert "\n" not in subject


def test_vietnamese_is_written_with_its_diacritics():
    subject, body = messages.render(
        event_type="order.status_changed", language="vi", payload=validated("order.status_changed")
    )

    assert subject == "Đơn hàng #12: đang giao"
    assert body == "Đơn hàng #12 của bạn đã chuyển từ «đã thanh toán» sang «đang giao»."


def test_a_status_or_method_added_later_reads_as_itself():
    payload = validated("order.status_changed") | {"to_status": "returned"}

    subject, _ = messages.render(event_type="order.status_changed", language="en", payload=payload)

    assert subject == "Order #12 is returned"


def test_a_very_long_subject_is_cut_to_fit():
    payload = validated("order.status_changed") | {"to_status": "x" * 400}

    subject, _ = messages.render(event_type="order.status_changed", language="en", payload=payload)

    assert len(subject) == messages.SUBJECT_MAX_LENGTH


def test_a_customer_without_a_name_is_still_greeted():
    payload = validated("customer.created") | {"first_name": "", "last_name": ""}

    _, english = messages.render(event_type="customer.created", language="en", payload=payload)
    _, vietnamese = messages.render(event_type="customer.created", language="vi", payload=payload)

    assert english.startswith("Hello there,")
    assert vietnamese.startswith("Xin chào bạn,")
