"""Staff pages of helpdesk."""

from django.urls import path

from hostkeep.staff import views_helpdesk as views
from hostkeep.staff import views_helpdesk_setup as setup

urlpatterns = [
    path("helpdesk/", views.queue, name="helpdesk_queue"),
    path("helpdesk/tickets/<int:ticket_id>/", views.ticket_detail, name="helpdesk_ticket"),
    path("helpdesk/tickets/<int:ticket_id>/reply/", views.ticket_reply, name="helpdesk_ticket_reply"),
    path("helpdesk/tickets/<int:ticket_id>/status/", views.ticket_status, name="helpdesk_ticket_status"),
    path("helpdesk/tickets/<int:ticket_id>/assign/", views.ticket_assign, name="helpdesk_ticket_assign"),
    path("helpdesk/tickets/<int:ticket_id>/escalate/", views.ticket_escalate, name="helpdesk_ticket_escalate"),
    path("helpdesk/tickets/<int:ticket_id>/update/", views.ticket_update, name="helpdesk_ticket_update"),
    path("helpdesk/tickets/<int:ticket_id>/time/", views.ticket_time, name="helpdesk_ticket_time"),
    path("helpdesk/tickets/<int:ticket_id>/charge/", views.ticket_charge, name="helpdesk_ticket_charge"),
    path(
        "helpdesk/tickets/<int:ticket_id>/canned/<int:canned_id>/",
        views.canned_reply_filled,
        name="helpdesk_canned_reply_filled",
    ),
    path("helpdesk/attachments/<int:attachment_id>/", views.attachment, name="helpdesk_attachment"),
    path("helpdesk/sla/", views.sla_breaches, name="helpdesk_sla"),
    path("helpdesk/reports/", views.reports, name="helpdesk_reports"),
    path("helpdesk/canned-replies/", views.canned_replies, name="helpdesk_canned_replies"),
    path("helpdesk/tickets/<int:ticket_id>/watchers/", setup.watcher_add, name="helpdesk_watcher_add"),
    path(
        "helpdesk/tickets/<int:ticket_id>/watchers/<int:contact_id>/remove/",
        setup.watcher_remove,
        name="helpdesk_watcher_remove",
    ),
    # Set-up: departments, SLA targets, mailboxes, widget keys, rates.
    path("helpdesk/setup/departments/", setup.departments, name="helpdesk_setup_departments"),
    path("helpdesk/setup/departments/<int:department_id>/", setup.departments, name="helpdesk_setup_department"),
    path("helpdesk/setup/sla/", setup.sla_targets, name="helpdesk_setup_sla"),
    path("helpdesk/setup/sla/<int:policy_id>/", setup.sla_targets, name="helpdesk_setup_sla_edit"),
    path("helpdesk/setup/sla/<int:policy_id>/delete/", setup.sla_target_delete, name="helpdesk_setup_sla_delete"),
    path("helpdesk/setup/mailboxes/", setup.mailboxes, name="helpdesk_setup_mailboxes"),
    path("helpdesk/setup/mailboxes/<int:mailbox_id>/", setup.mailboxes, name="helpdesk_setup_mailbox"),
    path("helpdesk/setup/mailboxes/<int:mailbox_id>/test/", setup.mailbox_test, name="helpdesk_setup_mailbox_test"),
    path("helpdesk/setup/widget-keys/", setup.widget_keys, name="helpdesk_setup_widget_keys"),
    path("helpdesk/setup/widget-keys/<int:key_id>/", setup.widget_key, name="helpdesk_setup_widget_key"),
    path(
        "helpdesk/setup/widget-keys/<int:key_id>/rotate/",
        setup.widget_key_rotate,
        name="helpdesk_setup_widget_key_rotate",
    ),
    path(
        "helpdesk/setup/widget-keys/<int:key_id>/revoke/",
        setup.widget_key_revoke,
        name="helpdesk_setup_widget_key_revoke",
    ),
    path("helpdesk/setup/rates/", setup.rates, name="helpdesk_setup_rates"),
    path(
        "helpdesk/setup/rates/agents/<int:rate_id>/delete/",
        setup.agent_rate_delete,
        name="helpdesk_setup_agent_rate_delete",
    ),
    path(
        "helpdesk/setup/rates/customers/<int:rate_id>/delete/",
        setup.customer_rate_delete,
        name="helpdesk_setup_customer_rate_delete",
    ),
]
