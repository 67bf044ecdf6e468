from django.conf import settings
from django.db import models

from common.models import TimeStampedModel


class FullName(TimeStampedModel):
    """4.3: owned by the account that created it (or that staff created it for)."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fullnames")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Address(TimeStampedModel):
    """4.4: owned like a full name."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.address}, {self.city}, {self.country}"


class Customer(TimeStampedModel):
    """4.5: one per account, linking it to one of its full names and addresses.
    Its cart lives in cart_service, keyed by the account id."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer")
    # The API deletes none of the three on its own; deleting one in the admin lists
    # the customer among what goes with it.
    fullname = models.ForeignKey(FullName, on_delete=models.CASCADE, related_name="customers")
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="customers")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.fullname} ({self.account})"
