"""Stripe's test payment methods (``pm_card_visa``, ``pm_card_chargeDeclined``, ...) and what they do.

Passing one of these ids where a PaymentMethod is expected makes a fresh ``pm_...`` with the
card's details, as Stripe does in test mode. Source: https://docs.stripe.com/testing and
https://docs.stripe.com/declines/codes. ``pm_sim_delayed`` is this simulator's own: a method
that settles later (``processing``), standing in for bank debits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    """A test method's card details and scripted behaviour.

    ``outcome``: ``succeed``; ``decline`` (with ``code``/``decline_code``/``message``);
    ``authenticate`` (3-D Secure on every payment: on-session it needs action, off-session it
    fails with ``authentication_required``); ``authenticate_unless_set_up`` (3-D Secure unless
    the card was saved to a customer first); ``processing`` (settles later).
    ``attach_fails``: Stripe validates a card when it is attached to a customer; decline cards
    fail there already, except ``pm_card_chargeCustomerFail``.
    """

    magic_id: str
    label: str
    brand: str
    last4: str
    outcome: str = "succeed"
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    attach_fails: bool = False
    funding: str = "credit"
    type: str = "card"


_DECLINED = "Your card was declined."

TEST_CARDS: dict[str, TestCard] = {
    card.magic_id: card
    for card in (
        TestCard("pm_card_visa", "Visa, succeeds", "visa", "4242"),
        TestCard("pm_card_visa_debit", "Visa debit, succeeds", "visa", "5556", funding="debit"),
        TestCard("pm_card_mastercard", "Mastercard, succeeds", "mastercard", "4444"),
        TestCard("pm_card_amex", "American Express, succeeds", "amex", "8431"),
        TestCard(
            "pm_card_chargeDeclined",
            "Declined (generic_decline)",
            "visa",
            "0002",
            outcome="decline",
            code="card_declined",
            decline_code="generic_decline",
            message=_DECLINED,
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedInsufficientFunds",
            "Declined (insufficient_funds)",
            "visa",
            "9995",
            outcome="decline",
            code="card_declined",
            decline_code="insufficient_funds",
            message="Your card has insufficient funds.",
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedLostCard",
            "Declined (lost_card)",
            "visa",
            "9987",
            outcome="decline",
            code="card_declined",
            decline_code="lost_card",
            message=_DECLINED,
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedStolenCard",
            "Declined (stolen_card)",
            "visa",
            "9979",
            outcome="decline",
            code="card_declined",
            decline_code="stolen_card",
            message=_DECLINED,
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedExpiredCard",
            "Declined (expired_card)",
            "visa",
            "0069",
            outcome="decline",
            code="expired_card",
            decline_code="expired_card",
            message="Your card has expired.",
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedIncorrectCvc",
            "Declined (incorrect_cvc)",
            "visa",
            "0127",
            outcome="decline",
            code="incorrect_cvc",
            decline_code="incorrect_cvc",
            message="Your card's security code is incorrect.",
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeDeclinedProcessingError",
            "Declined (processing_error)",
            "visa",
            "0119",
            outcome="decline",
            code="processing_error",
            decline_code="processing_error",
            message="An error occurred while processing your card. Try again in a little bit.",
            attach_fails=True,
        ),
        TestCard(
            "pm_card_chargeCustomerFail",
            "Attaches, then every charge is declined",
            "visa",
            "0341",
            outcome="decline",
            code="card_declined",
            decline_code="generic_decline",
            message=_DECLINED,
        ),
        TestCard(
            "pm_card_authenticationRequired",
            "3-D Secure required on every payment",
            "visa",
            "3184",
            outcome="authenticate",
        ),
        TestCard(
            "pm_card_authenticationRequiredOnSetup",
            "3-D Secure unless saved for off-session use first",
            "visa",
            "3155",
            outcome="authenticate_unless_set_up",
        ),
        TestCard(
            "pm_sim_delayed",
            "Delayed method (simulator only): processing, settles later",
            "visa",
            "0077",
            outcome="processing",
        ),
    )
}

#: Offered on the hosted Checkout page, in this order.
CHECKOUT_CHOICES = (
    "pm_card_visa",
    "pm_card_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_authenticationRequired",
    "pm_sim_delayed",
)

AUTHENTICATION_REQUIRED_MESSAGE = "Your card was declined. This transaction requires authentication."
