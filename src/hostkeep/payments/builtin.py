"""The manual "gateway": money staff received outside Hostkeep (cash, a card machine, a
transfer matched by hand), entered with a reason. It has no remote side."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hostkeep.payments.interface import Capability, Gateway, gateways


@gateways.register
class ManualGateway(Gateway):
    name = "manual"
    label = _("Manual payment (entered by staff)")
    capabilities = frozenset({Capability.OFFLINE})
