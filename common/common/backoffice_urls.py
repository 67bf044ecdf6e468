"""The URLconf of a request through the gateway's back office (common.backoffice):
the service's admin at the root of the prefix (/admin/<service>/), and nothing else
of the service (its API is reached through the gateway's /api/)."""

from django.contrib import admin
from django.urls import path

# Django's HTML error pages (the defaults): these are admin pages.
urlpatterns = [path("", admin.site.urls)]
