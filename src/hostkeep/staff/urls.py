from django.urls import path

from hostkeep.staff import (
    urls_documents,
    urls_helpdesk,
    urls_notifications,
    urls_payments,
    urls_provisioning,
    views,
    views_billing,
    views_services,
)

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("team/", views.team, name="team"),
    path("audit/", views.audit, name="audit"),
    path("services/", views_services.services, name="services"),
    path("services/<int:service_id>/", views_services.service_detail, name="service_detail"),
    *(
        path(
            f"services/<int:service_id>/{verb}/",
            views_services.service_transition,
            {"verb": verb},
            name=f"service_{verb}",
        )
        for verb in views_services.TRANSITIONS
    ),
    path("services/<int:service_id>/change-plan/", views_services.service_change_plan, name="service_change_plan"),
    path("services/<int:service_id>/due-date/", views_services.service_due_date, name="service_due_date"),
    path("orders/", views_services.orders, name="orders"),
    path("orders/<int:order_id>/approve/", views_services.order_approve, name="order_approve"),
    path("catalogue/", views_services.catalogue, name="catalogue"),
    path("customers/<int:customer_id>/billing/", views_billing.customer_billing, name="customer_billing"),
    *(
        path(
            f"customers/<int:customer_id>/billing/{verb}/",
            views_billing.customer_money,
            {"verb": verb},
            name=f"customer_{verb}",
        )
        for verb in views_billing.MONEY_ACTIONS
    ),
    path("invoices/", views_billing.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/", views_billing.invoice_detail, name="invoice_detail"),
    *(
        path(
            f"invoices/<int:invoice_id>/{verb}/",
            views_billing.invoice_action,
            {"verb": verb},
            name=f"invoice_{verb.replace('-', '_')}",
        )
        for verb in views_billing.INVOICE_ACTIONS
    ),
    path("receivables/", views_billing.receivables, name="receivables"),
    path("billing-runs/", views_billing.billing_runs, name="billing_runs"),
    *urls_payments.urlpatterns,
    *urls_provisioning.urlpatterns,
    *urls_helpdesk.urlpatterns,
    *urls_notifications.urlpatterns,
    *urls_documents.urlpatterns,
]
