import pytest
from django.db import transaction
from django.utils import timezone

from common.db import create_unless_present
from common.idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def claim(key: str, fingerprint: str = "f1"):
    now = timezone.now()
    return create_unless_present(
        IdempotencyKey, unique=("caller", "key"), caller="user:1", key=key, fingerprint=fingerprint, created_at=now
    )


def test_a_new_row_is_created_and_returned_as_stored():
    made = claim("k1")
    stored = IdempotencyKey.objects.get()
    assert made.pk == stored.pk
    assert (made.caller, made.key, made.fingerprint, made.created_at) == (
        stored.caller,
        stored.key,
        stored.fingerprint,
        stored.created_at,
    )
    assert made.response_status is None  # the fields not given take their defaults
    made.fingerprint = "f2"
    made.save()  # the instance is a stored row: saving updates it, not a second insert
    assert IdempotencyKey.objects.get().fingerprint == "f2"


def test_an_existing_row_is_none_and_left_as_it_was():
    first = claim("k1", "f1")
    assert claim("k1", "other") is None
    assert list(IdempotencyKey.objects.values_list("pk", "fingerprint")) == [(first.pk, "f1")]
    assert claim("k2") is not None  # the unique fields decide, not the table


def test_a_conflict_leaves_the_surrounding_transaction_usable():
    claim("k1")
    with transaction.atomic():
        assert claim("k1") is None
        # An IntegrityError here would have aborted the transaction (PostgreSQL refuses
        # every statement after one); nothing was raised, so it goes on.
        assert IdempotencyKey.objects.count() == 1
