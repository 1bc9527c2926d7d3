"""Staff pages of helpdesk."""

from django.urls import path

from hostkeep.staff import views_helpdesk as views

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
]
