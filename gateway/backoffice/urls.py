"""The back office at /admin/: the staff home, login, logout, and every service's admin
under /admin/<service>/."""

from django.urls import path, re_path

from backoffice import views

urlpatterns = [
    path("", views.home, name="backoffice-home"),
    path("login/", views.login, name="backoffice-login"),
    path("logout/", views.logout, name="backoffice-logout"),
    re_path(r"^(?P<service>[^/]+)/(?P<rest>.*)$", views.admin_forward, name="backoffice-forward"),
]
