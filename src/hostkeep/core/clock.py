"""The one place Hostkeep asks what time it is.

Tests set the time with time-machine, which this reads through; code that decides something
by date takes an explicit ``at`` argument where a caller may need another instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def provider_zone() -> zoneinfo.ZoneInfo:
    """The provider's time zone (TIME_ZONE), in which due dates and periods are counted."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_now() -> dt.datetime:
    return now().astimezone(provider_zone())


def today() -> dt.date:
    """Today's date in the provider's time zone."""
    return local_now().date()
