from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AccountManager(BaseUserManager["Account"]):
    def get_by_natural_key(self, username):
        # Usernames are unique regardless of case, so logging in ignores case too.
        return self.get(username__iexact=username)

    def create_user(self, username: str, email: str, password: str | None = None, **extra) -> "Account":
        account = self.model(username=username, email=email.strip().lower(), **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra) -> "Account":
        return self.create_user(username, email, password, is_staff=True, is_superuser=True, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    """A login. Its id is the `user_id` of every other service."""

    # ASCII only, so a database-side lower() (ASCII on SQLite) folds every letter
    # and the case-insensitive unique constraints hold on both databases.
    username = models.CharField(
        max_length=150,
        unique=True,
        validators=[ASCIIUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @ . + - _ only.",
    )
    email = models.EmailField(max_length=254)  # stored lower-case
    is_staff = models.BooleanField(default=False, help_text="May use the admin and staff-only API calls.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set by following the link of the verification email (or of a password reset, which
    # proves the same); what an unverified account may not do is order_service's setting.
    email_verified = models.BooleanField(default=False)
    # When the last email with a link was asked for: one per ACCOUNT_EMAIL_INTERVAL_SECONDS.
    verification_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    password_reset_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["id"]
        constraints = [
            # The messages are what a form checking them says (the admin's); the API's 409s
            # come from accounts.services first.
            models.UniqueConstraint(
                Lower("username"),
                name="account_username_unique_any_case",
                violation_error_message="An account with this username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="account_email_unique_any_case",
                violation_error_message="An account with this email already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.username


class LoginFailure(models.Model):
    """One failed login (or one being checked), kept for the throttling window:
    counted per username and per client address by every replica alike."""

    username_key = models.CharField(max_length=150, db_index=True)  # lower-cased as typed
    address = models.CharField(max_length=45, db_index=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.username_key} from {self.address} at {self.failed_at:%Y-%m-%d %H:%M:%S}"
