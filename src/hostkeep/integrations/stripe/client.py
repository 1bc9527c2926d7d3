"""Stripe over the official SDK: one configured ``StripeClient`` per call site, with a timeout,
no SDK retries (our jobs retry), and Stripe's errors turned into Hostkeep's."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.core.money import Money, minor_units
from hostkeep.integrations.stripe.schemas import StripeConfig
from hostkeep.payments.interface import GatewayDeclined


def to_minor(amount: Money) -> int:
    return int(amount.rounded().amount.scaleb(minor_units(amount.currency)))


def from_minor(value: int, currency: str) -> Money:
    code = currency.upper()
    return Money(Decimal(value).scaleb(-minor_units(code)), code)


def make_client(config: StripeConfig) -> stripe.StripeClient:
    return stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": config.api_base},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=config.timeout),
    )


def call[T](operation: Callable[[], T]) -> T:
    """Run one SDK call; network trouble, 5xx and 429 are retryable, card errors declines."""
    try:
        return operation()
    except stripe.CardError as error:
        raise GatewayDeclined(error.user_message or str(error), code=error.code or "card_declined") from error
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise RetryableError(f"Stripe: {error.user_message or error}") from error
    except stripe.IdempotencyError as error:
        raise RetryableError(f"Stripe: {error.user_message or error}") from error
    except stripe.InvalidRequestError as error:
        if error.http_status == 409:
            raise RetryableError(f"Stripe: {error.user_message or error}") from error
        raise GatewayDeclined(error.user_message or str(error), code=error.code or "invalid_request") from error
    except stripe.StripeError as error:
        if (error.http_status or 500) >= 500:
            raise RetryableError(f"Stripe: {error.user_message or error}") from error
        raise TerminalError(f"Stripe: {error.user_message or error}") from error


def as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
