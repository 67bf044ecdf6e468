import logging
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin_services import RecordAdminMixin
from common.outbox import services
from common.outbox.models import DeliveryQuerySet, OutboxDelivery, OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

DELIVERY_FIELDS = ["target", "method", "path", "attempts", "refusals", "delivered_at", "parked_at"]


class OutboxDeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    extra = 0
    can_delete = False
    fields = readonly_fields = (*DELIVERY_FIELDS, "next_attempt_at", "last_status", "last_error")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Events, deliveries and processed event ids are records written with the changes they
# tell of: none is added, edited or deleted by hand (a processed id deleted would let its
# event be handled twice; the purge deletes only ids older than the events still handled,
# common.outbox.retention). Deliveries are retried or parked with the actions below.


@admin.register(OutboxEvent)
class OutboxEventAdmin(RecordAdminMixin, admin.ModelAdmin):
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
class OutboxDeliveryAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Undelivered rows are the ones to watch, parked ones above all (the target refused
    them as invalid): fix the cause, then retry them (common.outbox.services). "Retry
    now" also ends the backoff of a row that keeps failing; delivered rows and rows
    under a try are left as they are."""

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
    actions = ["retry_now", "retry_parked", "park"]

    @admin.action(description="Retry the selected undelivered deliveries now (failing or parked)")
    def retry_now(self, request: HttpRequest, queryset: DeliveryQuerySet) -> None:
        selected = queryset.count()
        retried = services.deliveries_retry(deliveries=queryset)
        logger.warning("outbox: %s retried %d deliveries now", request.user, retried)
        self._report(
            request,
            retried,
            selected,
            "will be retried now (delivered ones and ones under a try are left as they are)",
        )

    @admin.action(description="Retry the selected parked deliveries")
    def retry_parked(self, request: HttpRequest, queryset: DeliveryQuerySet) -> None:
        retried = services.deliveries_retry(deliveries=queryset, parked_only=True)
        logger.warning("outbox: %s un-parked %d deliveries", request.user, retried)
        self.message_user(request, f"{retried} parked deliveries will be retried now.")

    @admin.action(description="Park the selected waiting deliveries (stop trying them)")
    def park(self, request: HttpRequest, queryset: DeliveryQuerySet) -> None:
        selected = queryset.count()
        parked = services.deliveries_park(deliveries=queryset)
        logger.warning("outbox: %s parked %d deliveries by hand", request.user, parked)
        self._report(request, parked, selected, "parked")

    def _report(self, request: HttpRequest, done: int, selected: int, what: str) -> None:
        """One message, "3 of 4 selected deliveries parked.": a warning when some were left as they were."""
        level = messages.SUCCESS if done == selected else messages.WARNING
        self.message_user(request, f"{done} of {selected} selected deliveries {what}.", level)


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["id", "event_type", "processed_at"]
    list_filter = ["event_type"]
    search_fields = ["id"]
