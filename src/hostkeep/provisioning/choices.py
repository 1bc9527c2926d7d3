from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionKind(models.TextChoices):
    CREATE = "create", _("Create")
    SUSPEND = "suspend", _("Suspend")
    UNSUSPEND = "unsuspend", _("Unsuspend")
    TERMINATE = "terminate", _("Terminate")
    CHANGE_PACKAGE = "change_package", _("Change package")


class ActionStatus(models.TextChoices):
    """An action's life: PENDING (due to run) -> RUNNING -> SUCCEEDED | FAILED | SUPERSEDED, with
    WAITING (the panel is still working: poll again) and UNKNOWN (the last call's outcome is not
    known: the next attempt looks the object up before acting)."""

    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting for the panel")
    UNKNOWN = "unknown", _("Outcome unknown")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_ACTION_STATUSES = frozenset({ActionStatus.PENDING, ActionStatus.WAITING, ActionStatus.UNKNOWN})
UNFINISHED_ACTION_STATUSES = OPEN_ACTION_STATUSES | {ActionStatus.RUNNING}


class ServerState(models.TextChoices):
    """The remote object as we last saw it."""

    NONE = "none", _("Not created")
    INSTALLING = "installing", _("Installing")
    READY = "ready", _("Running")
    SUSPENDED = "suspended", _("Suspended")
    INSTALL_FAILED = "install_failed", _("Installation failed")
    AWAITING_STAFF = "awaiting_staff", _("Being set up by our staff")
    DELETED = "deleted", _("Deleted")
    MISSING = "missing", _("Missing on the panel")


class TaskKind(models.TextChoices):
    FAILED_ACTION = "failed_action", _("Failed provisioning action")
    MANUAL_SETUP = "manual_setup", _("Set up by hand")
    MANUAL_CHANGE = "manual_change", _("Change by hand")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class DriftKind(models.TextChoices):
    MISSING_ON_PANEL = "missing_on_panel", _("Billed but missing on the panel")
    STATE_MISMATCH = "state_mismatch", _("State differs")
    UNKNOWN_ON_PANEL = "unknown_on_panel", _("On the panel but not live in billing")
