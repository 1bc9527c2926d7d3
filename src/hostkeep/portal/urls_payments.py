"""Portal pages of payments."""

from django.urls import path

from hostkeep.portal import views_payments

urlpatterns = [
    path("payments/", views_payments.payments, name="payments"),
    path("payments/pay/", views_payments.payment_pay, name="payment_pay"),
    path("payments/<int:payment_id>/", views_payments.payment_detail, name="payment_detail"),
    path("payments/<int:payment_id>/return/", views_payments.payment_return, name="payment_return"),
    path("payments/methods/<int:method_id>/default/", views_payments.method_default, name="payment_method_default"),
    path("payments/methods/<int:method_id>/remove/", views_payments.method_remove, name="payment_method_remove"),
]
