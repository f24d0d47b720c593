"""rules.md §3-§10 composed: one Statement per contract and period, fee of the period, cap, application."""
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from creditsvc.calculators.money import decimal_str
from creditsvc.calculators.outage import OutageResult
from creditsvc.calculators.periods import explicit_period
from creditsvc.calculators.statement import credit_lines
from creditsvc.calculators.policy import ApplicationPolicy, OutagePolicy

from tests.calculators.factories import (
    D,
    HCM,
    SEPT_2026_SECONDS,
    bug,
    cph,
    dk_contract,
    hcm,
    incident,
    make_contract,
    outage,
    policy_1office,
    policy_3cx,
    policy_hvn,
    statement,
    uptime_3cx,
)


def test_worked_example_seed_001_statement_has_one_uptime_credit_line_of_400000_vnd():
    result = statement(make_contract(policy_3cx()), "2026-09", incidents=[
        incident("I-1", hcm(2026, 9, 10, 9), hcm(2026, 9, 10, 11, 30), "provider"),
        incident("I-2", hcm(2026, 9, 12, 1), hcm(2026, 9, 12, 3), "third_party")])
    assert result.contract_id == "C-1" and result.currency == "VND"
    assert result.period.label == "2026-09"
    assert result.status == "final"
    assert result.period_fee == Decimal("20000000")
    assert [(line.kind, line.amount) for line in result.lines] == [("uptime_credit", Decimal("400000"))]
    assert result.credit_total == Decimal("400000")


def test_a_section_absent_from_the_policy_computes_nothing_and_is_none():
    result = statement(make_contract(policy_3cx(application=None)), "2026-09")
    assert result.outage_credit is None and result.repeat_bug_fines is None
    assert result.support is None and result.tickets is None
    assert result.application is None and result.claim_deadline is None
    assert result.uptime is not None


def test_a_statement_without_credits_has_no_lines_and_a_zero_total():
    result = statement(make_contract(policy_3cx()), "2026-09")
    assert result.lines == () and result.credit_total == Decimal("0")


# --- §8 the fee of a period ----------------------------------------------------------------------

@pytest.mark.parametrize("amount, per", [(D(20_000_000), "month"), (D(60_000_000), "quarter"),
                                         (D(240_000_000), "year")])
def test_the_monthly_fee_is_the_amount_a_third_of_it_or_a_twelfth_of_it(amount, per):
    assert statement(make_contract(policy_3cx(), fee=amount, per=per), "2026-09").period_fee == Decimal("20000000")


def test_the_period_fee_is_pro_rata_to_the_service_seconds_of_a_partial_month():
    contract = make_contract(policy_3cx(), starts_on=date(2026, 9, 21))
    assert statement(contract, "2026-09").period_fee == Decimal("6666667")  # 10 of 30 days, rounded


def test_the_period_fee_of_a_partial_dst_month_is_pro_rata_to_exact_seconds():
    contract = dk_contract(policy_3cx(currency="DKK"), starts_on=date(2026, 10, 25))
    result = statement(contract, "2026-10")  # 169 h of 745 h
    assert result.period_fee == Decimal("2268.46")
    assert result.uptime.service_seconds == 169 * 3600


def test_a_full_dst_month_costs_the_full_monthly_fee():
    assert statement(dk_contract(policy_3cx(currency="DKK")), "2026-10").period_fee == Decimal("10000.00")
    assert statement(dk_contract(policy_3cx(currency="DKK")), "2026-03").period_fee == Decimal("10000.00")


def test_the_fee_of_an_explicit_period_is_the_sum_of_its_pro_rata_months():
    zone = ZoneInfo(HCM)
    period = explicit_period(datetime(2026, 1, 1, tzinfo=zone), datetime(2026, 6, 30, tzinfo=zone), zone)
    result = statement(make_contract(policy_hvn()), period)
    assert result.period_fee == Decimal("119333333")  # 5 months + 29/30 of June


# --- §3 the credit cap over uptime and outage credits together --------------------------------------

def capped_policy(cap):
    return policy_3cx(uptime=uptime_3cx(credit_cap_percent=D(cap)), outage_credit=OutagePolicy())


def capped(cap, downtime):
    return statement(make_contract(capped_policy(cap)), "2026-09",
                     incidents=[outage("I", hcm(2026, 9, 10), downtime, severity="critical")])


def test_the_credit_cap_limits_uptime_and_outage_credits_together_to_a_percent_of_the_period_fee():
    result = capped(10, 12 * 3600)  # uptime 98.33 % -> 3 % = 600,000; outage 6 blocks = 2,000,000
    assert result.uptime.credit_amount == Decimal("600000")
    assert result.outage_credit.capped is True
    assert result.uptime.credit_amount + result.outage_credit.credit_amount <= Decimal("2000000")
    assert result.credit_total <= Decimal("2000000")
    # the days the cap leaves, not the 6 blocks' 3: the line says why they disagree
    [line] = [line for line in result.lines if line.kind == "outage_credit"]
    assert line.description == f"Critical outage: 6 blocks, {decimal_str(result.outage_credit.credit_days)} days (capped)"


def test_uptime_and_outage_credits_below_the_cap_are_not_cut():
    result = capped(100, 12 * 3600)
    assert result.outage_credit.capped is False
    assert result.outage_credit.blocks == 6
    assert result.credit_total == Decimal("600000") + Decimal("2000000")


def test_when_uptime_plus_outage_credits_exceed_the_cap_the_total_is_the_cap():
    assert capped(10, 12 * 3600).credit_total == Decimal("2000000")


def test_one_more_second_of_downtime_never_lowers_the_capped_credit_total():
    assert capped(7, 38_881).credit_total >= capped(7, 38_880).credit_total


def test_without_an_uptime_section_the_outage_credit_is_capped_at_the_default_100_percent_of_the_period_fee():
    # 1office (no uptime section): a critical outage over the whole of September is 360 blocks =
    # 180 days = 72,000,000 VND uncapped; the default cap of 100 % leaves the month's fee, 12,000,000 = 30 days.
    contract = make_contract(policy_1office(), fee=D(12_000_000))
    result = statement(contract, "2026-09", incidents=[outage("I", hcm(2026, 9, 1), SEPT_2026_SECONDS,
                                                              severity="critical")])
    assert result.uptime is None
    assert result.outage_credit.blocks == 360
    assert result.outage_credit.capped is True
    assert result.outage_credit.credit_amount == Decimal("12000000")
    assert result.outage_credit.credit_days == Decimal("30")
    assert result.credit_total == Decimal("12000000")
    below = statement(contract, "2026-09", incidents=[outage("I", hcm(2026, 9, 1), 5 * 3600 + 600,
                                                             severity="critical")])
    assert below.outage_credit.capped is False and below.outage_credit.credit_amount == Decimal("400000")


def test_fines_are_not_limited_by_the_uptime_credit_cap():
    policy = policy_3cx(uptime=uptime_3cx(credit_cap_percent=D(1)), repeat_bug_fines=policy_1office().repeat_bug_fines)
    result = statement(make_contract(policy), "2026-09",
                       bugs=[bug(f"r{k}", "B", hcm(2026, 9, k)) for k in range(1, 5)])
    assert result.repeat_bug_fines.total == Decimal("3500000")
    assert result.credit_total == Decimal("3500000")


# --- §10 application of credits ------------------------------------------------------------------

@pytest.mark.parametrize("period, apply_on", [("2026-09", date(2026, 10, 1)), ("2026-07", date(2026, 10, 1)),
                                              ("2026-11", date(2027, 1, 1)), ("2026-12", date(2027, 1, 1)),
                                              ("2026-01", date(2026, 4, 1))])
def test_next_quarter_credits_are_applied_on_the_first_day_of_the_next_calendar_quarter(period, apply_on):
    application = statement(make_contract(policy_3cx()), period).application
    assert application.mode == "next_quarter"
    assert application.apply_on == apply_on
    assert application.refund_days_on_termination == 5
    assert application.cash_refund is False


@pytest.mark.parametrize("ends_on, apply_on, cash", [(date(2026, 10, 1), date(2026, 10, 6), True),
                                                     (date(2026, 9, 20), date(2026, 10, 6), True),
                                                     (date(2026, 10, 2), date(2026, 10, 1), False),
                                                     (date(2027, 1, 1), date(2026, 10, 1), False)])
def test_a_next_quarter_credit_is_refunded_within_5_days_of_the_end_when_the_term_ends_before_that_quarter(
        ends_on, apply_on, cash):
    # rules.md §10 and seed 001: "on termination the credit is refunded within 5 days" of the contract's
    # end. A term ending on 1 October had its September credit "deducted from the payment" of a quarter
    # it does not have; a term that reaches into that quarter still deducts it from its payment.
    application = statement(make_contract(policy_3cx(), ends_on=ends_on), "2026-09").application
    assert (application.mode, application.apply_on, application.cash_refund) == ("next_quarter", apply_on, cash)
    assert application.refund_days_on_termination == 5


def test_a_refund_on_termination_is_never_due_before_its_period_ends_nor_made_up_by_a_policy_without_one():
    # a December fine of a term ended on 1 October was "refunded" on 6 October, two months before it
    # happened; a policy that states no refund on termination has none invented (0 days)
    after_the_term = statement(make_contract(policy_3cx(), ends_on=date(2026, 10, 1)), "2026-12").application
    assert (after_the_term.apply_on, after_the_term.cash_refund) == (date(2027, 1, 6), True)
    silent = policy_3cx(application=ApplicationPolicy(mode="next_quarter"))
    ended = statement(make_contract(silent, ends_on=date(2026, 10, 1)), "2026-09").application
    assert (ended.apply_on, ended.cash_refund, ended.refund_days_on_termination) == (date(2026, 10, 1), False, None)


def test_account_credit_can_be_claimed_up_to_3_months_after_the_period_ends():
    september = statement(make_contract(policy_hvn()), "2026-09")
    assert september.application.mode == "account_credit" and september.application.cash_refund is False
    assert september.claim_deadline == date(2026, 12, 31)
    assert statement(make_contract(policy_hvn()), "2026-11").claim_deadline == date(2027, 2, 28)


@pytest.mark.parametrize("mode", ["license_extension", "renewal_deduction"])
def test_license_extension_and_renewal_deduction_apply_at_the_licence_end(mode):
    # rules.md §10 / §4: both modes of seed 000 apply at the licence end (the test named both and ran
    # only license_extension, 1office's own mode)
    contract = make_contract(policy_1office(application=ApplicationPolicy(mode=mode)), ends_on=date(2027, 1, 1))
    application = statement(contract, "2026-09").application
    assert (application.mode, application.apply_on, application.cash_refund) == (mode, date(2027, 1, 1), False)


def test_next_invoice_credits_apply_on_the_day_after_the_period():
    policy = policy_3cx(application=ApplicationPolicy(mode="next_invoice"))
    assert statement(make_contract(policy), "2026-09").application.apply_on == date(2026, 10, 1)


# --- composition -----------------------------------------------------------------------------------

def test_every_credit_is_one_line_and_the_total_is_the_sum_of_the_rounded_lines():
    policy = policy_3cx(outage_credit=OutagePolicy(), repeat_bug_fines=policy_1office().repeat_bug_fines)
    result = statement(make_contract(policy, fee=D(12_000_000)), "2026-09",
                       incidents=[outage("I", hcm(2026, 9, 10, 9), 5 * 3600 + 600, severity="critical")],
                       bugs=[bug("r1", "B", hcm(2026, 8, 1)), bug("r2", "B", hcm(2026, 9, 2))])
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("uptime_credit", Decimal("240000")),  # 99.28 % -> 2 % of 12,000,000
        ("outage_credit", Decimal("400000")),
        ("repeat_bug_fine", Decimal("500000")),
    ]
    assert result.credit_total == Decimal("1140000")


def test_a_dkk_statement_carries_two_decimals_on_every_amount():
    result = statement(dk_contract(policy_3cx(currency="DKK"), fee=D("999.99")), "2026-10",
                       incidents=[outage("I", cph(2026, 10, 6), 10_000)])
    assert str(result.period_fee) == "999.99"
    assert str(result.uptime.credit_amount) == "20.00"
    assert str(result.credit_total) == "20.00"


def test_an_open_incident_from_before_the_period_makes_the_statement_provisional_and_counts_from_the_period_start():
    result = statement(make_contract(policy_3cx()), "2026-09", as_of=hcm(2026, 9, 1, 2),
                       incidents=[incident("O", hcm(2026, 8, 31, 23), None)])
    assert result.status == "provisional"
    assert result.uptime.downtime_seconds == 2 * 3600


def test_the_statement_is_a_pure_function_of_its_request():
    kwargs = dict(incidents=[incident("I", hcm(2026, 9, 10, 9), hcm(2026, 9, 10, 11, 30))])
    assert statement(make_contract(policy_3cx()), "2026-09", **kwargs) == statement(
        make_contract(policy_3cx()), "2026-09", **kwargs)


def test_in_a_part_month_the_cap_is_a_percent_of_the_part_months_fee_not_of_the_monthly_fee():
    # Contract from 21 Sep: 10 of 30 days, period fee 4,000,000 of 12,000,000. A 9-day critical outage
    # earns 54 days (21,600,000); capped at 100 % of the period fee, the credit is 4,000,000, not 12,000,000.
    contract = make_contract(policy_1office(), fee=D(12_000_000), starts_on=date(2026, 9, 21))
    result = statement(contract, "2026-09", incidents=[outage("X", hcm(2026, 9, 21, 12), 9 * 86400, severity="critical")])
    assert result.period_fee == D(4_000_000)
    assert result.outage_credit.capped is True
    assert result.outage_credit.credit_amount == D(4_000_000) and result.credit_total == D(4_000_000)
    # and under a 3cx-style cap of 50 %, with uptime credit first: 50 % of 4,000,000 in all
    policy = policy_3cx(uptime=uptime_3cx(credit_cap_percent=D(50)), outage_credit=OutagePolicy())
    both = statement(make_contract(policy, fee=D(12_000_000), starts_on=date(2026, 9, 21)), "2026-09",
                     incidents=[outage("X", hcm(2026, 9, 21, 12), 9 * 86400, severity="critical")])
    assert both.credit_total == D(2_000_000)


def test_the_daily_fee_divides_by_the_days_the_month_had_in_the_contracts_zone():
    # Apia skipped 30 December 2011: its December had 30 days, and a 2-hour critical outage earns half
    # of a 30th of the fee (rules.md §4), not of a 31st
    contract = make_contract(policy_1office(), timezone="Pacific/Apia", fee=D(30_000_000), starts_on=date(2011, 1, 1))
    critical = incident("i", datetime(2011, 12, 5, 19, tzinfo=timezone.utc), datetime(2011, 12, 5, 21, tzinfo=timezone.utc),
                        severity="critical")
    assert statement(contract, "2011-12", incidents=[critical]).outage_credit.credit_amount == D(500_000)


def test_an_explicit_period_reaching_local_january_2200_is_billed_for_all_its_hours():
    # Kiritimati is +14: the last 13 of these 23 hours are local January 2200, and were dropped
    zone = ZoneInfo("Pacific/Kiritimati")
    period = explicit_period(datetime(2199, 12, 31, tzinfo=timezone.utc), datetime(2199, 12, 31, 23, tzinfo=timezone.utc), zone)
    result = statement(make_contract(policy_3cx(), timezone="Pacific/Kiritimati"), period)
    assert result.period_fee == D(618_280)  # 20,000,000 × 10 h / 744 h + 20,000,000 × 13 h / 744 h


def test_the_deadlines_of_a_period_ending_at_a_skipped_midnight_count_from_the_day_before():
    # Santiago skips 00:00 on 6 September 2026: the period's last day is the 5th (rules.md §3, §10)
    zone = ZoneInfo("America/Santiago")
    period = explicit_period(datetime(2026, 8, 6, 4, tzinfo=timezone.utc), datetime(2026, 9, 6, 4, tzinfo=timezone.utc), zone)
    low = incident("i", datetime(2026, 8, 10, 4, tzinfo=timezone.utc), datetime(2026, 8, 12, 4, tzinfo=timezone.utc))
    result = statement(make_contract(policy_3cx(), timezone="America/Santiago"), period, incidents=[low])
    assert result.uptime.termination_notice_deadline == date(2026, 10, 5)  # 5 September + 30
    result = statement(make_contract(policy_hvn(), timezone="America/Santiago"), period, incidents=[low])
    assert result.claim_deadline == date(2026, 12, 5)


@pytest.mark.parametrize("blocks, days, says", [(1, "0.5", "1 block, 0.5 days"), (2, "1", "2 blocks, 1 day"),
                                                (3, "1.5", "3 blocks, 1.5 days")])
def test_an_outage_credit_line_says_block_and_day_in_the_number_they_count(blocks, days, says):
    # The line said "Critical outage: 2 blocks, 1 days" (and "1 blocks"), which a billing system copies
    # onto the customer's invoice as it is.
    result = OutageResult(blocks * 7200, blocks, D(days), D("200000") * blocks, "license_extension")
    [line] = credit_lines(None, result, None, None)
    assert line.description == f"Critical outage: {says}"
