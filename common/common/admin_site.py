"""The Django admin, with the apps' admin modules imported when the admin is first used.

Django's AdminConfig imports every app's admin.py at startup (autodiscover). They serve
the admin only, which a service's API requests never reach, and they bring in what the
API does not use (the admin's forms, django.contrib.auth's admin, common.admin_services):
memory every process of every service held from its start. Here the site imports them
the first time anything asks what is registered: its URLs (the first request to
/admin/, or to the back office's prefix: common.urls, common.backoffice_urls), the
system checks (`manage.py check`), `get_model_admin` and `is_registered`.

INSTALLED_APPS names `common.admin_site.AdminConfig` where it would name
`django.contrib.admin`; the app is the same (label "admin", its models and templates).
"""

import threading
from types import ModuleType
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.core.checks import CheckMessage
from django.db.models import Model


class AdminSite(admin.AdminSite):
    """Django's site, which runs `admin.autodiscover()` once, on first use."""

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._discovered = False
        self._discovering = False
        # Reentrant: an admin module being imported may ask the site what is registered.
        self._discovery = threading.RLock()

    def discover(self) -> None:
        """Imports every app's admin module, once; a thread that asks meanwhile waits."""
        if self._discovered:
            return
        with self._discovery:
            if self._discovered or self._discovering:
                return
            self._discovering = True
            try:
                admin.autodiscover()
            finally:
                self._discovering = False
            self._discovered = True

    def get_urls(self) -> list[Any]:
        self.discover()
        return super().get_urls()

    def check(self, app_configs: Any) -> list[CheckMessage]:
        self.discover()
        return super().check(app_configs)

    def is_registered(self, model: type[Model]) -> bool:
        self.discover()
        return super().is_registered(model)

    def get_model_admin(self, model: type[Model]) -> "admin.ModelAdmin[Any]":
        self.discover()
        return super().get_model_admin(model)


class AdminConfig(SimpleAdminConfig):
    """django.contrib.admin without autodiscover at startup: its site discovers on first use."""

    default_site = "common.admin_site.AdminSite"

    def ready(self) -> None:
        super().ready()
        # The site made now, as autodiscover would make it: the admin's system checks check
        # the sites made so far (django.contrib.admin.sites.all_sites), and this one then
        # discovers (AdminSite.check).
        admin.site.name  # noqa: B018 (made on first attribute read)


class LazyAdminURLconf(ModuleType):
    """The site's URLconf, as a module for a URLResolver, whose `urlpatterns` the site makes
    when a request first resolves a path under it (or reverses an admin:... name), not
    when the service's URLconf is loaded."""

    def __init__(self, site: admin.AdminSite) -> None:
        super().__init__(f"{__name__}.urls")
        self.site = site

    @property
    def urlpatterns(self) -> list[Any]:
        return self.site.get_urls()
