"""Bank transfer as a gateway: the customer is shown the provider's bank details and a
reference (``HK`` + payment number + check digit); the money arrives on a bank statement that
staff import (``payments.statements``). Refunds are paid by hand, so recording one completes it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hostkeep.payments.interface import Capability, Gateway, PaymentRequest, Redirect, gateways


@gateways.register
class BankTransferGateway(Gateway):
    name = "bank"
    label = _("Bank transfer")
    capabilities = frozenset({Capability.CHECKOUT, Capability.OFFLINE})
    config_fields = ("bank_name", "account_holder", "account_number", "branch_code", "swift")

    def start_payment(self, request: PaymentRequest) -> Redirect:
        """Nothing to call: the page shows the bank details and the payment's reference."""
        return Redirect(url="", gateway_payment_id="")
