"""rules.md §6 (seed 003): hourly support billing split at business-hours edges, minimum, agreements,
mileage and VAT. Business hours: Mon-Fri 08:00-16:00 Europe/Copenhagen, closed on Danish holidays."""
from datetime import date
from decimal import Decimal

import pytest

from creditsvc.calculators.calendar import BusinessCalendar
from creditsvc.calculators.policy import BusinessHours, SupportPolicy
from creditsvc.calculators.support import AFTER_HOURS, BUSINESS, MILEAGE, bill_case, bill_support

from tests.calculators.factories import CPH, D, case, cph, dk_contract, policy_oneoffice_dk, statement

DK = BusinessCalendar(BusinessHours(), CPH)


def lines(*cases, agreement=None, policy=None):
    return [(line.kind, line.seconds, line.amount)
            for c in cases for line in bill_case(c, policy or SupportPolicy(), DK, agreement, "DKK")]


def billed(*cases, agreement=None, policy=None, period="2026-10"):
    contract = dk_contract(policy_oneoffice_dk(support_billing=policy or SupportPolicy()),
                           support_agreement=agreement)
    return statement(contract, period, cases=cases).support


# --- the worked examples (Tuesday 6 Oct 2026, no agreement) --------------------------------------

def test_worked_example_first_level_10_00_to_10_07_is_billed_15_minutes_200_00_plus_vat_50_00_total_250_00():
    result = billed(case("S1", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 7), "1"))
    assert [(line.kind, line.seconds, line.amount) for line in result.lines] == [(BUSINESS, 900, Decimal("200.00"))]
    assert result.subtotal == Decimal("200.00")
    assert result.vat_percent == 25
    assert result.vat_amount == Decimal("50.00")
    assert result.total == Decimal("250.00")


def test_worked_example_second_level_15_30_to_16_30_with_40_km_is_547_50_plus_1095_00_plus_140_80_driving():
    result = billed(case("S2", cph(2026, 10, 6, 15, 30), cph(2026, 10, 6, 16, 30), "2", km=D(40)))
    assert [(line.kind, line.seconds, line.amount) for line in result.lines] == [
        (BUSINESS, 1800, Decimal("547.50")),
        (AFTER_HOURS, 1800, Decimal("1095.00")),
        (MILEAGE, 0, Decimal("140.80")),
    ]
    assert result.lines[2].km == 40 and result.lines[2].rate == D("3.52")
    assert result.subtotal == Decimal("1783.30")
    assert result.vat_amount == Decimal("445.83")
    assert result.total == Decimal("2229.13")


def test_both_worked_examples_in_one_statement_sum_their_lines_and_round_vat_once_on_the_subtotal():
    result = billed(case("S1", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 7), "1"),
                    case("S2", cph(2026, 10, 6, 15, 30), cph(2026, 10, 6, 16, 30), "2", km=D(40)))
    assert result.subtotal == Decimal("1983.30")
    assert result.vat_amount == Decimal("495.83")  # 25 % of 1983.30 = 495.825
    assert result.total == Decimal("2479.13")


# --- the business-hours split --------------------------------------------------------------------

def test_a_case_across_midnight_is_all_after_hours_at_double_rate():
    assert lines(case("S", cph(2026, 10, 6, 23, 30), cph(2026, 10, 7, 0, 30), "1")) == [
        (AFTER_HOURS, 3600, Decimal("1600.00"))]


def test_a_case_across_08_00_is_split_at_the_opening_edge():
    assert lines(case("S", cph(2026, 10, 7, 7, 30), cph(2026, 10, 7, 8, 30), "1")) == [
        (BUSINESS, 1800, Decimal("400.00")), (AFTER_HOURS, 1800, Decimal("800.00"))]


def test_a_case_on_a_saturday_is_all_after_hours():
    assert lines(case("S", cph(2026, 10, 10, 10), cph(2026, 10, 10, 11), "2")) == [
        (AFTER_HOURS, 3600, Decimal("2190.00"))]


@pytest.mark.parametrize("day", [date(2026, 4, 3), date(2026, 4, 2), date(2026, 4, 6), date(2026, 5, 14),
                                 date(2026, 12, 25), date(2026, 1, 1)])
def test_a_case_on_a_danish_public_holiday_is_all_after_hours(day):
    assert lines(case("S", cph(day.year, day.month, day.day, 10), cph(day.year, day.month, day.day, 11), "1")) == [
        (AFTER_HOURS, 3600, Decimal("1600.00"))]


def test_a_case_on_an_extra_closed_date_is_all_after_hours():
    calendar = BusinessCalendar(BusinessHours(extra_closed_dates=frozenset({date(2026, 10, 6)})), CPH)
    result = bill_case(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1"), SupportPolicy(), calendar, None,
                       "DKK")
    assert [(line.kind, line.amount) for line in result] == [(AFTER_HOURS, Decimal("1600.00"))]


def test_a_case_over_a_whole_weekday_splits_8_business_hours_from_16_after_hours():
    assert lines(case("S", cph(2026, 10, 6), cph(2026, 10, 7), "1")) == [
        (BUSINESS, 8 * 3600, Decimal("6400.00")), (AFTER_HOURS, 16 * 3600, Decimal("25600.00"))]


# --- the minimum -----------------------------------------------------------------------------------

def test_the_minimum_top_up_is_billed_at_the_business_rate_when_the_case_started_in_business_hours():
    assert lines(case("S", cph(2026, 10, 6, 15, 55), cph(2026, 10, 6, 16, 5), "1")) == [
        (BUSINESS, 600, Decimal("133.33")), (AFTER_HOURS, 300, Decimal("133.33"))]


def test_the_minimum_top_up_is_billed_after_hours_when_the_case_started_after_hours():
    assert lines(case("S", cph(2026, 10, 7, 7, 55), cph(2026, 10, 7, 8, 5), "1")) == [
        (BUSINESS, 300, Decimal("66.67")), (AFTER_HOURS, 600, Decimal("266.67"))]


def test_a_five_minute_case_on_a_saturday_is_billed_15_minutes_after_hours():
    assert lines(case("S", cph(2026, 10, 10, 10), cph(2026, 10, 10, 10, 5), "1")) == [
        (AFTER_HOURS, 900, Decimal("400.00"))]


def test_a_case_of_15_minutes_or_more_gets_no_top_up():
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 20), "1")) == [
        (BUSINESS, 1200, Decimal("266.67"))]


def test_minimum_minutes_is_a_policy_field():
    policy = SupportPolicy(minimum_minutes=30)
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 7), "1"), policy=policy) == [
        (BUSINESS, 1800, Decimal("400.00"))]


# --- support agreements ---------------------------------------------------------------------------

@pytest.mark.parametrize("tier", ["GOD", "BEDRE", "BEDST"])
def test_under_an_agreement_the_first_15_minutes_of_business_time_in_each_case_are_free(tier):
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1"), agreement=tier) == [
        (BUSINESS, 2700, Decimal("600.00"))]


def test_under_an_agreement_a_short_business_hours_case_is_free_and_has_no_minimum():
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 10), "1"), agreement="GOD") == []
    result = billed(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 10), "1"), agreement="GOD")
    assert result.subtotal == Decimal("0.00") and result.total == Decimal("0.00")


def test_under_an_agreement_the_free_minutes_do_not_apply_to_after_hours_time():
    assert lines(case("S", cph(2026, 10, 6, 17), cph(2026, 10, 6, 18), "1"), agreement="GOD") == [
        (AFTER_HOURS, 3600, Decimal("1600.00"))]
    assert lines(case("S", cph(2026, 10, 6, 15, 50), cph(2026, 10, 6, 16, 20), "1"), agreement="GOD") == [
        (AFTER_HOURS, 1200, Decimal("533.33"))]


def test_under_an_agreement_the_rate_is_reduced_by_the_tier_discount_percent():
    policy = SupportPolicy(agreement_discounts={"GOD": D(0), "BEDRE": D(10), "BEDST": D(20)})
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1"), agreement="BEDST", policy=policy) == [
        (BUSINESS, 2700, Decimal("480.00"))]
    assert lines(case("S", cph(2026, 10, 6, 17), cph(2026, 10, 6, 18), "1"), agreement="BEDRE", policy=policy) == [
        (AFTER_HOURS, 3600, Decimal("1440.00"))]


def test_the_agreement_discount_defaults_to_zero_for_every_tier():
    assert SupportPolicy().agreement_discounts == {"GOD": 0, "BEDRE": 0, "BEDST": 0}


# --- mileage, rates and VAT ------------------------------------------------------------------------

def test_mileage_carries_no_after_hours_surcharge():
    on_saturday = lines(case("S", cph(2026, 10, 10, 10), cph(2026, 10, 10, 11), "1", km=D(40)))
    assert on_saturday[-1] == (MILEAGE, 0, Decimal("140.80"))
    on_good_friday = lines(case("S", cph(2026, 4, 3, 20), cph(2026, 4, 3, 21), "2", km=D("12.5")))
    assert on_good_friday[-1] == (MILEAGE, 0, Decimal("44.00"))


def test_rates_surcharge_mileage_and_vat_are_policy_fields():
    policy = SupportPolicy(rates={"1": D(1000), "2": D(1500)}, after_hours_surcharge_percent=D(50),
                           mileage_rate=D("2.00"), vat_percent=D(20))
    result = billed(case("S", cph(2026, 10, 6, 15, 30), cph(2026, 10, 6, 16, 30), "1", km=D(10)), policy=policy)
    assert [line.amount for line in result.lines] == [Decimal("500.00"), Decimal("750.00"), Decimal("20.00")]
    assert (result.subtotal, result.vat_amount, result.total) == (Decimal("1270.00"), Decimal("254.00"),
                                                                   Decimal("1524.00"))


def test_a_support_case_belongs_to_the_period_in_which_it_started():
    crossing = case("S", cph(2026, 9, 30, 23, 30), cph(2026, 10, 1, 0, 30), "1")
    assert billed(crossing, period="2026-10").lines == ()
    september = billed(crossing, period="2026-09")
    assert [(line.kind, line.seconds) for line in september.lines] == [(AFTER_HOURS, 3600)]


def test_support_charges_are_billed_separately_and_are_not_credit_lines():
    contract = dk_contract()
    result = statement(contract, "2026-10", cases=[case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1")])
    assert result.support.subtotal == Decimal("800.00")
    assert result.lines == () and result.credit_total == Decimal("0.00")


def test_bill_support_orders_lines_by_case_start():
    result = bill_support(SupportPolicy(), [case("B", cph(2026, 10, 7, 10), cph(2026, 10, 7, 11)),
                                            case("A", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11))], DK, None, "DKK")
    assert [line.case_id for line in result.lines] == ["A", "B"]


def test_time_is_billed_by_the_second_not_by_the_minute():
    # 10:00:00-10:20:30: 1,230 s at 800 DKK/h = 273.333... -> 273.33
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 10, 20, 30), "1")) == [(BUSINESS, 1230, D("273.33"))]
    # and across the 16:00 edge: 15:59:45-16:00:30 is 15 s of business time and 30 s after hours, topped up
    # to 15 minutes at the class it started in
    assert lines(case("S", cph(2026, 10, 6, 15, 59, 45), cph(2026, 10, 6, 16, 0, 30), "1")) == [
        (BUSINESS, 15 + 900 - 45, D("193.33")), (AFTER_HOURS, 30, D("13.33"))]


def test_a_policy_sets_the_free_minutes_of_an_agreement():
    policy = SupportPolicy(free_minutes_with_agreement=30)
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1"), agreement="GOD", policy=policy) == [
        (BUSINESS, 1800, D("400.00"))]
    none_free = SupportPolicy(free_minutes_with_agreement=0)
    assert lines(case("S", cph(2026, 10, 6, 10), cph(2026, 10, 6, 11), "1"), agreement="GOD", policy=none_free) == [
        (BUSINESS, 3600, D("800.00"))]
