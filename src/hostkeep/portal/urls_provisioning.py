"""Portal pages of provisioning."""

from django.urls import URLPattern, path

from hostkeep.portal import views_provisioning

urlpatterns: list[URLPattern] = [
    path("services/<int:service_id>/panel/", views_provisioning.service_panel, name="service_panel"),
    path(
        "services/<int:service_id>/panel-password/",
        views_provisioning.service_panel_password,
        name="service_panel_password",
    ),
]
