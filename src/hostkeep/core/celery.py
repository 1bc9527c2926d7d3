"""The Celery application used when HOSTKEEP_TASKS=celery (tasks are still django.tasks)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostkeep.config.settings")

app = Celery("hostkeep")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A worker learns a django.tasks job only when the module defining it is imported (the
# CeleryBackend registers it then), so import every installed app's tasks.py at start-up.
app.autodiscover_tasks()
