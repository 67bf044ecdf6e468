from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/<id:notification_id>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("events/", views.EventsView.as_view(), name="events"),
]
