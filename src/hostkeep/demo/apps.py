from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "hostkeep.demo"
    label = "demo"
    verbose_name = "Demo"
