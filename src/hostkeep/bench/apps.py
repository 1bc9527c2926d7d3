from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "hostkeep.bench"
    label = "bench"
    verbose_name = "Benchmarks"
