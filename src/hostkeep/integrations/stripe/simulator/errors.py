"""Stripe's error JSON: ``{"error": {type, code, decline_code, message, param, doc_url, ...}}``."""

from __future__ import annotations

from typing import Any

ERROR_TYPES = ("api_error", "card_error", "idempotency_error", "invalid_request_error")


class StripeError(Exception):
    """An API answer other than 200, raised by an endpoint and rendered by the simulator.

    ``saved`` says whether the idempotency layer keeps this answer for replays. Stripe saves
    results "once execution begins": card declines and 500s are saved, parameter validation
    failures are not (the client may fix the request and retry under the same key).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        payment_intent: dict[str, Any] | None = None,
        setup_intent: dict[str, Any] | None = None,
        payment_method: dict[str, Any] | None = None,
        charge: str | None = None,
        saved: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.decline_code = decline_code
        self.param = param
        self.payment_intent = payment_intent
        self.setup_intent = setup_intent
        self.payment_method = payment_method
        self.charge = charge
        self.saved = type in ("card_error", "api_error") if saved is None else saved

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        optional = {
            "decline_code": self.decline_code,
            "param": self.param,
            "payment_intent": self.payment_intent,
            "setup_intent": self.setup_intent,
            "payment_method": self.payment_method,
            "charge": self.charge,
        }
        error.update({key: value for key, value in optional.items() if value is not None})
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str) -> StripeError:
    return StripeError(400, message, code="payment_intent_unexpected_state")
