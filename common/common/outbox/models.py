import uuid

from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    """Something that happened (an event for the subscribers of its type) or an HTTP
    call that must be made (a `call`), written in the transaction that made it so."""

    class Kind(models.TextChoices):
        EVENT = "event"  # POSTed to each subscriber as an envelope {id, type, payload, ...}
        CALL = "call"  # one request to one service, its payload as the body

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EVENT)
    event_type = models.CharField(max_length=100, db_index=True)
    # What the event is about ("order:12", "cart:5"), so a service can ask whether
    # anything about it is still undelivered.
    key = models.CharField(max_length=200, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    request_id = models.CharField(max_length=128, blank=True)  # the request that published it, for tracing
    # The W3C traceparent of the span that published it (common.telemetry; empty with
    # tracing off): each delivery's span links to it. A database default too, so a
    # process of the previous release, which does not write it, can insert during an upgrade.
    traceparent = models.CharField(max_length=55, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class DeliveryQuerySet(models.QuerySet["OutboxDelivery"]):
    def waiting(self) -> "DeliveryQuerySet":
        """Neither delivered nor parked: what the dispatcher still tries (the rows of
        the outbox_waiting index)."""
        return self.filter(delivered_at__isnull=True, parked_at__isnull=True)


class OutboxDelivery(models.Model):
    """One HTTP call that must succeed: an event to one subscriber, or a scheduled call
    (e.g. clearing a cart). Never deleted by the dispatcher; retried until a 2xx, unless
    the target refuses it as invalid OUTBOX_MAX_REFUSALS times in a row: then it is
    parked until someone retries it from the admin."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    target = models.CharField(max_length=300)  # a service name (common.registry) or a base URL
    method = models.CharField(max_length=10, default="POST")
    path = models.CharField(max_length=500)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)  # when the next try is due (backoff)
    # Set by whoever takes the row for a try, so no other dispatcher takes it while the
    # call is under way; a taker that died frees it when the lease ends.
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # Answers in a row that say the request itself is wrong (dispatcher.REFUSALS); any
    # other failure starts the count again.
    refusals = models.PositiveIntegerField(default=0)
    # The dead letter: set when the refusals reach OUTBOX_MAX_REFUSALS (or by hand in
    # the admin); the dispatcher no longer takes the row until the admin un-parks it.
    parked_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "outbox deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "target", "method", "path"], name="outbox_delivery_unique"),
        ]
        indexes = [
            # The dispatcher's due query, in its order. Partial: delivered and parked rows,
            # which pile up, are not in it, so taking stays as fast as what waits is small.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_waiting",
                condition=Q(delivered_at__isnull=True, parked_at__isnull=True),
            ),
            # The parked ones, counted at every metrics scrape (common.outbox.metrics).
            models.Index(fields=["parked_at"], name="outbox_parked", condition=Q(parked_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.target}{self.path}"


class ProcessedEvent(models.Model):
    """An event id this service has already handled: a redelivery is acknowledged and
    ignored. Kept PROCESSED_EVENTS_KEEP_DAYS, then purged (common.outbox.retention)."""

    id = models.UUIDField(primary_key=True)
    event_type = models.CharField(max_length=100)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-processed_at"]
        indexes = [
            # The purge's batches, the oldest first: each reads only the rows it deletes.
            models.Index(fields=["processed_at"], name="outbox_processed_at"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"
