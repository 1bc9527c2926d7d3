from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from hostkeep.api.api import api
from hostkeep.portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("i18n/language/", portal_views.language_switch, name="language_switch"),
    path("accounts/", include("allauth.urls")),
    path("portal/", include("hostkeep.portal.urls")),
    path("staff/", include("hostkeep.staff.urls")),
    path("api/v1/", api.urls),
    path("payments/", include("hostkeep.payments.urls")),
    path("helpdesk/", include("hostkeep.helpdesk.urls")),
    path("config/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
