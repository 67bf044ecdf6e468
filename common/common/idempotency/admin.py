from django.contrib import admin

from common.idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["caller", "key", "response_status", "created_at", "completed_at"]
    list_filter = ["response_status", "created_at"]
    search_fields = ["caller", "key"]
    readonly_fields = ["caller", "key", "fingerprint", "response_status", "response_body", "created_at", "completed_at"]
