"""Hourly support billing with the business-hours split, agreements, minimum, mileage and VAT
(rules.md §6; seed 003)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .calendar import BusinessCalendar
from .frozen import frozen
from .money import EXACT, exact, round_money, round_ratio, sum_money
from .policy import SupportPolicy
from .records import SupportCase, epoch

BUSINESS, AFTER_HOURS, MILEAGE = "business_hours", "after_hours", "mileage"


@frozen
class SupportLine:
    case_id: str
    kind: str  # business_hours | after_hours | mileage
    seconds: int
    km: Decimal | None
    rate: Decimal  # per hour, or per km for mileage
    amount: Decimal
    level: str
    started_at: datetime | None = None  # the case's times, for documents
    ended_at: datetime | None = None
    description: str = ""


@frozen
class SupportResult:
    lines: tuple[SupportLine, ...]
    subtotal: Decimal
    vat_percent: Decimal
    vat_amount: Decimal
    total: Decimal


Rate = tuple[Fraction, Decimal]  # exact rate per second, and the hourly rate as shown


def hourly_rates(policy: SupportPolicy, level: str, agreement: str | None, currency: str) -> tuple[Rate, Rate]:
    """(business, after hours) per hour after the agreement discount and the surcharge."""
    discount = policy.agreement_discounts.get(agreement, Decimal(0)) if agreement else None
    return _hourly_rates(policy.rates[level], discount, policy.after_hours_surcharge_percent, currency)


@lru_cache(maxsize=1024)
def _hourly_rates(rate: Decimal, discount: Decimal | None, surcharge: Decimal, currency: str) -> tuple[Rate, Rate]:
    """hourly_rates of the numbers themselves, worked out once (a dozen Fraction operations a level)."""
    hourly = exact(rate)
    if discount is not None:
        hourly *= 1 - exact(discount) / 100
    # seed 003: "Tillæg ved henvendelse udenfor normal arbejdstid er 100%"
    after = hourly * (1 + exact(surcharge) / 100)
    return (hourly / 3600, _shown(hourly, currency)), (after / 3600, _shown(after, currency))


@lru_cache(maxsize=1024)
def _shown(rate: Fraction, currency: str) -> Decimal:
    """A rate to show: exact when it has a finite expansion at the currency's digits, else 28 digits."""
    rounded = round_money(rate, currency)
    return rounded if exact(rounded) == rate else Decimal(rate.numerator) / Decimal(rate.denominator)


def bill_case(
    case: SupportCase, policy: SupportPolicy, calendar: BusinessCalendar, agreement: str | None, currency: str,
    rates: dict[str, tuple[Rate, Rate]] | None = None,
) -> list[SupportLine]:
    """The lines of one case; `rates` may carry hourly_rates per level, computed once per statement."""
    start, end = epoch(case.started_at), epoch(case.ended_at)
    business = calendar.business_seconds(start, end)
    after = (end - start) - business
    if agreement:
        # seed 003: every agreement includes 15 minutes of free support per case in normal hours
        business = max(0, business - policy.free_minutes_with_agreement * 60)
    else:
        # seed 003: "Min. afregnes 15 minutter på én henvendelse", at the class in force at the start
        top_up = max(0, policy.minimum_minutes * 60 - (end - start))
        if calendar.is_business_time(start):
            business += top_up
        else:
            after += top_up
    business_rate, after_rate = rates[case.level] if rates else hourly_rates(policy, case.level, agreement, currency)
    lines = []
    for kind, seconds, (per_second, shown) in ((BUSINESS, business, business_rate), (AFTER_HOURS, after, after_rate)):
        if seconds > 0:
            amount = round_ratio(per_second.numerator * seconds, per_second.denominator, currency)
            lines.append(SupportLine(case.id, kind, seconds, None, shown, amount,
                                     case.level, case.started_at, case.ended_at, case.description))
    if case.km:
        # seed 003: "Kørsel beregnes med 3,52 kr. pr. kørte km", no surcharge
        amount = round_money(EXACT.multiply(case.km, policy.mileage_rate), currency)
        lines.append(SupportLine(case.id, MILEAGE, 0, case.km, _shown_rate(policy.mileage_rate, currency), amount,
                                 case.level,
                                 case.started_at, case.ended_at, case.description))
    return lines


@lru_cache(maxsize=1024)
def _shown_rate(rate: Decimal, currency: str) -> Decimal:
    return _shown(exact(rate), currency)


def bill_support(
    policy: SupportPolicy,
    cases: list[SupportCase],
    calendar: BusinessCalendar,
    agreement: str | None,
    currency: str,
) -> SupportResult:
    rates = {level: hourly_rates(policy, level, agreement, currency) for level in policy.rates}
    lines = [line for case in sorted(cases, key=lambda c: (epoch(c.started_at), c.id))
             for line in bill_case(case, policy, calendar, agreement, currency, rates)]
    subtotal = sum_money((line.amount for line in lines), currency)
    # VAT on the rounded subtotal, rounded once (rules.md §1)
    vat = round_money(exact(EXACT.multiply(subtotal, policy.vat_percent)) / 100, currency)
    return SupportResult(tuple(lines), subtotal, policy.vat_percent, vat, sum_money((subtotal, vat), currency))
