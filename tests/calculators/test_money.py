"""rules.md §1: exact money, ROUND_HALF_UP once to the currency exponent, string forms, no floats."""
from decimal import Decimal
from fractions import Fraction

import pytest

from creditsvc.calculators.errors import DomainError
from creditsvc.calculators.money import (
    MAX_AMOUNT,
    AmountOverflow,
    decimal_str,
    exact,
    exponent,
    money_str,
    round_money,
    sum_money,
    to_decimal,
    truncate,
)

D = Decimal


@pytest.mark.parametrize("currency, digits", [("VND", 0), ("DKK", 2), ("EUR", 2), ("USD", 2)])
def test_every_currency_uses_its_iso_4217_exponent(currency, digits):
    assert exponent(currency) == digits


def test_an_unknown_currency_is_a_domain_error_on_the_currency_field():
    with pytest.raises(DomainError) as info:
        exponent("XXX")
    assert info.value.field == "currency"


@pytest.mark.parametrize("value, currency, expected", [
    (D("445.825"), "DKK", D("445.83")),
    (D("445.8249999"), "DKK", D("445.82")),
    (D("0.005"), "DKK", D("0.01")),
    (D("0.0049"), "DKK", D("0.00")),
    (D("2.5"), "VND", D("3")),
    (D("2.4999"), "VND", D("2")),
    (Fraction(1, 2), "VND", D("1")),
    (Fraction(2, 3), "DKK", D("0.67")),
    (Fraction(20_000_000, 3), "VND", D("6666667")),
])
def test_round_money_rounds_half_up_to_the_currency_exponent(value, currency, expected):
    assert round_money(value, currency) == expected


@pytest.mark.parametrize("value, expected", [(D("-0.005"), D("-0.01")), (D("-2.345"), D("-2.35")),
                                             (D("-2.344"), D("-2.34"))])
def test_round_money_rounds_negative_halves_away_from_zero_like_decimal_round_half_up(value, expected):
    assert round_money(value, "DKK") == expected


def test_a_rounded_amount_carries_exactly_the_currency_digits():
    assert str(round_money(D(200), "DKK")) == "200.00"
    assert round_money(D(200), "DKK").as_tuple().exponent == -2
    assert str(round_money(D("500000.4"), "VND")) == "500000"
    assert round_money(D("500000.4"), "VND").as_tuple().exponent == 0


def test_money_str_writes_major_units_with_exactly_the_currency_digits():
    assert money_str(round_money(D(500000), "VND")) == "500000"
    assert money_str(round_money(D(800), "DKK")) == "800.00"
    assert money_str(round_money(D("2229.125"), "DKK")) == "2229.13"


@pytest.mark.parametrize("value, text", [(D("2.00"), "2"), (D("99.80"), "99.8"), (D("0.5"), "0.5"),
                                         (D("0"), "0"), (D("-0.0"), "0"), (D("1E+1"), "10"),
                                         (D("99.6527"), "99.6527")])
def test_percentages_and_rates_are_written_without_exponent_or_trailing_zeros(value, text):
    assert decimal_str(value) == text


def test_uptime_display_is_truncated_never_rounded_so_99_79999_shows_99_7999():
    assert truncate(Fraction(9979999, 100000)) == D("99.7999")
    assert truncate(Fraction(99999999, 1000000)) == D("99.9999")


def test_worked_example_uptime_2583000_of_2592000_displays_as_99_6527():
    assert truncate(Fraction(2_583_000 * 100, 2_592_000)) == D("99.6527")


def test_truncate_shows_exact_values_with_four_decimals():
    assert str(truncate(Fraction(100))) == "100.0000"
    assert str(truncate(Fraction(1, 3) * 100)) == "33.3333"


def test_sum_money_is_exact_past_the_28_digits_of_the_default_decimal_context():
    big = D("1" + "0" * 30)
    assert sum_money([big, D(1)], "VND") == D("1" + "0" * 29 + "1")
    assert sum_money([D("0.10"), D("0.20")], "DKK") == D("0.30")


def test_an_amount_that_does_not_fit_numeric_38_4_is_rejected_as_a_domain_error():
    with pytest.raises(AmountOverflow) as info:
        round_money(MAX_AMOUNT, "VND")
    assert isinstance(info.value, DomainError) and info.value.status == 422
    with pytest.raises(AmountOverflow):
        round_money(-MAX_AMOUNT, "VND")
    with pytest.raises(AmountOverflow):  # rounds up to 10**34
        round_money(D("9" * 34 + ".995"), "DKK")


def test_a_large_amount_with_up_to_28_digits_fits_numeric_38_4_and_is_kept_exactly():
    assert round_money(D("9" * 28), "VND") == D("9" * 28)
    assert round_money(D("9" * 30 + ".99"), "DKK") == D("9" * 30 + ".99")


def test_the_largest_34_digit_amount_fits_numeric_38_4_and_is_not_rejected():
    largest = D("9" * 34)
    assert round_money(largest, "VND") == largest
    assert round_money(D("9" * 34 + ".9949"), "DKK") == D("9" * 34 + ".99")


@pytest.mark.parametrize("value", [1.5, 0.1, True, "1.5", None, D("NaN"), D("Infinity")])
def test_round_money_refuses_floats_bools_strings_and_non_finite_values(value):
    with pytest.raises(TypeError):
        round_money(value, "DKK")


def test_exact_turns_a_decimal_into_its_exact_rational_value():
    assert exact(D("0.1")) == Fraction(1, 10)
    assert exact(7) == Fraction(7)
    assert exact(Fraction(1, 3)) == Fraction(1, 3)


def test_to_decimal_writes_a_terminating_fraction_exactly_and_refuses_a_repeating_one():
    assert to_decimal(Fraction(1, 2)) == D("0.5")
    assert to_decimal(Fraction(5, 2)) == D("2.5")
    assert to_decimal(Fraction(3)) == D(3)
    with pytest.raises(ValueError):
        to_decimal(Fraction(1, 3))
