import logging
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from common.outbox.models import DeliveryQuerySet, OutboxDelivery, OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

DELIVERY_FIELDS = ["target", "method", "path", "attempts", "refusals", "delivered_at", "parked_at"]


class OutboxDeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    extra = 0
    fields = [*DELIVERY_FIELDS, "next_attempt_at", "last_status", "last_error"]
    readonly_fields = [*DELIVERY_FIELDS, "last_status", "last_error"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "kind", "key", "created_at"]
    list_filter = ["kind", "event_type"]
    search_fields = ["id", "key", "event_type"]
    readonly_fields = ["id", "kind", "event_type", "key", "payload", "request_id", "created_at"]
    inlines = [OutboxDeliveryInline]


class ParkedFilter(admin.SimpleListFilter):
    title = "parked"
    parameter_name = "parked"

    def lookups(self, request: HttpRequest, model_admin: "admin.ModelAdmin[Any]") -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(parked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(parked_at__isnull=True)
        return queryset


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(admin.ModelAdmin):
    """Undelivered rows are the ones to watch, parked ones above all (the target refused
    them as invalid): fix the cause, then retry them. Setting next_attempt_at to now
    retries a waiting row at once."""

    list_display = [
        "id",
        "event",
        "target",
        "method",
        "path",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "parked_at",
    ]
    list_filter = [ParkedFilter, ("delivered_at", admin.EmptyFieldListFilter), "target", "method"]
    search_fields = ["event__id", "event__key", "target", "path"]
    list_select_related = ["event"]
    readonly_fields = ["event", *DELIVERY_FIELDS, "last_status", "last_error"]
    actions = ["retry_parked", "park"]

    @admin.action(description="Retry the selected parked deliveries")
    def retry_parked(self, request: HttpRequest, queryset: DeliveryQuerySet) -> None:
        # Attempts start again so the backoff does too: the first retry is at once.
        retried = queryset.filter(parked_at__isnull=False, delivered_at__isnull=True).update(
            parked_at=None, attempts=0, refusals=0, next_attempt_at=timezone.now()
        )
        logger.warning("outbox: %s un-parked %d deliveries", request.user, retried)
        self.message_user(request, f"{retried} parked deliveries will be retried now.")

    @admin.action(description="Park the selected waiting deliveries (stop trying them)")
    def park(self, request: HttpRequest, queryset: DeliveryQuerySet) -> None:
        # One under a try right now is left alone: that try may deliver it.
        now = timezone.now()
        selected = queryset.count()
        parked = (
            queryset.waiting().filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now)).update(parked_at=now)
        )
        logger.warning("outbox: %s parked %d deliveries by hand", request.user, parked)
        level = messages.SUCCESS if parked == selected else messages.WARNING
        self.message_user(request, f"{parked} of {selected} selected deliveries parked.", level)


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "processed_at"]
    list_filter = ["event_type"]
    search_fields = ["id"]
