"""Staff pages of payments."""

from django.urls import path

from hostkeep.staff import views_payments

urlpatterns = [
    path("payments/", views_payments.payments, name="payments"),
    path("payments/review/", views_payments.review_queue, name="payments_review"),
    path("payments/bank/", views_payments.bank, name="payments_bank"),
    path("payments/bank/statements/", views_payments.statement_upload, name="payments_statement_upload"),
    path(
        "payments/bank/lines/<int:line_id>/assign/", views_payments.statement_line_assign, name="payments_line_assign"
    ),
    path("payments/manual/", views_payments.manual_payment, name="payments_manual"),
    path("payments/gateways/", views_payments.gateway_accounts, name="payments_gateways"),
    path("payments/gateways/new/", views_payments.gateway_account_edit, name="payments_gateway_new"),
    path("payments/gateways/<int:account_id>/", views_payments.gateway_account_edit, name="payments_gateway_edit"),
    path("payments/<int:payment_id>/", views_payments.payment_detail, name="payment_detail"),
    path("payments/<int:payment_id>/refund/", views_payments.payment_refund, name="payment_refund"),
    path("payments/<int:payment_id>/review/", views_payments.payment_review, name="payment_review"),
]
