"""Staff pages of provisioning."""

from django.urls import URLPattern, path

from hostkeep.staff import views_provisioning as views

urlpatterns: list[URLPattern] = [
    path("provisioning/", views.overview, name="provisioning"),
    path("provisioning/connections/add/", views.connection_add, name="provisioning_connection_add"),
    path(
        "provisioning/connections/<int:connection_id>/test/",
        views.connection_test,
        name="provisioning_connection_test",
    ),
    path("provisioning/reconcile/", views.reconcile, name="provisioning_reconcile"),
    path("provisioning/services/<int:service_id>/", views.service, name="provisioning_service"),
    path("provisioning/services/<int:service_id>/retry/", views.service_retry, name="provisioning_retry"),
    path("provisioning/services/<int:service_id>/refund/", views.service_refund, name="provisioning_refund"),
    path("provisioning/tasks/<int:task_id>/done/", views.task_resolve, name="provisioning_task_resolve"),
]
