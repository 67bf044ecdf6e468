from django.urls import path, register_converter

from common.converters import IdConverter
from notifications import views

register_converter(IdConverter, "id")

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/<id:notification_id>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("events/", views.EventsView.as_view(), name="events"),
]
