"""Public endpoints of payments (no session): gateway notifications (webhooks, ITNs)."""

from django.urls import path

from hostkeep.payments import views

app_name = "payments"
urlpatterns = [
    path("gateways/<int:account_id>/notify/", views.gateway_notify, name="gateway_notify"),
]
