from django.contrib import admin

from common.admin_services import RecordAdminMixin
from common.idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Records: a key added, edited or deleted by hand would replay the wrong answer or
    run a request twice (purge_idempotency_keys removes the old ones)."""

    list_display = ["caller", "key", "response_status", "created_at", "completed_at"]
    list_filter = ["response_status", "created_at"]
    search_fields = ["caller", "key"]
    readonly_fields = ["caller", "key", "fingerprint", "response_status", "response_body", "created_at", "completed_at"]
