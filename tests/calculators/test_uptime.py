"""rules.md §3 (seeds 001, 002): downtime, uptime %, bands, credit and the termination right."""
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from creditsvc.calculators.money import truncate
from creditsvc.calculators.periods import explicit_period
from creditsvc.calculators.uptime import select_band

from tests.calculators.factories import (
    D,
    HCM,
    SEPT_2026_SECONDS,
    hcm,
    incident,
    make_contract,
    outage,
    policy_3cx,
    policy_hvn,
    statement,
    uptime_3cx,
    uptime_hvn,
)

FEE = D(20_000_000)


def sept(policy, *incidents, **kw):
    return statement(make_contract(policy, **kw.pop("contract", {})), "2026-09", incidents=incidents, **kw)


def with_downtime(policy, seconds):
    """One provider outage of `seconds` in September 2026 (2,592,000 s), starting 1 Sep 00:00."""
    return sept(policy, outage("I-1", hcm(2026, 9, 1), seconds)).uptime


# --- worked examples -------------------------------------------------------------------------------

def test_worked_example_seed_001_provider_outage_of_9000_s_with_excluded_datacenter_outage_credits_400000_vnd():
    result = sept(policy_3cx(),
                  incident("I-1", hcm(2026, 9, 10, 9), hcm(2026, 9, 10, 11, 30), "provider"),
                  incident("I-2", hcm(2026, 9, 12, 1), hcm(2026, 9, 12, 3), "third_party"))
    up = result.uptime
    assert up.service_seconds == 2_592_000
    assert up.downtime_seconds == 9_000
    assert up.excluded_seconds == 7_200
    assert up.uptime == Fraction(2_583_000 * 100, 2_592_000)
    assert truncate(up.uptime) == D("99.6527")
    assert up.band.from_percent == D("98.5")
    assert up.credit_percent == D(2)
    assert up.credit_amount == Decimal("400000")
    assert up.termination_right is False and up.termination_notice_deadline is None
    assert result.credit_total == Decimal("400000")


def test_worked_example_seed_002_4318_hours_up_of_4320_over_an_explicit_180_day_period():
    zone = ZoneInfo(HCM)
    period = explicit_period(datetime(2026, 1, 1, tzinfo=zone), datetime(2026, 6, 30, tzinfo=zone), zone)
    assert period.seconds == 4320 * 3600
    result = statement(make_contract(policy_hvn()), period,
                       incidents=[incident("I-1", hcm(2026, 3, 10, 9), hcm(2026, 3, 10, 11), "provider")])
    assert result.uptime.service_seconds == 4320 * 3600
    assert result.uptime.downtime_seconds == 2 * 3600
    assert result.uptime.uptime == Fraction(4318 * 100, 4320)
    assert truncate(result.uptime.uptime) == D("99.9537")
    assert result.uptime.band is None and result.uptime.credit_amount == 0  # 99.95 % >= 99.9 %


# --- band edges ------------------------------------------------------------------------------------
# In a 30-day month 1 % of the time is 25,920 s, so every edge below is a whole number of seconds.

THREECX_EDGES = [
    # (uptime edge, downtime at the edge, credit % at the edge, credit % one second below, termination below)
    ("99.8", 5_184, 0, 2, False),
    ("98.5", 38_880, 2, 3, False),
    ("97.5", 64_800, 3, 5, False),
    ("96.5", 90_720, 5, 6, False),
    ("95.5", 116_640, 6, 10, True),
    ("94.5", 142_560, 10, 25, True),
]


@pytest.mark.parametrize("edge, downtime, at_edge, below, termination_below", THREECX_EDGES)
def test_3cx_uptime_exactly_at_a_band_edge_falls_in_the_band_above_and_one_second_more_downtime_in_the_band_below(
        edge, downtime, at_edge, below, termination_below):
    exact_edge = with_downtime(policy_3cx(), downtime)
    assert exact_edge.uptime == Fraction(D(edge))
    assert exact_edge.credit_percent == at_edge
    assert exact_edge.credit_amount == FEE * at_edge / 100
    one_more = with_downtime(policy_3cx(), downtime + 1)
    assert one_more.uptime < Fraction(D(edge))
    assert one_more.credit_percent == below
    assert one_more.credit_amount == FEE * below / 100
    assert one_more.termination_right is termination_below


def test_3cx_uptime_in_band_98_5_to_99_8_credits_two_percent_of_the_monthly_fee():
    assert with_downtime(policy_3cx(), 20_000).credit_amount == Decimal("400000")


def test_3cx_uptime_of_zero_credits_25_percent_with_a_termination_right():
    result = with_downtime(policy_3cx(), SEPT_2026_SECONDS)
    assert result.uptime == 0
    assert result.credit_percent == 25 and result.credit_amount == Decimal("5000000")
    assert result.termination_right is True


def test_3cx_uptime_at_or_above_the_99_8_commitment_credits_nothing():
    assert with_downtime(policy_3cx(), 0).credit_amount == 0
    assert with_downtime(policy_3cx(), 5_184).band is None


def test_3cx_termination_right_below_95_5_gives_the_notice_deadline_30_days_after_the_last_day_of_the_period():
    result = with_downtime(policy_3cx(), 116_641)
    assert result.termination_right is True
    assert result.termination_notice_deadline == date(2026, 10, 30)


def test_termination_notice_days_is_a_policy_field():
    policy = policy_3cx(uptime=uptime_3cx(termination_notice_days=10))
    assert with_downtime(policy, 150_000).termination_notice_deadline == date(2026, 10, 10)


def test_3cx_no_termination_right_at_or_above_95_5():
    result = with_downtime(policy_3cx(), 116_640)
    assert result.termination_right is False and result.termination_notice_deadline is None


HVN_EDGES = [
    ("99.9", 2_592, 0, 25),
    ("99", 25_920, 25, 50),
    ("95", 129_600, 50, 100),
]


@pytest.mark.parametrize("edge, downtime, at_edge, below", HVN_EDGES)
def test_hvn_uptime_exactly_at_a_band_edge_falls_in_the_band_above_and_one_second_more_downtime_in_the_band_below(
        edge, downtime, at_edge, below):
    exact_edge = with_downtime(policy_hvn(), downtime)
    assert exact_edge.uptime == Fraction(D(edge))
    assert exact_edge.credit_percent == at_edge
    assert exact_edge.credit_amount == FEE * at_edge / 100
    one_more = with_downtime(policy_hvn(), downtime + 1)
    assert one_more.credit_percent == below
    assert one_more.credit_amount == FEE * below / 100
    assert one_more.termination_right is False


def test_hvn_uptime_of_zero_credits_100_percent_of_the_fee():
    assert with_downtime(policy_hvn(), SEPT_2026_SECONDS).credit_amount == FEE


def test_hvn_band_95_to_98_99_is_the_half_open_range_95_to_99():
    assert select_band(Fraction(9899, 100), uptime_hvn()).credit_percent == 50
    assert select_band(Fraction(99), uptime_hvn()).credit_percent == 25


def test_band_selection_uses_the_exact_value_not_the_displayed_one():
    just_below = Fraction(998, 10) - Fraction(1, 10**9)
    assert truncate(just_below) == D("99.7999")
    assert select_band(just_below, uptime_3cx()).credit_percent == 2
    assert select_band(Fraction(998, 10), uptime_3cx()) is None


def test_bands_listed_in_any_order_select_the_largest_from_percent_not_above_uptime():
    shuffled = uptime_3cx(bands=tuple(reversed(uptime_3cx().bands)))
    assert select_band(Fraction(97), shuffled).credit_percent == 5


def test_the_credit_cap_limits_the_uptime_credit_to_a_percent_of_the_period_fee():
    policy = policy_hvn(uptime=uptime_hvn(credit_cap_percent=D(30)))
    assert with_downtime(policy, 200_000).credit_amount == Decimal("6000000")


# --- incidents -------------------------------------------------------------------------------------

def test_overlapping_incidents_are_never_counted_twice():
    result = sept(policy_3cx(), incident("A", hcm(2026, 9, 10, 9), hcm(2026, 9, 10, 11)),
                  incident("B", hcm(2026, 9, 10, 10), hcm(2026, 9, 10, 12)),
                  incident("C", hcm(2026, 9, 10, 10, 30), hcm(2026, 9, 10, 10, 45)))
    assert result.uptime.downtime_seconds == 3 * 3600


def test_an_incident_crossing_a_month_boundary_counts_in_each_month_for_its_part():
    crossing = incident("X", hcm(2026, 8, 31, 22), hcm(2026, 9, 1, 3))
    contract = make_contract(policy_3cx())
    assert statement(contract, "2026-08", incidents=[crossing]).uptime.downtime_seconds == 2 * 3600
    assert statement(contract, "2026-09", incidents=[crossing]).uptime.downtime_seconds == 3 * 3600


def test_an_open_incident_counts_until_as_of_and_makes_the_statement_provisional():
    result = sept(policy_3cx(), incident("O", hcm(2026, 9, 29, 22), None), as_of=hcm(2026, 9, 30, 1))
    assert result.uptime.downtime_seconds == 3 * 3600
    assert result.status == "provisional"


def test_an_open_incident_is_capped_at_the_period_end_when_as_of_is_later():
    result = sept(policy_3cx(), incident("O", hcm(2026, 9, 29, 22), None), as_of=hcm(2026, 10, 5))
    assert result.uptime.downtime_seconds == 26 * 3600
    assert result.status == "provisional"


def test_a_statement_whose_incidents_are_all_closed_is_final():
    result = sept(policy_3cx(), incident("C", hcm(2026, 9, 29, 22), hcm(2026, 9, 30, 1)), as_of=hcm(2026, 9, 30, 2))
    assert result.status == "final"


def test_an_open_incident_that_started_after_the_period_does_not_make_it_provisional():
    result = sept(policy_3cx(), incident("O", hcm(2026, 10, 2), None), as_of=hcm(2026, 10, 3))
    assert result.status == "final" and result.uptime.downtime_seconds == 0


def test_excluded_time_inside_counted_time_is_not_downtime():
    result = sept(policy_3cx(), incident("P", hcm(2026, 9, 10, 9), hcm(2026, 9, 10, 12), "provider"),
                  incident("T", hcm(2026, 9, 10, 10), hcm(2026, 9, 10, 11), "third_party"))
    assert result.uptime.downtime_seconds == 2 * 3600
    assert result.uptime.excluded_seconds == 3600


@pytest.mark.parametrize("notice_before, counted", [
    (timedelta(hours=23, minutes=59, seconds=59), True),
    (timedelta(hours=1), True),
    (timedelta(hours=24), False),
    (timedelta(days=3), False),
])
def test_maintenance_with_less_than_24_hours_notice_is_counted_and_with_24_hours_or_more_is_excluded(
        notice_before, counted):
    start = hcm(2026, 9, 10, 1)
    maintenance = incident("M", start, start + timedelta(hours=2), "maintenance", notice=start - notice_before)
    result = sept(policy_hvn(), maintenance).uptime
    assert result.downtime_seconds == (7200 if counted else 0)
    assert result.excluded_seconds == (0 if counted else 7200)


def test_maintenance_without_notice_is_counted():
    result = sept(policy_hvn(), incident("M", hcm(2026, 9, 10, 1), hcm(2026, 9, 10, 3), "maintenance"))
    assert result.uptime.downtime_seconds == 7200


def test_maintenance_notice_hours_is_a_policy_field():
    start = hcm(2026, 9, 10, 1)
    maintenance = incident("M", start, start + timedelta(hours=2), "maintenance", notice=start - timedelta(hours=47))
    policy = policy_hvn(uptime=uptime_hvn(maintenance_notice_hours=D(48)))
    assert sept(policy, maintenance).uptime.downtime_seconds == 7200


@pytest.mark.parametrize("cause", ["force_majeure", "isp", "maintenance"])
def test_a_cause_the_hvn_policy_excludes_is_not_downtime(cause):
    start = hcm(2026, 9, 10, 1)
    result = sept(policy_hvn(), incident("E", start, start + timedelta(hours=2), cause,
                                         notice=start - timedelta(days=2)))
    assert result.uptime.downtime_seconds == 0


@pytest.mark.parametrize("cause", ["isp", "force_majeure", "maintenance"])
def test_a_cause_the_3cx_policy_does_not_exclude_is_counted(cause):
    start = hcm(2026, 9, 10, 1)
    result = sept(policy_3cx(), incident("E", start, start + timedelta(hours=2), cause,
                                         notice=start - timedelta(days=2)))
    assert result.uptime.downtime_seconds == 7200


@pytest.mark.parametrize("cause", ["third_party", "customer"])
def test_a_cause_the_3cx_policy_excludes_is_not_downtime(cause):
    result = sept(policy_3cx(), incident("E", hcm(2026, 9, 10, 1), hcm(2026, 9, 10, 3), cause))
    assert result.uptime.downtime_seconds == 0 and result.uptime.excluded_seconds == 7200


def test_a_contract_starting_mid_month_is_measured_on_its_service_time_with_a_pro_rata_period_fee():
    result = sept(policy_3cx(), outage("I", hcm(2026, 9, 20), 5_184),
                  contract=dict(starts_on=date(2026, 9, 16)))
    assert result.uptime.service_seconds == 15 * 86400
    assert result.period_fee == Decimal("10000000")
    assert result.uptime.uptime == Fraction(996, 10)  # 5,184 s of 1,296,000 s = 0.4 %
    assert result.uptime.credit_amount == Decimal("200000")  # 2 % of the pro-rata fee


def test_downtime_before_the_contract_starts_is_not_counted():
    result = sept(policy_3cx(), incident("I", hcm(2026, 9, 15, 22), hcm(2026, 9, 16, 1)),
                  contract=dict(starts_on=date(2026, 9, 16)))
    assert result.uptime.downtime_seconds == 3600


def test_the_contract_end_date_is_exclusive():
    result = sept(policy_3cx(), incident("I", hcm(2026, 9, 15, 23), hcm(2026, 9, 16, 2)),
                  contract=dict(ends_on=date(2026, 9, 16)))
    assert result.uptime.service_seconds == 15 * 86400
    assert result.uptime.downtime_seconds == 3600
    assert result.period_fee == Decimal("10000000")


def test_a_period_outside_the_contract_term_has_no_service_time_and_no_credit():
    result = sept(policy_3cx(), outage("I", hcm(2026, 9, 5), 86400), contract=dict(starts_on=date(2026, 10, 1)))
    assert result.uptime.service_seconds == 0
    assert result.uptime.credit_amount == 0
    assert result.period_fee == 0


def test_rules_1_an_uptime_of_99_79999_percent_shows_99_7999_and_is_credited_in_the_band_below_99_8():
    # rules.md §1: "99.79999 % shows "99.7999", never "99.8000"", and the band is chosen on the exact
    # value. 20,001 s down in an explicit period of 10,000,000 s is exactly 99.79999 %.
    zone = ZoneInfo(HCM)
    start = datetime(2026, 1, 1, tzinfo=zone)
    period = explicit_period(start, start + timedelta(seconds=10_000_000), zone)
    result = statement(make_contract(policy_3cx()), period, incidents=[outage("I", hcm(2026, 2, 3, 9), 20_001)])
    assert result.uptime.uptime == Fraction(9_979_999, 100_000)
    assert truncate(result.uptime.uptime) == D("99.7999")
    assert result.uptime.band.from_percent == D("98.5") and result.uptime.credit_percent == 2
    # 2 % of 20,000,000 x (3 months + 2,224,000 s of April's 2,592,000 s) = 1,543,209.88
    assert result.uptime.credit_amount == D("1543210")
