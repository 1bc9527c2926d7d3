"""Portal pages of helpdesk."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
