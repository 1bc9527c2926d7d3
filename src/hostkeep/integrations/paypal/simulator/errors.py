"""PayPal's REST error JSON: ``{name, message, debug_id, details[{field, value, location, issue,
description}], links}``, with the ``debug_id`` also in the ``Paypal-Debug-Id`` header."""

from __future__ import annotations

from typing import Any

from hostkeep.integrations.gatewaysim.identifiers import random_token

MESSAGES = {
    "INVALID_REQUEST": "Request is not well-formed, syntactically incorrect, or violates schema.",
    "AUTHENTICATION_FAILURE": (
        "Authentication failed due to invalid authentication credentials or a missing Authorization header."
    ),
    "NOT_AUTHORIZED": "Authorization failed due to insufficient permissions.",
    "RESOURCE_NOT_FOUND": "The specified resource does not exist.",
    "METHOD_NOT_SUPPORTED": "The server does not implement the requested HTTP method.",
    "UNSUPPORTED_MEDIA_TYPE": "The server does not support the request payload's media type.",
    "UNPROCESSABLE_ENTITY": (
        "The requested action could not be performed, semantically incorrect, or failed business validation."
    ),
    "RATE_LIMIT_REACHED": "Too many requests. Blocked due to rate limiting.",
    "INTERNAL_SERVER_ERROR": "An internal server error has occurred.",
}

ISSUES = {
    "ORDER_NOT_APPROVED": (
        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url "
        "returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in "
        "the request."
    ),
    "ORDER_ALREADY_CAPTURED": "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
    "INSTRUMENT_DECLINED": (
        "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment."
    ),
    "PAYER_ACTION_REQUIRED": ("Transaction cannot complete successfully, instruct the buyer to return to PayPal."),
    "DUPLICATE_INVOICE_ID": (
        "Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires "
        "that Invoice Id be unique for each transaction."
    ),
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED": ("You have exceeded the maximum number of payment attempts."),
    "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded.",
    "REFUND_AMOUNT_EXCEEDED": (
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded."
    ),
    "REFUND_NOT_ALLOWED": "Refund is not allowed for a capture in its current status.",
    "REFUND_CAPTURE_CURRENCY_MISMATCH": "Refund must be in the same currency as the capture.",
    "PAYPAL_REQUEST_ID_REQUIRED": (
        "A PayPal-Request-Id is required if you are trying to process payment for an Order. Please specify a "
        "PayPal-Request-Id or Create the Order without a 'payment_source' specified."
    ),
    "PREVIOUS_REQUEST_IN_PROGRESS": (
        "A previous request on this resource is currently in progress. Please wait for some time and try again."
    ),
    "INVALID_RESOURCE_ID": "Specified resource ID does not exist. Please check the resource ID and try again.",
    "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
    "INVALID_PARAMETER_VALUE": "The value of a field is invalid.",
    "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
    "INVALID_STRING_LENGTH": "The value of a field is either too short or too long.",
    "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
    "AMOUNT_MISMATCH": (
        "Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount."
    ),
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "WEBHOOK_URL_ALREADY_EXISTS": "Webhook URL already exists.",
}

STATUS_NAMES = {
    400: "INVALID_REQUEST",
    401: "AUTHENTICATION_FAILURE",
    403: "NOT_AUTHORIZED",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_SUPPORTED",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "RATE_LIMIT_REACHED",
    500: "INTERNAL_SERVER_ERROR",
}


class PayPalError(Exception):
    """A non-2xx answer; ``issue`` fills ``details[0]`` (``ORDER_NOT_APPROVED`` ...)."""

    def __init__(
        self,
        status: int,
        issue: str | None = None,
        *,
        field: str | None = None,
        value: str | None = None,
        location: str = "body",
        description: str | None = None,
        extra_links: list[dict[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.name = STATUS_NAMES.get(status, "INTERNAL_SERVER_ERROR")
        self.issue = issue
        self.field = field
        self.value = value
        self.location = location
        self.description = description or (ISSUES.get(issue, "") if issue else "")
        self.extra_links = extra_links or []
        super().__init__(f"{self.name}: {issue}")

    def body(self) -> tuple[dict[str, Any], str]:
        debug_id = random_token(13).lower()
        payload: dict[str, Any] = {"name": self.name, "message": MESSAGES.get(self.name, ""), "debug_id": debug_id}
        if self.issue:
            detail: dict[str, Any] = {"issue": self.issue, "description": self.description}
            if self.field is not None:
                detail.update({"field": self.field, "location": self.location})
            if self.value is not None:
                detail["value"] = self.value
            payload["details"] = [detail]
        payload["links"] = [
            *self.extra_links,
            {
                "href": f"https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{self.issue or self.name}",
                "rel": "information_link",
                "method": "GET",
            },
        ]
        return payload, debug_id
