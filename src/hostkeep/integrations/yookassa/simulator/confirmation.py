"""The buyer's confirmation page at ``confirmation.confirmation_url`` (a bank card form).

Paying holds or takes the money; a decline cancels the payment with the chosen reason; either
way the buyer is sent to ``return_url``, which by itself proves nothing (re-fetch the payment).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from hostkeep.integrations.gatewaysim.pages import button, page, radio, rows
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.yookassa.simulator import payments

if TYPE_CHECKING:
    from hostkeep.integrations.yookassa.simulator.simulator import YooKassaSimulator

PATH = "/checkout/payments/v2/contract"
_CHOICES = (
    ("succeeded", "Card 5555 5555 5555 4444: payment succeeds"),
    ("insufficient_funds", "Declined: insufficient_funds"),
    ("3d_secure_failed", "Declined: 3d_secure_failed"),
    ("card_expired", "Declined: card_expired"),
    ("fraud_suspected", "Declined: fraud_suspected"),
    ("general_decline", "Declined: general_decline"),
)


def register(simulator: YooKassaSimulator, router: Router) -> None:
    router.add("GET", PATH, lambda request: _page(simulator, request))
    router.add("POST", PATH, lambda request: _submit(simulator, request))


def _page(simulator: YooKassaSimulator, request: SimulatorRequest) -> SimulatorResponse:
    payment_id = request.query_value("orderId") or ""
    with simulator.lock:
        payment = simulator.payments.get(payment_id)
        if payment is None:
            return SimulatorResponse.html(404, page("Payment not found", "", gateway=simulator.name))
        if payment["status"] != "pending" or "confirmation" not in payment:
            return SimulatorResponse.html(
                200, page("YooKassa", f"<p>This payment is {escape(payment['status'])}.</p>", gateway=simulator.name)
            )
        summary = [
            ("Shop", simulator.shop_id),
            ("Description", payment.get("description") or ""),
            ("Amount", f"{payment['amount']['value']} {payment['amount']['currency']}"),
        ]
    choices = "".join(
        radio("outcome", value, label, checked=index == 0) for index, (value, label) in enumerate(_CHOICES)
    )
    body = (
        f"<div class='box'>{rows(summary)}</div><form method='post'><div class='box'>{choices}</div>"
        f"{button('pay', 'Pay')}{button('leave', 'Return to the shop without paying')}</form>"
    )
    return SimulatorResponse.html(200, page("Payment", body, gateway=simulator.name))


def _submit(simulator: YooKassaSimulator, request: SimulatorRequest) -> SimulatorResponse:
    payment_id = request.query_value("orderId") or ""
    form = dict(request.form_pairs())
    with simulator.lock:
        payment = simulator.payments.get(payment_id)
        if payment is None or payment["status"] != "pending" or "confirmation" not in payment:
            return _page(simulator, request)
        return_url = payment["confirmation"]["return_url"]
        if form.get("action") != "leave":
            outcome = form.get("outcome") or "succeeded"
            payments.confirm(
                simulator,
                payment_id,
                succeeded=outcome == "succeeded",
                reason=outcome if outcome != "succeeded" else "general_decline",
                party=None,
            )
    return SimulatorResponse.redirect(return_url)
