from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hostkeep.api"
    label = "api"
