"""Repeat-bug fines: 500,000 VND at the 2nd time, doubled for each next time (rules.md §5; seed 000)."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction

from .frozen import frozen
from .money import AmountOverflow, exact, round_money, sum_money
from .policy import FinesPolicy
from .records import BugOccurrence, epoch


@frozen
class Fine:
    bug_id: str
    occurrence: int
    occurred_at: datetime
    amount: Decimal


@frozen
class FinesResult:
    items: tuple[Fine, ...]
    total: Decimal


def fine_amount(policy: FinesPolicy, occurrence: int, currency: str) -> Decimal:
    """The fine of occurrence k >= first_fined_occurrence: base x multiplier^(k - 2) (rules.md §5: the base
    is the fine of the 2nd time), exact at any k the storage can hold, capped by max_fine."""
    return next(fine_amounts(policy, [occurrence], currency))


# What NUMERIC(38, 4) can hold: a fine that reaches it stops growing, and round_money refuses it.
_LIMIT = Fraction(10**34)


def fine_amounts(policy: FinesPolicy, occurrences: Iterable[int], currency: str) -> Iterator[Decimal]:
    """fine_amount of each of increasing occurrence numbers, in turn. Each fine grows from the one
    before it, so the fines of a bug's n occurrences cost n multiplications: worked out from the 2nd
    for every k, they cost n^2 / 2 of ever longer fractions (23 s for 2,000 at multiplier 1.0001)."""
    base, multiplier = exact(policy.base_amount), exact(policy.multiplier)
    cap = exact(policy.max_fine) if policy.max_fine is not None else None
    reached, amount = 2, base  # the fine of occurrence `reached`, or less once it stopped growing
    for occurrence in occurrences:
        if occurrence < policy.first_fined_occurrence:
            yield round_money(0, currency)
            continue
        if occurrence <= 2 or multiplier == 1:
            value = base * multiplier ** (occurrence - 2) if multiplier != 1 else base
        else:
            # The fine only grows: stop multiplying once it reaches the cap, or past what NUMERIC(38, 4)
            # can hold (round_money then refuses it), instead of raising 999.9999 to the 10,000th power.
            for _ in range(occurrence - reached):
                if amount >= _LIMIT or (cap is not None and amount >= cap):
                    break
                amount *= multiplier
            reached, value = occurrence, amount
        yield round_money(min(value, cap) if cap is not None else value, currency)


def _numbered(occurrences: list[BugOccurrence]) -> dict[str, list[BugOccurrence]]:
    """Each bug's occurrences in the order they are numbered (rules.md §5), bugs in order of appearance."""
    history: dict[str, list[BugOccurrence]] = defaultdict(list)
    for occurrence in occurrences:
        history[occurrence.bug_id].append(occurrence)
    for group in history.values():
        # by instant, in UTC: two times of one zone compare by wall clock, fold ignored (02:20 CET after
        # 02:40 CEST sorted first); ties: by record id
        group.sort(key=lambda o: (epoch(o.occurred_at), o.occurred_at.astimezone(timezone.utc), o.id))
    return history


def _fine_too_large(number: int, bug_id: str) -> str:
    return f"The fine of occurrence {number} of bug {bug_id!r} is too large to store (NUMERIC(38, 4))."


_SUM_TOO_LARGE = "The repeat-bug fines add up to more than can be stored (NUMERIC(38, 4))."


def repeat_bug_fines(
    policy: FinesPolicy, occurrences: list[BugOccurrence], start: int, end: int, currency: str
) -> FinesResult:
    """Fines of the occurrences in [start, end), numbered over each bug's whole history."""
    items = []
    for bug_id, group in _numbered(occurrences).items():
        fined = [(number, occurrence) for number, occurrence in enumerate(group, start=1)
                 if number >= policy.first_fined_occurrence and start <= epoch(occurrence.occurred_at) < end]
        amounts = fine_amounts(policy, (number for number, _ in fined), currency)
        for number, occurrence in fined:
            try:
                amount = next(amounts)
            except AmountOverflow:
                raise AmountOverflow(_fine_too_large(number, bug_id), field="bug_occurrences") from None
            items.append(Fine(bug_id, number, occurrence.occurred_at, amount))
    items.sort(key=lambda f: (epoch(f.occurred_at), f.bug_id, f.occurrence))
    try:
        total = sum_money((f.amount for f in items), currency)
    except AmountOverflow:
        raise AmountOverflow(_SUM_TOO_LARGE, field="bug_occurrences") from None
    return FinesResult(tuple(items), total)


def periods_too_large(policy: FinesPolicy, occurrences: list[BugOccurrence], periods: list[tuple[int, int]],
                      currency: str) -> dict[int, str]:
    """index -> the AmountOverflow message `repeat_bug_fines` raises for that period, for each of
    `periods` (sorted, disjoint [start, end) spans) whose fines are too large to store.

    The same answers as calling repeat_bug_fines once per period, with each bug's history numbered and
    its fines worked out once: per period, that call sorted the whole history again, so a batch that
    touched 1,000 months of a contract with 1,000 stored occurrences sorted them 1,000 times.
    A bug's fines never decrease (multiplier >= 1), so from its first fine too large to store on, every
    later one is too large too.
    """
    if any(b[0] < a[1] for a, b in zip(periods, periods[1:])):
        raise ValueError("periods must be sorted and disjoint")
    starts = [start for start, _ in periods]

    def period_of(occurrence: BugOccurrence) -> int | None:
        moment = epoch(occurrence.occurred_at)
        index = bisect_right(starts, moment) - 1
        return index if index >= 0 and moment < periods[index][1] else None

    # per period: the fined occurrences in it, as (bug's order of appearance, number, amount or None)
    inside: dict[int, list[tuple[int, int, Decimal | None]]] = defaultdict(list)
    history = _numbered(occurrences)
    for order, group in enumerate(history.values()):
        fined = [(number, index) for number, occurrence in enumerate(group, start=1)
                 if number >= policy.first_fined_occurrence and (index := period_of(occurrence)) is not None]
        amounts = fine_amounts(policy, (number for number, _ in fined), currency)
        too_large = False
        for number, index in fined:
            if not too_large:
                try:
                    amount = next(amounts)
                except AmountOverflow:
                    too_large = True
            inside[index].append((order, number, None if too_large else amount))
    bug_ids = list(history)
    why = {}
    for index, fines in inside.items():
        failing = min(((order, number) for order, number, amount in fines if amount is None), default=None)
        if failing is not None:
            why[index] = _fine_too_large(failing[1], bug_ids[failing[0]])
            continue
        try:
            sum_money((amount for _, _, amount in fines), currency)
        except AmountOverflow:
            why[index] = _SUM_TOO_LARGE
    return why
