"""Portal pages of provisioning."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
