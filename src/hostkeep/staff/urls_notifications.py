"""Staff pages of notifications."""

from django.urls import URLPattern, path

from hostkeep.staff import views_notifications as views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/log/", views.delivery_log, name="notification_log"),
    path("notifications/log/<int:delivery_id>/retry/", views.delivery_retry, name="notification_retry"),
    path("notifications/templates/", views.templates, name="notification_templates"),
    path(
        "notifications/templates/<str:topic>/<slug:channel>/<slug:language>/",
        views.template_edit,
        name="notification_template",
    ),
    path("notifications/endpoints/", views.endpoints, name="notification_endpoints"),
    path(
        "notifications/endpoints/<int:endpoint_id>/delete/", views.endpoint_delete, name="notification_endpoint_delete"
    ),
    path("notifications/channels/", views.channel_account_save, name="notification_channel_account"),
    path("notifications/allowed-hosts/", views.allowed_host_add, name="notification_allowed_host_add"),
    path(
        "notifications/allowed-hosts/<int:host_id>/remove/",
        views.allowed_host_remove,
        name="notification_allowed_host_remove",
    ),
]
