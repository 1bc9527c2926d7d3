"""Public endpoints of helpdesk (no session): webhooks, callbacks, inbound mail, the widget."""

from django.urls import URLPattern

app_name = "helpdesk"
urlpatterns: list[URLPattern] = []
