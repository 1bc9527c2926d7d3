"""The registry of provisioning modules.

Modules live in ``integrations/<name>/module.py`` and register themselves with ``@modules.register``.
Provisioning cannot import them (integrations import the interface, not the other way), so the
packages named in ``settings.PROVISIONING_MODULES`` are imported here once, at start-up; this is
the only place modules are loaded by name. Each module's product settings schema is also
registered with the catalogue, which validates products against it.
"""

from __future__ import annotations

import importlib

from django.conf import settings

from hostkeep.catalog.modules import register_module_schema
from hostkeep.core.registry import Registry
from hostkeep.provisioning.interface import ProvisioningModule

modules: Registry[ProvisioningModule] = Registry("provisioning module")

DEFAULT_MODULES = (
    "hostkeep.integrations.pterodactyl.module",
    "hostkeep.integrations.manual.module",
)


def load_modules() -> None:
    """Import every configured module package and publish its product settings schema."""
    for path in getattr(settings, "PROVISIONING_MODULES", DEFAULT_MODULES):
        importlib.import_module(path)
    for module in modules:
        register_module_schema(name=module.name, label=str(module.label), schema=module.product_settings_schema)


def module_class(name: str) -> type[ProvisioningModule]:
    return modules.get(name)
