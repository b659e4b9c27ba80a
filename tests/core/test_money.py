"""Which codes are money: ISO 4217 currencies that customers hold, and nothing else."""

import pytest

from core.money import NOT_MONEY, is_known_currency


@pytest.mark.parametrize("code", ["SEK", "EUR", "JPY", "KWD", "XOF", "XAF", "XCD", "XPF"])
def test_currencies_are_money(code):
    assert is_known_currency(code)


@pytest.mark.parametrize("code", sorted(NOT_MONEY))
def test_metals_funds_units_and_test_codes_are_not(code):
    assert not is_known_currency(code)


@pytest.mark.parametrize("code", ["sek", "XYZ", "SEKK", "", None, 752])
def test_anything_else_is_not_a_currency(code):
    assert not is_known_currency(code)
