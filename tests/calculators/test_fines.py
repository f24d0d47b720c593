"""rules.md §5 (seed 000): 500,000 VND at the 2nd occurrence of a bug, doubled for each next time."""
from decimal import Decimal
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datetime import timedelta

from creditsvc.calculators.fines import fine_amount, fine_amounts, periods_too_large, repeat_bug_fines
from creditsvc.calculators.money import AmountOverflow
from creditsvc.calculators.policy import FinesPolicy
from creditsvc.calculators.records import epoch

from tests.calculators.factories import D, bug, cph, fast, hcm, make_contract, policy_1office, statement


@pytest.mark.parametrize("k, amount", [
    (2, Decimal("500000")),
    (3, Decimal("1000000")),
    (4, Decimal("2000000")),
    (5, Decimal("4000000")),
    (30, Decimal("134217728000000")),
])
def test_the_fine_of_occurrence_k_is_500000_vnd_doubled_for_each_time_after_the_second(k, amount):
    assert fine_amount(FinesPolicy(), k, "VND") == amount


def test_the_original_report_occurrence_1_is_not_fined():
    assert fine_amount(FinesPolicy(), 1, "VND") == 0


def test_fines_are_exact_at_any_k_the_storage_can_hold():
    assert fine_amount(FinesPolicy(), 60, "VND") == 500_000 * 2**58


def test_max_fine_caps_one_fine():
    policy = FinesPolicy(max_fine=D(1_500_000))
    assert fine_amount(policy, 3, "VND") == Decimal("1000000")
    assert fine_amount(policy, 4, "VND") == Decimal("1500000")
    assert fine_amount(policy, 30, "VND") == Decimal("1500000")


def test_base_amount_and_multiplier_are_policy_fields():
    assert fine_amount(FinesPolicy(base_amount=D(100), multiplier=D(3)), 4, "DKK") == Decimal("900.00")


def sept_fines(*occurrences, policy=None):
    contract = make_contract(policy_1office(repeat_bug_fines=policy or FinesPolicy()))
    return statement(contract, "2026-09", bugs=occurrences).repeat_bug_fines


def test_occurrences_are_numbered_over_the_whole_history_so_a_fine_counts_earlier_periods():
    result = sept_fines(bug("r1", "BUG-1", hcm(2026, 7, 3)), bug("r2", "BUG-1", hcm(2026, 8, 12)),
                        bug("r3", "BUG-1", hcm(2026, 9, 5)))
    assert [(f.bug_id, f.occurrence, f.amount) for f in result.items] == [("BUG-1", 3, Decimal("1000000"))]
    assert result.total == Decimal("1000000")


def test_a_fine_belongs_to_the_period_in_which_its_occurrence_happened():
    occurrences = [bug("r1", "B", hcm(2026, 9, 1)), bug("r2", "B", hcm(2026, 9, 30, 23, 59, 59)),
                   bug("r3", "B", hcm(2026, 10, 1))]
    assert [f.occurrence for f in sept_fines(*occurrences).items] == [2]
    october = statement(make_contract(policy_1office()), "2026-10", bugs=occurrences).repeat_bug_fines
    assert [(f.occurrence, f.amount) for f in october.items] == [(3, Decimal("1000000"))]


def test_occurrences_are_numbered_in_occurred_at_order_not_in_input_order():
    result = sept_fines(bug("r3", "B", hcm(2026, 9, 20)), bug("r1", "B", hcm(2026, 9, 1)),
                        bug("r2", "B", hcm(2026, 9, 10)))
    assert [(f.occurrence, f.occurred_at) for f in result.items] == [(2, hcm(2026, 9, 10)), (3, hcm(2026, 9, 20))]
    assert result.total == Decimal("1500000")


def test_the_fines_do_not_depend_on_the_order_the_records_arrive_in_ties_included():
    # Numbered in occurred_at order over any input order. Two occurrences at the same instant get the
    # same fines whichever is numbered first (a fine names no record), so the id tie-break only keeps
    # the numbering deterministic; it is not visible here.
    same = hcm(2026, 9, 10, 12)
    records = [bug("r-b", "B", same), bug("r-a", "B", same), bug("r-c", "B", hcm(2026, 9, 2))]
    start, end = epoch(hcm(2026, 9, 1)), epoch(hcm(2026, 10, 1))
    results = {repeat_bug_fines(FinesPolicy(), list(order), start, end, "VND") for order in permutations(records)}
    assert len(results) == 1
    (result,) = results
    assert [f.occurrence for f in result.items] == [2, 3]
    assert result.total == Decimal("1500000")


def test_each_bug_is_numbered_on_its_own():
    result = sept_fines(bug("a1", "A", hcm(2026, 9, 1)), bug("b1", "B", hcm(2026, 9, 2)),
                        bug("a2", "A", hcm(2026, 9, 3)), bug("b2", "B", hcm(2026, 9, 4)))
    assert [(f.bug_id, f.occurrence) for f in result.items] == [("A", 2), ("B", 2)]
    assert result.total == Decimal("1000000")


def test_each_fine_is_a_credit_line_of_the_statement():
    contract = make_contract(policy_1office())
    result = statement(contract, "2026-09", bugs=[bug("r1", "B", hcm(2026, 9, 1)), bug("r2", "B", hcm(2026, 9, 2)),
                                                  bug("r3", "B", hcm(2026, 9, 3))])
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("repeat_bug_fine", Decimal("500000")), ("repeat_bug_fine", Decimal("1000000"))]
    assert result.credit_total == Decimal("1500000")


def test_the_30th_occurrence_is_fined_134_217_728_000_000_vnd_in_a_statement():
    occurrences = [bug(f"r{k:02d}", "B", hcm(2026, 8, 1, 0, k)) for k in range(1, 30)]
    occurrences.append(bug("r30", "B", hcm(2026, 9, 15)))
    result = sept_fines(*occurrences)
    assert [(f.occurrence, f.amount) for f in result.items] == [(30, Decimal("134217728000000"))]


def test_occurrences_within_the_same_second_are_still_numbered_in_occurred_at_order():
    moment = hcm(2026, 9, 10, 10)
    occurrences = [bug("r1", "X", hcm(2026, 9, 1)), bug("z", "X", moment.replace(microsecond=100_000)),
                   bug("a", "X", moment.replace(microsecond=900_000))]
    result = repeat_bug_fines(FinesPolicy(), occurrences, epoch(hcm(2026, 9, 1)), epoch(hcm(2026, 10, 1)), "VND")
    assert [(f.occurrence, f.occurred_at.microsecond) for f in result.items] == [(2, 100_000), (3, 900_000)]


def test_a_policy_may_start_fining_at_a_later_occurrence_with_the_same_amounts():
    # rules.md §5: the fine of occurrence k is base x multiplier^(k - 2) from first_fined_occurrence on
    policy = FinesPolicy(first_fined_occurrence=3)
    assert [fine_amount(policy, k, "VND") for k in (1, 2, 3, 4)] == [D(0), D(0), D(1_000_000), D(2_000_000)]
    contract = make_contract(policy_1office(repeat_bug_fines=policy))
    result = statement(contract, bugs=[bug(f"r{k}", "B", hcm(2026, 9, 1 + k)) for k in range(4)]).repeat_bug_fines
    assert [(f.occurrence, f.amount) for f in result.items] == [(3, D(1_000_000)), (4, D(2_000_000))]
    assert result.total == D(3_000_000)


def test_occurrences_in_the_repeated_autumn_hour_are_numbered_by_instant_not_wall_clock():
    # Python compares two times of one zone by wall clock, fold ignored: 02:20 CET (01:20Z) came before
    # 02:40 CEST (00:40Z) and took the 2nd occurrence's fine
    first, earlier = bug("b1", "X", cph(2026, 10, 20)), bug("b2", "X", cph(2026, 10, 25, 2, 40))
    later = bug("b3", "X", cph(2026, 10, 25, 2, 20).replace(fold=1))
    contract = make_contract(policy_1office(), timezone="Europe/Copenhagen")
    for order in permutations([first, earlier, later]):
        fines = statement(contract, "2026-10", bugs=list(order)).repeat_bug_fines
        assert [(f.occurrence, f.occurred_at) for f in fines.items] == [(2, earlier.occurred_at), (3, later.occurred_at)]
        assert [f.amount for f in fines.items] == [D(500_000), D(1_000_000)]


def test_a_bug_recurring_1500_times_at_a_multiplier_near_1_is_fined_exactly_at_every_occurrence():
    # rules.md §5: "exact at any k". Each fine now grows from the one before (computed from the 2nd for
    # every k, 2,000 occurrences at multiplier 1.0001 took 23 s; bench/calculations.py prints the ratio).
    from datetime import timedelta
    from fractions import Fraction

    from creditsvc.calculators.money import round_money

    policy = FinesPolicy(multiplier=D("1.0001"))
    occurrences = [bug(f"r{k:04d}", "B", hcm(2026, 9, 1) + timedelta(minutes=k)) for k in range(1, 1501)]
    result = sept_fines(*occurrences, policy=policy)
    assert [f.occurrence for f in result.items] == list(range(2, 1501))
    for fine in result.items[:3] + result.items[-3:]:
        exact = 500_000 * Fraction(10001, 10000) ** (fine.occurrence - 2)
        assert fine.amount == round_money(exact, "VND")
    assert fine_amount(policy, 1500, "VND") == result.items[-1].amount


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=30, unique=True),
       multiplier=st.sampled_from([D(1), D("1.0001"), D("1.5"), D(2), D(10)]),
       max_fine=st.sampled_from([None, D(600_000), D(10**9)]), first=st.integers(min_value=1, max_value=3))
def test_the_fines_of_any_occurrences_in_turn_are_each_occurrences_own_fine(numbers, multiplier, max_fine, first):
    # fine_amounts carries one running product past occurrences outside the month and stops it at the
    # cap: each of its answers must still be what fine_amount gives that occurrence alone
    from fractions import Fraction

    from creditsvc.calculators.money import AmountOverflow, round_money

    def alone(k):  # rules.md §5 as written: base x multiplier^(k - 2), capped; too large to store: None
        if k < first:
            return round_money(0, "VND")
        value = Fraction(policy.base_amount) * Fraction(multiplier) ** (k - 2)
        try:
            return round_money(min(value, max_fine) if max_fine is not None else value, "VND")
        except AmountOverflow:
            return None

    policy = FinesPolicy(multiplier=multiplier, max_fine=max_fine, first_fined_occurrence=first)
    numbers = sorted(numbers)
    got = []
    try:
        for amount in fine_amounts(policy, numbers, "VND"):
            got.append(amount)
    except AmountOverflow:
        got.append(None)  # the first fine too large ends the month's fines
    expected = [alone(k) for k in numbers]
    assert got == expected[:len(got)] and (len(got) == len(numbers) or got[-1] is None)


# --- every month's overflow at once (services/fine_limits) -------------------------------------------

def overflow_per_period(policy, occurrences, periods, currency):
    """The reference: repeat_bug_fines once per period, as the storage check called it."""
    why = {}
    for index, (start, end) in enumerate(periods):
        try:
            repeat_bug_fines(policy, list(occurrences), start, end, currency)
        except AmountOverflow as error:
            why[index] = error.message
    return why


MONTHS = [(epoch(hcm(2026, m, 1)), epoch(hcm(2026, m + 1, 1))) for m in range(1, 12)]


@fast(150)
@given(st.builds(FinesPolicy,
                 base_amount=st.sampled_from([D(1), D(500_000), D("999999999999999")]),
                 multiplier=st.sampled_from([D(1), D("1.5"), D(2), D("999.9999"), D(1000)]),
                 first_fined_occurrence=st.integers(1, 4),
                 max_fine=st.sampled_from([None, D("999999999999999")])),
       st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]),
                          st.integers(0, 330 * 86400) | st.sampled_from([40 * 86400, 40 * 86400 + 1]),  # ties
                          st.integers(0, 2)), max_size=60),
       st.sets(st.integers(0, len(MONTHS) - 1)),
       st.sampled_from(["VND", "DKK"]))
def test_the_months_too_large_to_store_are_the_ones_repeat_bug_fines_refuses_month_by_month(
        policy, records, chosen, currency):
    occurrences = [bug(f"o{k}-{tie}", bug_id, hcm(2026, 1, 1) + timedelta(seconds=offset))
                   for k, (bug_id, offset, tie) in enumerate(records)]
    periods = [MONTHS[i] for i in sorted(chosen)]
    assert periods_too_large(policy, occurrences, periods, currency) == \
        overflow_per_period(policy, occurrences, periods, currency)


def test_a_month_whose_fines_only_add_up_to_too_much_is_named_with_that_reason():
    # 11 bugs at their 8th time in July: 999,999,999,999,999 x 1000^6 each, 1.1 x 10^34 together
    policy = FinesPolicy(base_amount=D("999999999999999"), multiplier=D(1000))
    occurrences = [bug(f"{b}-{k}", b, hcm(2026, 1 if k < 7 else 7, 1 + k))
                   for b in "ABCDEFGHIJK" for k in range(8)]
    why = periods_too_large(policy, occurrences, MONTHS, "VND")
    assert why == overflow_per_period(policy, occurrences, MONTHS, "VND")
    assert why == {6: "The repeat-bug fines add up to more than can be stored (NUMERIC(38, 4))."}
