"""Portal pages of documents."""

from django.urls import URLPattern, path

from hostkeep.portal import views_documents

urlpatterns: list[URLPattern] = [
    path("documents/", views_documents.documents, name="documents"),
    path("documents/<int:document_id>/download/", views_documents.document_download, name="document_download"),
    path("documents/offer/", views_documents.offer, name="offer"),
    path("documents/statement/", views_documents.statement_request, name="statement_request"),
]
