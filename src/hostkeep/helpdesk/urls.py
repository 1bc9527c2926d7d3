"""Public endpoints of helpdesk (no session): webhooks, callbacks, inbound mail, the widget."""

from django.urls import path

from hostkeep.helpdesk import inbound, views

app_name = "helpdesk"
urlpatterns = [
    path("inbound/<str:secret>/", views.inbound_mail, name="inbound_mail"),
    path("widget/<str:key>.js", views.widget_script, name="widget_script"),
    path("widget/<str:key>/submit/", views.widget_submit, name="widget_submit"),
    *inbound.urlpatterns,  # django-anymail's inbound webhooks, one per e-mail service
]
