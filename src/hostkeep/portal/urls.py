from django.urls import path

from hostkeep.portal import views, views_billing, views_ordering, views_services

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("switch/<int:customer_id>/", views.switch_account, name="switch_account"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("legal-entities/", views.legal_entities, name="legal_entities"),
    path("legal-entities/<int:entity_id>/", views.legal_entity_edit, name="legal_entity_edit"),
    path("legal-entities/<int:entity_id>/delete/", views.legal_entity_delete, name="legal_entity_delete"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("activity/", views.activity, name="activity"),
    path("catalogue/", views_ordering.catalogue, name="catalogue"),
    path("catalogue/<slug:slug>/", views_ordering.product_order, name="product_order"),
    path("catalogue/<slug:slug>/quote/", views_ordering.product_quote, name="product_quote"),
    path("cart/", views_ordering.cart, name="cart"),
    path("cart/<int:item_id>/remove/", views_ordering.cart_remove, name="cart_remove"),
    path("cart/checkout/", views_ordering.checkout, name="checkout"),
    path("orders/", views_ordering.orders, name="orders"),
    path("services/", views_services.services, name="services"),
    path("services/<int:service_id>/", views_services.service_detail, name="service_detail"),
    path("services/<int:service_id>/change/", views_services.service_change_preview, name="service_change_preview"),
    path("services/<int:service_id>/change/confirm/", views_services.service_change_apply, name="service_change_apply"),
    path("services/<int:service_id>/cancel/", views_services.service_cancel, name="service_cancel"),
    path("billing/", views_billing.billing, name="billing"),
    path("billing/promised-payment/", views_billing.promised_payment_take, name="promised_payment_take"),
    path("billing/top-up/", views_billing.top_up, name="top_up"),
    path("invoices/", views_billing.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/", views_billing.invoice_detail, name="invoice_detail"),
]
