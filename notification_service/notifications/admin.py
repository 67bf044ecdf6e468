from django.contrib import admin, messages
from django.utils import timezone

from notifications.models import EmailState, Notification


class UserFilter(admin.SimpleListFilter):
    """By customer: the most recently notified ones are listed, and ?user_id=<id> in
    the address (or a search for the id) picks any other."""

    title = "user"
    parameter_name = "user_id"

    def lookups(self, request, model_admin):
        recent = Notification.objects.order_by("-created_at").values_list("user_id", flat=True)[:200]
        return [(str(user_id), f"user {user_id}") for user_id in list(dict.fromkeys(recent))[:10]]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(user_id=int(value)) if value.isdigit() and len(value) < 19 else queryset.none()


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Failed emails are the ones to watch: their last error says why; "send again"
    puts them back in the sweep with a fresh count of tries."""

    list_display = ["id", "user_id", "event_type", "subject", "email_state", "email_attempts", "read_at", "created_at"]
    list_filter = [
        "event_type",
        "email_state",
        UserFilter,
        ("read_at", admin.EmptyFieldListFilter),
        "language",
        "created_at",
    ]
    search_fields = ["=user_id", "=event_id", "subject", "email_to"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    # What was said and how it went are records, not settings: nothing here is edited by hand.
    readonly_fields = [
        "user_id",
        "event_id",
        "event_type",
        "language",
        "subject",
        "body",
        "read_at",
        "email_to",
        "email_state",
        "email_attempts",
        "email_next_attempt_at",
        "email_leased_until",
        "email_sent_at",
        "email_last_error",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the email again (failed or pending ones)")
    def send_again(self, request, queryset):
        count = queryset.exclude(email_state=EmailState.SENT).update(
            email_state=EmailState.PENDING,
            email_attempts=0,
            email_next_attempt_at=timezone.now(),
            email_leased_until=None,
            updated_at=timezone.now(),
        )
        self.message_user(request, f"{count} email(s) will be sent again shortly.", messages.SUCCESS)
