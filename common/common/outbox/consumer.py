"""The consumer side: handle each event id once, however often it is delivered."""

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import BindingDict
from rest_framework.views import APIView

from common.db import create_unless_present
from common.events import CONTRACTS, payload_of
from common.outbox.models import ProcessedEvent
from common.outbox.retention import event_expired
from common.permissions import IsService
from common.serializers import Serializer as JsonTypedSerializer


@contextmanager
def consume_once(*, event_id: uuid.UUID, event_type: str) -> Iterator[bool]:
    """Yields True the first time this id is seen, False after. The mark and the
    handler's writes share one transaction: a handler that fails leaves the id
    unseen, so the redelivery is handled."""
    with transaction.atomic():
        # One INSERT ... ON CONFLICT DO NOTHING, not create() in a savepoint to catch the
        # IntegrityError. No row: seen before, or a concurrent delivery of it committed
        # first (PostgreSQL waits for that delivery's transaction to end; SQLite lets one
        # writer in at a time), so its handler already ran.
        marked = create_unless_present(ProcessedEvent, unique=("id",), id=event_id, event_type=event_type)
        yield marked is not None


class EventEnvelopeSerializer(JsonTypedSerializer):
    id = serializers.UUIDField()
    type = serializers.CharField(max_length=100)
    version = serializers.IntegerField(min_value=1, required=False, default=1)
    # A declared field (the metaclass takes it off the class); the stubs' Field has a `source` attribute.
    source = serializers.CharField(max_length=50, required=False, default="")  # type: ignore[assignment]
    occurred_at = serializers.DateTimeField(required=False)
    payload = serializers.DictField()


@functools.cache
def _envelope_fields() -> BindingDict:
    """The envelope's fields, made once for the process: DRF deep-copies a serializer's
    declared fields for every instance, most of the CPU that reading an envelope took.
    Reading a value keeps nothing on a field, so one set serves every thread."""
    return EventEnvelopeSerializer().fields


def _envelope_read(data: Any) -> dict[str, Any]:
    """The envelope's values, read by EventEnvelopeSerializer; its 400 if they do not hold."""
    envelope = EventEnvelopeSerializer(data=data)
    envelope.fields = _envelope_fields()
    envelope.is_valid(raise_exception=True)
    event: dict[str, Any] = envelope.validated_data
    return event


class EventAckSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["processed", "duplicate", "ignored", "expired"])


class EventReceiverView(APIView):
    """POST /api/events/ for a consuming service: subclass and set `handlers`
    ({event type: function(payload)}); only services may post. An unknown type is
    acknowledged and ignored, so publishers do not retry what nobody here wants. The
    handler gets the payload read by its contract (common.events); a payload that
    breaks it, or a version newer than this service knows, is a 400 and stays unseen
    (the publisher's outbox parks it until this service is fixed or upgraded). An event
    older than the processed ids are kept is acknowledged as expired and not handled
    (common.outbox.retention)."""

    permission_classes = [IsService]
    handlers: dict[str, Callable[..., object]] = {}

    @extend_schema(request=EventEnvelopeSerializer, responses=EventAckSerializer)
    def post(self, request: Request) -> Response:
        event = _envelope_read(request.data)
        handler = self.handlers.get(event["type"])
        if handler is None:
            return Response({"id": str(event["id"]), "status": "ignored"})
        if event_expired(event):
            return Response({"id": str(event["id"]), "status": "expired"})
        if contract := CONTRACTS.get(event["type"]):
            if event["version"] > contract.version:
                message = f"This service reads {event['type']} up to version {contract.version}."
                raise ValidationError({"version": [message]})
            event["payload"] = payload_of(event["type"], event["payload"])
        with consume_once(event_id=event["id"], event_type=event["type"]) as first_time:
            if first_time:
                self.handle(event, handler)
        outcome = "processed" if first_time else "duplicate"
        return Response({"id": str(event["id"]), "status": outcome}, status=status.HTTP_200_OK)

    def handle(self, event: dict[str, Any], handler: Callable[..., object]) -> None:
        """Run the handler of a first-seen event with its payload (read by its contract);
        override to give it more of the envelope (its id, say)."""
        handler(event["payload"])
