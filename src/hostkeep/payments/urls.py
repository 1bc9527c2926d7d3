"""Public endpoints of payments (no session): webhooks, callbacks, inbound mail, the widget."""

from django.urls import URLPattern

app_name = "payments"
urlpatterns: list[URLPattern] = []
