"""Turning Django's model validation into Hostkeep's ValidationFailed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from hostkeep.core.errors import ValidationFailed


def validated(instance: models.Model, *, exclude: list[str] | None = None) -> models.Model:
    """Run the model's field and constraint validation; refuse with per-field messages."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        raise ValidationFailed(_("Some values are not valid."), fields=fields) from None
    return instance
