"""Portal pages of notifications."""

from django.urls import URLPattern, path

from hostkeep.portal import views_notifications

urlpatterns: list[URLPattern] = [
    path("notifications/", views_notifications.notifications, name="notifications"),
    path("notifications/read/", views_notifications.notifications_read, name="notifications_read"),
    path("notifications/settings/", views_notifications.notification_preferences, name="notification_preferences"),
]
