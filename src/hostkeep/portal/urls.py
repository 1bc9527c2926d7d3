from django.urls import path

from hostkeep.portal import views

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
]
