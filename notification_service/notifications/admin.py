"""Notifications in the admin: what each event told each customer and how its email
went, as records. Staff send a failed (or waiting) email again from the list or its page,
through notifications.services.notification_email_retry; the outbox's deliveries are
retried from common.outbox's admin. Customers are shown by username, from one call to
customer_service per page (the user filter's choices too)."""

from django.contrib import admin

from common.admin_names import USERNAMES, NameLabel, NamesAdminMixin, name_column
from common.admin_services import Button, ObjectButtonsMixin, RecordAdminMixin, act_on_each
from notifications import services
from notifications.models import EmailState, Notification


class UserFilter(admin.SimpleListFilter):
    """By customer: the most recently notified ones are listed, and ?user_id=<id> in
    the address (or a search for the id) picks any other."""

    title = "user"
    parameter_name = "user_id"

    def lookups(self, request, model_admin):
        recent = Notification.objects.order_by("-created_at").values_list("user_id", flat=True)[:200]
        return [(str(user_id), NameLabel(request, USERNAMES, user_id)) for user_id in list(dict.fromkeys(recent))[:10]]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(user_id=int(value)) if value.isdigit() and len(value) < 19 else queryset.none()


def email_retry(notification: Notification) -> str:
    services.notification_email_retry(notification_id=notification.pk)
    return "its email will be sent again shortly"


@admin.register(Notification)
class NotificationAdmin(NamesAdminMixin, ObjectButtonsMixin, RecordAdminMixin, admin.ModelAdmin):
    """Failed emails are the ones to watch (filter by email state): their last error says
    why; "send again" puts them back in the sweep with a fresh count of tries."""

    user = name_column("user_id", USERNAMES, description="customer")
    list_display = ["id", "user", "event_type", "subject", "email_state", "email_attempts", "read_at", "created_at"]
    list_filter = [
        "email_state",
        "event_type",
        UserFilter,
        ("read_at", admin.EmptyFieldListFilter),
        "language",
        "created_at",
    ]
    search_fields = ["=user_id", "=event_id", "subject", "email_to"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    button_names = ("send_again",)
    # What was said and how it went are records, not settings: nothing here is edited by hand.
    fields = [
        "user",
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
    readonly_fields = ["user"]  # and every field of the notification (RecordAdminMixin)

    def object_buttons(self, request, obj):
        return [] if obj.email_state == EmailState.SENT else [Button("send_again", "Send the email again")]

    def press_button(self, request, obj, name):
        return email_retry(obj)

    @admin.action(description="Send the email again (failed or waiting ones)", permissions=["change"])
    def send_again(self, request, queryset):
        act_on_each(self, request, queryset.order_by("id"), email_retry, name=self.row_name)
