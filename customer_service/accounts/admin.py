"""Accounts in the admin, changed through accounts.services as the API changes them: made
by account_create (4.1: the password validators, a username or email taken in any case,
account.created and its welcome email), deactivated or reactivated (4.2, short of
deleting: no more logins or token refreshes), and deleted by account_delete (4.2: its
customer, names and addresses with it), from the list or the account's page. Username,
email and active flag are not edited by hand; staff flags and permissions are the
admin's own settings."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts import services
from accounts.models import Account, LoginFailure
from common.admin_services import Button, ObjectButtonsMixin, ServiceAdminMixin, act_on_each, admin_caller


class AccountCreationForm(UserCreationForm):
    class Meta:
        model = Account
        fields = ["username", "email"]


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = Account
        fields = "__all__"


def account_deactivate(request, account: Account) -> str:
    _, changed = services.account_deactivate(account_id=account.pk, caller=admin_caller(request))
    return "deactivated" if changed else "already inactive"


def account_reactivate(request, account: Account) -> str:
    _, changed = services.account_reactivate(account_id=account.pk, caller=admin_caller(request))
    return "reactivated" if changed else "already active"


@admin.register(Account)
class AccountAdmin(ServiceAdminMixin, ObjectButtonsMixin, UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ["id", "username", "email", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "email"]
    ordering = ["id"]
    fieldsets = [
        (None, {"fields": ["username", "email", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]}),
    ]
    refusal_fields = {"password": "password1"}
    actions = ["deactivate", "reactivate"]
    button_names = ("deactivate", "reactivate")

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["username", "email", "is_active", "last_login", "date_joined"]

    def service_save(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            return services.account_create(username=data["username"], email=data["email"], password=data["password1"])
        obj.save()  # staff flags and permissions: the admin's own settings, no service rule
        return obj

    def service_delete(self, request, obj):
        services.account_delete(account_id=obj.pk, caller=admin_caller(request))

    def get_deleted_objects(self, objs, request):
        # Its customer, full names and addresses go with the account (4.2), though the
        # admin deletes none of them on its own.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def row_name(self, obj):
        return f"Account {obj.pk} ({obj.username})"

    def object_buttons(self, request, obj):
        return [Button("deactivate", "Deactivate")] if obj.is_active else [Button("reactivate", "Reactivate")]

    def press_button(self, request, obj, name):
        return (account_deactivate if name == "deactivate" else account_reactivate)(request, obj)

    @admin.action(description="Deactivate the selected accounts (no more logins)", permissions=["change"])
    def deactivate(self, request, queryset):
        act_on_each(
            self, request, queryset.order_by("id"), lambda a: account_deactivate(request, a), name=self.row_name
        )

    @admin.action(description="Reactivate the selected accounts", permissions=["change"])
    def reactivate(self, request, queryset):
        act_on_each(
            self, request, queryset.order_by("id"), lambda a: account_reactivate(request, a), name=self.row_name
        )


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Read-only: who is failing to log in, from where (recent failures only)."""

    list_display = ["failed_at", "username_key", "address"]
    search_fields = ["username_key", "address"]
    date_hierarchy = "failed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
