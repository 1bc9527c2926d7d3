from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostkeep.core.money import CurrencyMismatch, Money, UnknownCurrency, sum_money


def test_amounts_are_held_to_four_places_half_up():
    assert Money(Decimal("1.23455"), "ZAR").amount == Decimal("1.2346")
    assert Money(Decimal("-1.23455"), "ZAR").amount == Decimal("-1.2346")


def test_rounding_to_minor_unit_is_half_up_per_currency():
    assert Money(Decimal("0.3333"), "ZAR").rounded().amount == Decimal("0.33")
    assert Money(Decimal("0.005"), "USD").rounded().amount == Decimal("0.01")
    assert Money(Decimal("149.5"), "JPY").rounded().amount == Decimal("150")
    assert Money(Decimal("1.0005"), "KWD").rounded().amount == Decimal("1.001")
    assert str(Money(Decimal("149.5"), "JPY")) == "150 JPY"
    assert str(Money(Decimal("10"), "ZAR")) == "10.00 ZAR"


def test_mixed_currencies_are_refused():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), "ZAR") + Money(Decimal(1), "USD")
    with pytest.raises(CurrencyMismatch):
        assert Money(Decimal(1), "ZAR") < Money(Decimal(2), "EUR")


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(TypeError):
        Money(0.1, "ZAR")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        Money(Decimal(1), "XXX")
    with pytest.raises(ValueError, match="finite"):
        Money(Decimal("NaN"), "ZAR")


def test_sum_of_lines_rounded_per_line():
    lines = [Money(Decimal("0.3333"), "ZAR") for _ in range(3)]
    assert sum_money([line.rounded() for line in lines], "ZAR").amount == Decimal("0.99")
    assert sum_money(lines, "ZAR").amount == Decimal("0.9999")


@given(st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=4), max_size=30))
def test_addition_is_exact_and_order_free(values):
    amounts = [Money(value, "ZAR") for value in values]
    assert sum_money(amounts, "ZAR").amount == sum(values, Decimal(0))
    assert sum_money(list(reversed(amounts)), "ZAR") == sum_money(amounts, "ZAR")
