from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.models import Account, LoginFailure


class AccountCreationForm(UserCreationForm):
    class Meta:
        model = Account
        fields = ["username", "email"]


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = Account
        fields = "__all__"


@admin.register(Account)
class AccountAdmin(UserAdmin):
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
