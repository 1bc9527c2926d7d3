"""Portal pages of payments."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
