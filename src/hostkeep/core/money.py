"""Money: a Decimal amount with a currency, never a float.

Amounts are kept to 4 decimal places (the precision of storage); rounding to the currency's
minor unit (half-up) happens only where a document shows an amount, per line, before summing.
Arithmetic between two currencies is refused rather than converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

STORAGE_PLACES = 4
STORAGE_QUANTUM = Decimal(1).scaleb(-STORAGE_PLACES)

# ISO 4217 minor units of the currencies a provider is likely to bill in.
MINOR_UNITS: dict[str, int] = {
    "ZAR": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "RUB": 2,
    "KZT": 2,
    "BYN": 2,
    "UAH": 2,
    "UZS": 2,
    "MXN": 2,
    "ARS": 2,
    "BRL": 2,
    "COP": 0,
    "CLP": 0,
    "PEN": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "TRY": 2,
    "INR": 2,
    "CNY": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "ISK": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined; Hostkeep never converts silently."""


class UnknownCurrency(ValueError):
    """A currency code Hostkeep does not know the minor unit of."""


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Turn an exact value into a Decimal; floats are refused because they are not exact."""
    if isinstance(value, float | bool):
        raise TypeError("money amounts must be Decimal, int or str, never float or bool")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency, held to 4 decimal places."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        minor_units(self.currency)
        exact = to_decimal(self.amount)
        object.__setattr__(self, "amount", exact.quantize(STORAGE_QUANTUM, rounding=ROUND_HALF_UP))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply money by money")
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def rounded(self) -> Money:
        """Rounded half-up to the currency's minor unit, as a document shows it."""
        quantum = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_UP), self.currency)

    def display_amount(self) -> str:
        """The rounded amount as text with exactly the currency's number of decimals."""
        places = minor_units(self.currency)
        return f"{self.rounded().amount:.{places}f}"

    def __str__(self) -> str:
        return f"{self.display_amount()} {self.currency}"


def sum_money(amounts: list[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
