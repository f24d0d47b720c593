"""Money, rounding and the string forms of numbers (rules.md §1).

Every amount is exact: inputs are Decimal or int, intermediate values are Fractions, and the one
function `round_money` turns an exact value into a Decimal at the currency's ISO exponent with
ROUND_HALF_UP. A float anywhere is refused: it cannot represent 0.1, so it cannot be money.
"""
from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction

from .errors import DomainError

# ISO 4217 minor-unit exponents of the currencies the service accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "VND": 0, "DKK": 2, "EUR": 2, "USD": 2, "SEK": 2, "NOK": 2, "GBP": 2, "CHF": 2,
    "JPY": 0, "ISK": 0, "KRW": 0, "SGD": 2, "THB": 2, "AUD": 2, "CAD": 2, "PLN": 2,
}

# Stored amounts are NUMERIC(38, 4): 34 integer digits at the most (rules.md §1).
MAX_AMOUNT = Decimal(10) ** 34

Exact = Decimal | Fraction | int


class AmountOverflow(DomainError):
    code = "amount_overflow"


def ratio(value: Exact) -> tuple[int, int]:
    """(numerator, denominator) of a Decimal, Fraction or int; a float (or bool) is a bug."""
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 1
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("amounts must be finite")
        return value.as_integer_ratio()
    raise TypeError(f"exact numbers only (Decimal, int, Fraction), got {type(value).__name__}")


def exact(value: Exact) -> Fraction:
    """The exact rational value of a Decimal, Fraction or int; a float (or bool) is a bug."""
    return value if isinstance(value, Fraction) else Fraction(*ratio(value))


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise DomainError(f"unknown currency {currency!r}", field="currency") from None


def round_money(value: Exact, currency: str) -> Decimal:
    """Round an exact value to the currency's minor unit, half away from zero (ROUND_HALF_UP).

    This is the only place in creditsvc where money is rounded.
    """
    return round_ratio(*ratio(value), currency)


def round_ratio(num: int, den: int, currency: str) -> Decimal:
    """round_money of num / den, for callers that hold the integers (no Fraction built per amount)."""
    places = exponent(currency)
    num *= 10**places
    negative = num < 0
    units = (2 * abs(num) + den) // (2 * den)  # floor(|x| + 1/2): half away from zero
    if units >= 10 ** (34 + places):  # compared as integers: Decimal abs() would round at 28 digits
        raise AmountOverflow(f"an amount of {units} minor units does not fit NUMERIC(38, 4)")
    result = Decimal(f"{'-' if negative and units else ''}{units}e-{places}")
    return result


# Wide enough that sums and products of stored amounts (38 digits) are exact.
EXACT = Context(prec=100, traps=[Inexact, Overflow, InvalidOperation])


def sum_money(amounts, currency: str) -> Decimal:
    """Sum already-rounded amounts exactly (Decimal's default context would round past 28 digits)."""
    total = Decimal(0)
    for amount in amounts:
        if not isinstance(amount, Decimal):
            raise TypeError(f"amounts are Decimal, got {type(amount).__name__}")
        total = EXACT.add(total, amount)
    return round_money(total, currency)


def money_str(amount: Decimal) -> str:
    """Wire form of a rounded amount: major units with exactly the currency's digits."""
    return format(amount, "f")


def decimal_str(value: Decimal) -> str:
    """A percentage, rate or day count without exponent or trailing zeros: "2", "99.8", "0.5"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def truncate(ratio: Fraction, places: int = 4) -> Decimal:
    """Truncate (never round) to `places` decimals, so a shown figure never crosses a band edge."""
    scaled = ratio * 10**places
    units = scaled.numerator // scaled.denominator if scaled >= 0 else -((-scaled.numerator) // scaled.denominator)
    return Decimal(f"{units}e-{places}")


def to_decimal(ratio: Fraction) -> Decimal:
    """An exact Fraction whose decimal expansion terminates, as a Decimal (e.g. credit days 0.5)."""
    den, twos, fives = ratio.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    places = max(twos, fives)
    if den != 1:
        raise ValueError(f"{ratio} has no finite decimal expansion")
    return Decimal(f"{ratio.numerator * 10**places // ratio.denominator}e-{places}")
