from django.urls import path

from hostkeep.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("team/", views.team, name="team"),
    path("audit/", views.audit, name="audit"),
]
