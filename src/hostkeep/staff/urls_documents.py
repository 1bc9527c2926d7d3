"""Staff pages of documents."""

from django.urls import URLPattern, path

from hostkeep.staff import views_documents as views

urlpatterns: list[URLPattern] = [
    path("documents/", views.documents, name="documents"),
    path("documents/<int:document_id>/download/", views.document_download, name="document_download"),
    path("documents/<int:document_id>/regenerate/", views.document_regenerate, name="document_regenerate"),
    path("documents/<int:document_id>/translate/", views.document_translate, name="document_translate"),
    path("documents/statement/", views.statement_issue, name="documents_statement"),
    path("documents/export/<slug:name>.csv", views.export, name="documents_export"),
    path("documents/entities/", views.entities, name="documents_entities"),
    path("documents/entities/<int:entity_id>/", views.entity_edit, name="documents_entity_edit"),
]
