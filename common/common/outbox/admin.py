from django.contrib import admin

from common.outbox.models import OutboxDelivery, OutboxEvent, ProcessedEvent


class OutboxDeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    extra = 0
    fields = ["target", "method", "path", "attempts", "next_attempt_at", "delivered_at", "last_status", "last_error"]
    readonly_fields = ["target", "method", "path", "attempts", "delivered_at", "last_status", "last_error"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "kind", "key", "created_at"]
    list_filter = ["kind", "event_type"]
    search_fields = ["id", "key", "event_type"]
    readonly_fields = ["id", "kind", "event_type", "key", "payload", "request_id", "created_at"]
    inlines = [OutboxDeliveryInline]


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(admin.ModelAdmin):
    """Undelivered rows are the ones to watch; setting next_attempt_at to now retries at once."""

    list_display = ["id", "event", "target", "method", "path", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = [("delivered_at", admin.EmptyFieldListFilter), "target", "method"]
    search_fields = ["event__id", "event__key", "target", "path"]
    list_select_related = ["event"]
    readonly_fields = ["event", "target", "method", "path", "attempts", "delivered_at", "last_status", "last_error"]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "processed_at"]
    list_filter = ["event_type"]
    search_fields = ["id"]
