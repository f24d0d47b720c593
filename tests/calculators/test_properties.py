"""Properties of the calculation core (Hypothesis): monotone credits, exact minor units, lines that add
up, credits within the fee and the cap, and no float ever accepted. Examples are kept modest."""
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from creditsvc.calculators import intervals
from creditsvc.calculators.money import exact, exponent, round_money, truncate
from creditsvc.calculators.periods import month_period
from creditsvc.calculators.policy import FinesPolicy, OutagePolicy, SupportPolicy, Target
from creditsvc.calculators.records import Fee, SupportCase
from creditsvc.calculators.uptime import select_band

from tests.calculators.factories import (
    CPH,
    D,
    HCM,
    SEPT_2026_SECONDS,
    VN_HOURS,
    bug,
    case,
    fast,
    hcm,
    incident,
    make_contract,
    minor_units_ok,
    outage,
    policy_1office,
    policy_3cx,
    policy_hvn,
    statement,
    ticket,
    ticket_policy,
    uptime_3cx,
    uptime_hvn,
)

SEPT_START = hcm(2026, 9, 1)
CAUSES = ["provider", "maintenance", "force_majeure", "third_party", "isp", "customer"]


@st.composite
def incidents_in_september(draw, causes=CAUSES, severities=("critical", "major", "minor"), max_size=5):
    out = []
    for n in range(draw(st.integers(0, max_size))):
        start = SEPT_START + timedelta(seconds=draw(st.integers(-86400, SEPT_2026_SECONDS)))
        length = draw(st.integers(0, 3 * 86400))
        notice = draw(st.none() | st.integers(0, 3 * 86400).map(lambda s, start=start: start - timedelta(seconds=s)))
        out.append(incident(f"I{n}", start, start + timedelta(seconds=length), draw(st.sampled_from(causes)),
                            draw(st.sampled_from(severities)), notice))
    return out


provider_outages = st.builds(
    lambda offset, length, severity: outage("extra", SEPT_START + timedelta(seconds=offset), length, "provider",
                                            severity),
    st.integers(0, SEPT_2026_SECONDS - 1), st.integers(1, 2 * 86400), st.just("critical"))


# --- credit never decreases as downtime grows ------------------------------------------------------

@fast(150)
@given(st.sampled_from(["3cx", "hvn"]), incidents_in_september(), provider_outages)
def test_uptime_credit_never_decreases_when_counted_downtime_is_added(name, base, extra):
    policy = policy_3cx() if name == "3cx" else policy_hvn()
    contract = make_contract(policy)
    before = statement(contract, "2026-09", incidents=base).uptime
    after = statement(contract, "2026-09", incidents=base + [extra]).uptime
    assert after.downtime_seconds >= before.downtime_seconds
    assert after.credit_amount >= before.credit_amount
    assert after.credit_percent >= before.credit_percent


@fast(150)
@given(st.sampled_from(["3cx", "hvn"]), st.integers(0, SEPT_2026_SECONDS), st.integers(0, SEPT_2026_SECONDS))
def test_uptime_band_credit_is_monotone_in_downtime_seconds(name, a, b):
    policy = policy_3cx() if name == "3cx" else policy_hvn()
    low, high = sorted((a, b))
    contract = make_contract(policy)
    credit = [statement(contract, "2026-09", incidents=[outage("I", SEPT_START, s)]).uptime.credit_amount
              for s in (low, high)]
    assert credit[0] <= credit[1]


@fast(150)
@given(st.sampled_from(["completed", "started"]), st.sampled_from(["period", "incident"]),
       incidents_in_september(), provider_outages)
def test_outage_credit_never_decreases_when_critical_downtime_is_added(rounding, scope, base, extra):
    if rounding == "started" and scope == "incident":
        # Started blocks per incident give each second to the earliest report covering it, so a report
        # that starts first can take separate incidents into one outage and start fewer blocks
        # (test_outage.py shows the shape; rules.md does not choose). What is promised: a report that
        # starts after every report it overlaps never lowers the credit.
        assume(not any(extra.started_at <= i.started_at < extra.ended_at for i in base))
    policy = policy_1office(outage_credit=OutagePolicy(rounding=rounding, scope=scope))
    contract = make_contract(policy, fee=D(12_000_000))
    before = statement(contract, "2026-09", incidents=base).outage_credit
    after = statement(contract, "2026-09", incidents=base + [extra]).outage_credit
    assert after.blocks >= before.blocks
    assert after.credit_amount >= before.credit_amount


@fast(150)
@given(st.sampled_from(["completed", "started"]), incidents_in_september(), provider_outages)
def test_incident_scope_counts_the_same_downtime_as_period_scope_never_a_second_twice(rounding, base, extra):
    outage = {scope: statement(make_contract(policy_1office(outage_credit=OutagePolicy(rounding=rounding, scope=scope)),
                                             fee=D(12_000_000)), "2026-09", incidents=base + [extra]).outage_credit
              for scope in ("period", "incident")}
    assert outage["incident"].downtime_seconds == outage["period"].downtime_seconds


@fast(100)
@example(cap=7, a=38_880, b=38_881)
@given(st.sampled_from([5, 7, 10, 25]), st.integers(0, 3 * 86400), st.integers(0, 3 * 86400))
def test_capped_uptime_plus_outage_credit_never_decreases_as_downtime_grows(cap, a, b):
    low, high = sorted((a, b))
    contract = make_contract(policy_3cx(uptime=uptime_3cx(credit_cap_percent=D(cap)), outage_credit=OutagePolicy()))
    totals = [statement(contract, "2026-09", incidents=[outage("I", SEPT_START, s, severity="critical")]).credit_total
              for s in (low, high)]
    assert totals[0] <= totals[1]


# --- random whole statements -----------------------------------------------------------------------

@st.composite
def random_statements(draw):
    currency = draw(st.sampled_from(["VND", "DKK", "EUR"]))
    zone = draw(st.sampled_from([HCM, CPH]))
    label = draw(st.sampled_from(["2026-02", "2026-03", "2026-09", "2026-10"]))
    period = month_period(label, ZoneInfo(zone))
    fee = Decimal(draw(st.integers(0, 10**12))).scaleb(-draw(st.integers(0, 4)))
    cap = draw(st.sampled_from([D(100), D(50), D(10), D("2.5")]))
    policy = policy_3cx(
        currency=currency,
        uptime=draw(st.sampled_from([uptime_3cx, uptime_hvn]))(credit_cap_percent=cap),
        outage_credit=OutagePolicy(rounding=draw(st.sampled_from(["completed", "started"])),
                                   scope=draw(st.sampled_from(["period", "incident"]))),
        repeat_bug_fines=FinesPolicy(max_fine=draw(st.none() | st.just(D(3_000_000)))),
        support_billing=SupportPolicy(agreement_discounts={"GOD": D(0), "BEDRE": D("12.5"), "BEDST": D(33)}),
        business_hours=VN_HOURS if zone == HCM else None,
        ticket_targets=ticket_policy(P1=Target(response="30m", resolution="4h", breach_credit=D("99.995")),
                                     P4=Target(response="4h", resolution="2d", clock="business",
                                               breach_credit=D(7))))
    starts_on = period.first_day + timedelta(days=draw(st.integers(-40, 20)))
    ends_on = draw(st.none() | st.integers(1, 60).map(lambda d: starts_on + timedelta(days=d)))
    contract = make_contract(policy, currency=currency, timezone=zone, fee=fee,
                             per=draw(st.sampled_from(["month", "quarter", "year"])), starts_on=starts_on,
                             ends_on=ends_on, support_agreement=draw(st.sampled_from([None, "GOD", "BEDRE", "BEDST"])))

    def moment(low_days, high_days):
        return period.start + timedelta(seconds=draw(st.integers(low_days * 86400, high_days * 86400)))

    incidents = []
    for n in range(draw(st.integers(0, 5))):
        start = moment(-3, 31)
        end = draw(st.none() | st.integers(0, 3 * 86400).map(lambda s, start=start: start + timedelta(seconds=s)))
        notice = draw(st.none() | st.just(start - timedelta(hours=draw(st.integers(0, 48)))))
        incidents.append(incident(f"I{n}", start, end, draw(st.sampled_from(CAUSES)),
                                  draw(st.sampled_from(["critical", "major"])), notice))
    bugs = [bug(f"B{n}", draw(st.sampled_from(["x", "y"])), moment(-40, 31)) for n in range(draw(st.integers(0, 8)))]
    cases = []
    for n in range(draw(st.integers(0, 5))):
        start = moment(0, 30)
        km = Decimal(draw(st.integers(0, 50_000))).scaleb(-draw(st.integers(0, 3)))
        cases.append(case(f"S{n}", start, start + timedelta(seconds=draw(st.integers(0, 12 * 3600))),
                          draw(st.sampled_from(["1", "2"])), km))
    tickets = []
    for n in range(draw(st.integers(0, 4))):
        opened = moment(0, 30)
        resolved = draw(st.none() | st.integers(0, 4 * 86400).map(lambda s, o=opened: o + timedelta(seconds=s)))
        tickets.append(ticket(f"T{n}", draw(st.sampled_from(["P1", "P4"])), opened,
                              responded=opened + timedelta(minutes=draw(st.integers(0, 600))), resolved=resolved))
    as_of = moment(0, 40)
    return statement(contract, period, as_of=as_of, incidents=incidents, bugs=bugs, cases=cases, tickets=tickets)


def amounts_of(result):
    yield result.period_fee
    yield result.credit_total
    yield from (line.amount for line in result.lines)
    if result.uptime:
        yield result.uptime.credit_amount
    if result.outage_credit:
        yield result.outage_credit.credit_amount
    if result.repeat_bug_fines:
        yield result.repeat_bug_fines.total
        yield from (fine.amount for fine in result.repeat_bug_fines.items)
    if result.support:
        yield from (result.support.subtotal, result.support.vat_amount, result.support.total)
        yield from (line.amount for line in result.support.lines)
    if result.tickets:
        yield result.tickets.breach_credit_total
        yield from (item.breach_credit for item in result.tickets.items if item.breach_credit is not None)


@fast(150)
@given(random_statements())
def test_every_amount_in_a_statement_is_a_whole_number_of_minor_units(result):
    digits = exponent(result.currency)
    for amount in amounts_of(result):
        assert minor_units_ok(amount, digits), amount


@fast(150)
@given(random_statements())
def test_statement_lines_sum_to_the_credit_total_and_support_lines_to_the_subtotal_plus_vat_is_the_total(result):
    assert sum(line.amount for line in result.lines) == result.credit_total
    if result.support:
        support = result.support
        assert sum(line.amount for line in support.lines) == support.subtotal
        assert support.subtotal + support.vat_amount == support.total
        assert support.vat_amount == round_money(exact(support.subtotal) * exact(support.vat_percent) / 100,
                                                 result.currency)
    if result.repeat_bug_fines:
        assert sum(f.amount for f in result.repeat_bug_fines.items) == result.repeat_bug_fines.total


@fast(150)
@given(random_statements())
def test_uptime_credit_is_between_zero_and_the_period_fee(result):
    uptime, fee = result.uptime, result.period_fee
    assert 0 <= uptime.credit_amount <= fee
    assert 0 <= result.outage_credit.credit_amount
    assert Fraction(0) <= uptime.uptime <= 100
    assert uptime.downtime_seconds <= uptime.service_seconds


@fast(150)
@given(st.sampled_from([D(100), D(50), D(10), D("2.5")]), incidents_in_september(max_size=6),
       st.integers(1, 10**10))
def test_uptime_plus_outage_credit_never_exceeds_the_credit_cap(cap_percent, incidents, fee):
    contract = make_contract(policy_3cx(uptime=uptime_3cx(credit_cap_percent=cap_percent),
                                        outage_credit=OutagePolicy()), fee=D(fee))
    result = statement(contract, "2026-09", incidents=incidents)
    cap = round_money(exact(cap_percent) / 100 * exact(result.period_fee), "VND")
    assert 0 <= result.uptime.credit_amount <= cap
    assert result.uptime.credit_amount + result.outage_credit.credit_amount <= cap


# --- money --------------------------------------------------------------------------------------

# A half of a minor unit exactly is the one case in which half-up differs from half-even (Babel's and
# Decimal's default): plain st.decimals(places=6) almost never drew one, so a half-even round_money
# passed this property under most seeds.
halves = st.tuples(st.integers(-10**12, 10**12), st.sampled_from(["VND", "DKK"])).map(
    lambda n: (Decimal(2 * n[0] + 1).scaleb(-1 - exponent(n[1])), n[1]))


@fast(200)
@given(st.one_of(st.tuples(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**12,
                                       max_value=10**12), st.sampled_from(["VND", "DKK"])), halves))
def test_round_money_agrees_with_decimal_quantize_round_half_up(value_and_currency):
    value, currency = value_and_currency
    quantum = Decimal(1).scaleb(-exponent(currency))
    expected = value.quantize(quantum, rounding=ROUND_HALF_UP, context=Context(prec=60))
    assert round_money(value, currency) == expected
    assert minor_units_ok(round_money(value, currency), exponent(currency))


# Band edges of the two policies below: only an uptime within 10^-4 of one can be shown in another band,
# and st.fractions over [0, 100] never drew one.
BAND_EDGES = sorted({Fraction(b.from_percent) for p in (uptime_3cx(), uptime_hvn()) for b in p.bands}
                    | {Fraction(p.commitment_percent) for p in (uptime_3cx(), uptime_hvn())})
near_band_edges = st.builds(lambda edge, k, d: min(Fraction(100), max(Fraction(0), edge + Fraction(k, d))),
                            st.sampled_from(BAND_EDGES), st.integers(-2000, 2000), st.sampled_from([10**7, 10**9]))


@fast(200)
@given(st.one_of(st.fractions(min_value=0, max_value=100, max_denominator=10**7), near_band_edges))
def test_the_truncated_uptime_display_never_falls_in_another_band_than_the_exact_value(uptime):
    shown = truncate(uptime)
    assert Fraction(shown) <= uptime < Fraction(shown) + Fraction(1, 10**4)
    for policy in (uptime_3cx(), uptime_hvn()):
        assert select_band(Fraction(shown), policy) == select_band(uptime, policy)


@fast(100)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_refused_as_money_as_a_fee_and_as_a_mileage(value):
    with pytest.raises(TypeError):
        round_money(value, "DKK")
    with pytest.raises(TypeError):
        Fee(amount=value)
    with pytest.raises(TypeError):
        SupportCase(id="S", started_at=hcm(2026, 9, 1), ended_at=hcm(2026, 9, 1, 1), level="1", km=value)


def test_the_float_examples_of_the_brief_are_refused():
    with pytest.raises(TypeError):
        round_money(1.5, "DKK")
    with pytest.raises(TypeError):
        Fee(amount=1.5)
    with pytest.raises(TypeError):
        case("S", hcm(2026, 9, 1), hcm(2026, 9, 1, 1), km=40.0)


# --- interval algebra against sets of seconds ---------------------------------------------------------

small = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=6)


def points(union):
    return {s for a, b in union for s in range(a, b)}


@fast(200)
@given(small, small)
def test_union_intersect_and_subtract_agree_with_sets_of_seconds(a, b):
    ua, ub = intervals.union(a), intervals.union(b)
    raw_a = {s for x, y in a for s in range(x, y)}
    assert points(ua) == raw_a and intervals.length(ua) == len(raw_a)
    assert all(x < y for x, y in ua) and all(ua[i][1] < ua[i + 1][0] for i in range(len(ua) - 1))
    assert points(intervals.intersect(ua, ub)) == points(ua) & points(ub)
    assert points(intervals.subtract(ua, ub)) == points(ua) - points(ub)
    assert intervals.length(intervals.intersect(ua, ub)) + intervals.length(intervals.subtract(ua, ub)) \
        == intervals.length(ua)


_minutes = st.integers(0, 3 * 24 * 60)


@fast(150)
@given(opened=st.integers(0, 20 * 24 * 60), resolved_after=_minutes,
       pauses=st.lists(st.tuples(st.integers(-600, 4 * 24 * 60), st.integers(0, 24 * 60)), max_size=4),
       extra=st.tuples(st.integers(-600, 4 * 24 * 60), st.integers(0, 24 * 60)),
       priority=st.sampled_from(["P1", "P4"]))
def test_a_pause_never_adds_clock_time_and_met_is_exactly_elapsed_within_the_target(opened, resolved_after, pauses,
                                                                                      extra, priority):
    # rules.md §7: pauses stop the clock; met when elapsed <= target. P1 runs on the calendar clock,
    # P4 on the business clock; pauses may start before the ticket and run past its resolution.
    from creditsvc.calculators.calendar import calendar_for
    from creditsvc.calculators.records import epoch
    from creditsvc.calculators.tickets import BREACHED, MET, ticket_targets

    start = hcm(2026, 9, 1) + timedelta(minutes=opened)

    def result(spans):
        one = ticket("T", priority, start, responded=start, resolved=start + timedelta(minutes=resolved_after),
                     pauses=tuple((start + timedelta(minutes=a), start + timedelta(minutes=a + n)) for a, n in spans))
        return ticket_targets(ticket_policy(), [one], epoch(start) + 10 * 86400, calendar_for(VN_HOURS, HCM),
                              "VND").items[0].resolution

    before, after = result(pauses), result([*pauses, extra])
    assert 0 <= after.elapsed_seconds <= before.elapsed_seconds <= resolved_after * 60
    for target in (before, after):
        assert target.status == (MET if target.elapsed_seconds <= target.target_seconds else BREACHED)


@fast(150)
@given(k=st.integers(2, 40), base=st.integers(1, 10**9), multiplier=st.integers(1, 5),
       cap=st.none() | st.integers(1, 10**12))
def test_each_fine_is_the_one_before_times_the_multiplier_until_the_cap(k, base, multiplier, cap):
    # rules.md §5: fine(k) = base x multiplier^(k - 2), one fine at most max_fine
    from creditsvc.calculators.fines import fine_amount

    assume(base * multiplier ** (k - 1) < 10**30)  # storable (bigger ones are refused, tested elsewhere)
    policy = FinesPolicy(base_amount=D(base), multiplier=D(multiplier), max_fine=None if cap is None else D(cap))
    this, following = fine_amount(policy, k, "VND"), fine_amount(policy, k + 1, "VND")
    uncapped = int(this) * multiplier  # in integers: Decimal's default context rounds past 28 digits
    assert following == (uncapped if cap is None else min(uncapped, cap))
    assert fine_amount(policy, 1, "VND") == 0 and fine_amount(policy, 2, "VND") == min(base, cap or base)


@fast(150)
@given(start=st.integers(0, 14 * 24 * 3600), seconds=st.integers(1, 3 * 24 * 3600), level=st.sampled_from(["1", "2"]),
       km=st.integers(0, 200))
def test_a_cases_lines_bill_its_whole_duration_or_the_minimum_and_driving_is_the_same_at_any_hour(start, seconds,
                                                                                                  level, km):
    # rules.md §6: business + after-hours seconds = the duration, or the 15-minute minimum; km x rate
    from creditsvc.calculators.calendar import BusinessCalendar
    from creditsvc.calculators.policy import BusinessHours
    from creditsvc.calculators.support import MILEAGE, bill_case

    begin = datetime(2026, 10, 1, tzinfo=ZoneInfo(CPH)) + timedelta(seconds=start)
    one = SupportCase("S", begin, begin + timedelta(seconds=seconds), level, D(km))
    lines = bill_case(one, SupportPolicy(), BusinessCalendar(BusinessHours(), CPH), None, "DKK")
    assert sum(line.seconds for line in lines if line.kind != MILEAGE) == max(seconds, 15 * 60)
    driving = [line.amount for line in lines if line.kind == MILEAGE]
    assert driving == ([round_money(D(km) * D("3.52"), "DKK")] if km else [])
