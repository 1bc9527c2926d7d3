"""The product settings each provisioning module declares, as a JSON schema.

Catalog sits below provisioning, so modules register their product-settings schema here
(provisioning does it when it loads its registry); catalog validates a product's settings
against it on every save. ``""`` (no module) takes no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema
from django.utils.translation import gettext as _

from hostkeep.core.errors import ValidationFailed


@dataclass(frozen=True)
class ModuleSettingsSchema:
    name: str
    label: str
    schema: dict[str, Any]


_SCHEMAS: dict[str, ModuleSettingsSchema] = {}
NO_MODULE = ModuleSettingsSchema(name="", label="—", schema={"type": "object", "maxProperties": 0})


def register_module_schema(*, name: str, label: str, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    _SCHEMAS[name] = ModuleSettingsSchema(name=name, label=label, schema=schema)


def module_choices() -> list[tuple[str, str]]:
    return [("", _("No provisioning"))] + [(s.name, s.label) for s in sorted(_SCHEMAS.values(), key=lambda s: s.name)]


def validate_module_settings(module: str, settings: Any) -> dict[str, Any]:
    """Refuse settings that do not match the module's schema, naming each wrong field."""
    declared = NO_MODULE if not module else _SCHEMAS.get(module)
    if declared is None:
        raise ValidationFailed(_("Unknown provisioning module."), fields={"module": [_("Not a known module.")]})
    if not isinstance(settings, dict):
        raise ValidationFailed(
            _("Module settings must be an object."), fields={"module_settings": [_("Not an object.")]}
        )
    validator = jsonschema.Draft202012Validator(declared.schema)
    problems: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(settings), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.path) or "module_settings"
        problems.setdefault(where, []).append(error.message)
    if problems:
        raise ValidationFailed(_("The module settings are not valid."), fields=problems)
    return settings
