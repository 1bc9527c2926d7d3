"""The PayFast simulator: accounts, transactions, subscriptions, ITNs and the test controls.

The hosted form and ITN validation live in :mod:`.checkout`, the REST API (subscriptions, ad hoc
charges, refunds) in :mod:`.api`. ITNs are form-encoded POSTs signed inside the body; only an
HTTP 200 counts as received.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hostkeep.integrations.gatewaysim.identifiers import uuid4
from hostkeep.integrations.gatewaysim.server import Router, SimulatorRequest, SimulatorResponse
from hostkeep.integrations.gatewaysim.simulator import GatewaySimulator
from hostkeep.integrations.payfast.simulator import api, checkout
from hostkeep.integrations.payfast.simulator.dates import SOUTH_AFRICA
from hostkeep.integrations.payfast.simulator.signature import itn_parameter_string, itn_signature, php_urlencode

DEFAULT_MERCHANT_ID = "10000100"
DEFAULT_MERCHANT_KEY = "46f0cd694581a"
DEFAULT_PASSPHRASE = "hostkeep-simulator passphrase"  # noqa: S105 - a public test double's credential

#: "Resends immediately, after 10 min, then at exponentially longer intervals."
RETRY_SCHEDULE = (0.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0, 19200.0, 38400.0)

ITN_TRANSACTION_FIELDS = (
    "custom_str1", "custom_str2", "custom_str3", "custom_str4", "custom_str5",
    "custom_int1", "custom_int2", "custom_int3", "custom_int4", "custom_int5",
    "name_first", "name_last", "email_address",
)  # fmt: skip


def rand(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


class PayFastSimulator(GatewaySimulator):
    """A local PayFast: ``/eng/process`` form, ITNs, ``/eng/query/validate`` and the REST API.

    The REST API is served on the same host (PayFast uses ``api.payfast.co.za``); ``?testing=true``
    is accepted and left out of the signature, as the SDK does.
    """

    name = "PayFast"
    default_retry_schedule = RETRY_SCHEDULE

    def __init__(
        self,
        *,
        merchant_id: str = DEFAULT_MERCHANT_ID,
        merchant_key: str = DEFAULT_MERCHANT_KEY,
        passphrase: str | None = DEFAULT_PASSPHRASE,
        sandbox: bool = False,
        default_notify_url: str | None = None,
        fee_rate: Decimal = Decimal("0.032"),
        fee_fixed: Decimal = Decimal("2.00"),
        itn_on_failed_adhoc: bool = True,
        **options: Any,
    ) -> None:
        self.merchant_id = merchant_id
        self.merchant_key = merchant_key
        self.passphrase = passphrase
        self.sandbox = sandbox
        self.default_notify_url = default_notify_url
        self.fee_rate = fee_rate
        self.fee_fixed = fee_fixed
        self.itn_on_failed_adhoc = itn_on_failed_adhoc
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.adhoc_charges: list[dict[str, Any]] = []
        self.refunds: dict[str, dict[str, Any]] = {}
        self.itns: list[dict[str, Any]] = []
        self.scripted_adhoc: list[tuple[str, str]] = []
        self._validatable: set[str] = set()
        self._payment_ids = itertools.count(1_000_000 + secrets.randbelow(8_000_000))
        if sandbox:
            options.setdefault("retry_schedule", ())
        super().__init__(**options)

    # -- description ---------------------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return {
            "merchant_id": self.merchant_id,
            "merchant_key": self.merchant_key,
            "passphrase": self.passphrase,
            "process_url": f"{self.url}/eng/process",
            "api_url": self.url,
        }

    def describe_webhooks(self) -> list[dict[str, Any]]:
        return [{"default_notify_url": self.default_notify_url, "source_ip": self.webhook_source_ip or "127.0.0.1"}]

    def is_delivery_success(self, status: int) -> bool:
        return status == 200

    @property
    def process_url(self) -> str:
        """Where the merchant's auto-submitting form POSTs (``.../eng/process``)."""
        return f"{self.url}/eng/process"

    def today(self) -> dt.date:
        return self.clock.now_datetime().astimezone(SOUTH_AFRICA).date()

    def next_payment_id(self) -> str:
        return str(next(self._payment_ids))

    # -- routing -------------------------------------------------------------------------------

    def register_routes(self, router: Router) -> None:
        checkout.register(self, router)
        api.register(self, router)

    def error_response(self, status: int, request: SimulatorRequest) -> SimulatorResponse:
        if request.path.startswith("/eng/"):
            return SimulatorResponse.html(
                status, "<html><body><h1>Error</h1><p>Please try again later.</p></body></html>"
            )
        message = "Too many requests" if status == 429 else "Internal server error"
        return SimulatorResponse.json(
            status, {"code": status, "status": "failed", "data": {"response": message, "message": False}}
        )

    def not_found_response(self, request: SimulatorRequest) -> SimulatorResponse:
        return SimulatorResponse.json(
            404, {"code": 404, "status": "failed", "data": {"response": "Not found", "message": False}}
        )

    # -- ITNs ----------------------------------------------------------------------------------

    def send_itn(
        self,
        transaction: dict[str, Any],
        payment_status: str,
        notify_url: str | None,
        *,
        source_ip: str | None = None,
        forwarded_for: str | None = None,
    ) -> dict[str, Any] | None:
        """Queue one ITN for ``transaction``; returns the record (or None without a notify URL)."""
        url = notify_url or self.default_notify_url
        if not url:
            return None
        fields = transaction["fields"]
        pairs = [
            ("m_payment_id", transaction["m_payment_id"]),
            ("pf_payment_id", transaction["pf_payment_id"]),
            ("payment_status", payment_status),
            ("item_name", transaction["item_name"]),
            ("item_description", transaction["item_description"]),
            ("amount_gross", rand(transaction["amount_gross"])),
            ("amount_fee", rand(transaction["amount_fee"])),
            ("amount_net", rand(transaction["amount_net"])),
            *((name, fields.get(name, "")) for name in ITN_TRANSACTION_FIELDS),
            ("merchant_id", self.merchant_id),
        ]
        if transaction.get("token"):
            pairs += [("token", transaction["token"]), ("billing_date", transaction.get("billing_date") or "")]
        parameter_string = itn_parameter_string(pairs)
        pairs.append(("signature", itn_signature(pairs, self.passphrase)))
        body = "&".join(f"{name}={php_urlencode(value)}" for name, value in pairs)
        record = {
            "pf_payment_id": transaction["pf_payment_id"],
            "payment_status": payment_status,
            "url": url,
            "pairs": pairs,
            "body": body,
            "parameter_string": parameter_string,
        }
        self.itns.append(record)
        self._validatable.update({parameter_string, body})
        self.queue_webhook(
            event_id=transaction["pf_payment_id"],
            event_type=f"itn.{payment_status}",
            url=url,
            body=body.encode("utf-8"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{self.url}/eng/process",
                "User-Agent": "PayFast ITN",
            },
            source_ip=source_ip,
            forwarded_for=forwarded_for,
        )
        return record

    def is_validatable(self, text: str) -> bool:
        return text in self._validatable

    def new_transaction(
        self,
        *,
        m_payment_id: str,
        amount: Decimal,
        item_name: str,
        item_description: str,
        fields: dict[str, str],
        status: str = "COMPLETE",
        token: str | None = None,
        billing_date: str | None = None,
        kind: str,
    ) -> dict[str, Any]:
        fee = Decimal(0) if amount == 0 or status != "COMPLETE" else -(amount * self.fee_rate + self.fee_fixed)
        fee = fee.quantize(Decimal("0.01"), ROUND_HALF_UP)
        transaction: dict[str, Any] = {
            "pf_payment_id": self.next_payment_id(),
            "m_payment_id": m_payment_id,
            "payment_status": status,
            "amount_gross": amount,
            "amount_fee": fee,
            "amount_net": amount + fee,
            "item_name": item_name,
            "item_description": item_description,
            "fields": dict(fields),
            "token": token,
            "billing_date": billing_date,
            "kind": kind,
            "refunded_cents": 0,
            "created": self.clock.now(),
        }
        self.transactions[transaction["pf_payment_id"]] = transaction
        return transaction

    # -- controls ------------------------------------------------------------------------------

    def pay(self, checkout_id: str) -> dict[str, Any]:
        """The buyer pays on the hosted page: a COMPLETE transaction and its ITN. Returns the transaction."""
        with self.lock:
            return copy.deepcopy(checkout.complete(self, checkout_id))

    def decline(self, checkout_id: str) -> None:
        """The buyer's card is declined on the hosted page (no ITN; the buyer may try again)."""
        with self.lock:
            checkout.decline(self, checkout_id)

    def checkout_for(self, m_payment_id: str) -> dict[str, Any] | None:
        """The newest checkout submitted with this ``m_payment_id`` (our reference)."""
        with self.lock:
            found = [c for c in self.checkouts.values() if c["fields"].get("m_payment_id") == m_payment_id]
            return copy.deepcopy(found[-1]) if found else None

    def run_subscription_billing(self, token: str, *, succeed: bool = True) -> dict[str, Any] | None:
        """PayFast bills a ``subscription_type=1`` subscription now. Success sends a COMPLETE ITN;
        a failure sends **no** ITN (as PayFast) and is only visible through ``fetch``."""
        with self.lock:
            return copy.deepcopy(api.bill_subscription(self, token, succeed=succeed))

    def script_adhoc(self, status: str = "failed", message: str = "Insufficient funds") -> None:
        """The next ad hoc charge ends ``failed`` (with ``message``) instead of ``success``."""
        with self.lock:
            self.scripted_adhoc.append((status, message))

    def cancel_subscription(self, token: str) -> None:
        """The buyer cancels from PayFast's side: status CANCELLED and a CANCELLED ITN."""
        with self.lock:
            api.cancel(self, token)

    def duplicate_charges(self, window: float = 3600.0) -> list[list[dict[str, Any]]]:
        """Successful ad hoc charges that look like one intent charged twice: the same token and
        ``m_payment_id``, or (without one) the same token and amount within ``window`` seconds.
        PayFast has no idempotency, so a client that re-charges after a timeout shows up here."""
        with self.lock:
            charges = [c for c in self.adhoc_charges if c["status"] == "success"]
            groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for charge in charges:
                if charge["m_payment_id"]:
                    key: tuple[Any, ...] = (charge["token"], charge["m_payment_id"])
                else:
                    bucket = next(
                        (
                            k
                            for k, g in groups.items()
                            if k[0] == charge["token"]
                            and k[1] is None
                            and g[0]["amount"] == charge["amount"]
                            and charge["at"] - g[-1]["at"] <= window
                        ),
                        None,
                    )
                    key = bucket or (charge["token"], None, uuid4())
                groups.setdefault(key, []).append(charge)
            return [copy.deepcopy(group) for group in groups.values() if len(group) > 1]

    def get_transaction(self, pf_payment_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.transactions[pf_payment_id])

    def get_subscription(self, token: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.subscriptions[token])
