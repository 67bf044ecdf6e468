"""The pages the account emails link to (customer_service's ACCOUNT_LINKS_BASE_URL is the
gateway's address by default), for a shop without a front end of its own."""

from django.urls import path

from account_pages import views

urlpatterns = [
    path("verify-email/", views.verify_email, name="verify-email"),
    path("reset-password/", views.reset_password, name="reset-password"),
]
