"""Portal pages of helpdesk."""

from django.urls import path

from hostkeep.portal import views_helpdesk as views

urlpatterns = [
    path("tickets/", views.tickets, name="helpdesk_tickets"),
    path("tickets/new/", views.ticket_new, name="helpdesk_ticket_new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="helpdesk_ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="helpdesk_ticket_reply"),
    path("tickets/<int:ticket_id>/resolve/", views.ticket_close, name="helpdesk_ticket_close"),
    path("tickets/<int:ticket_id>/rate/", views.ticket_rate, name="helpdesk_ticket_rate"),
    path("tickets/attachments/<int:attachment_id>/", views.attachment, name="helpdesk_attachment"),
]
