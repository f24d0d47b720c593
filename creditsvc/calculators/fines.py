"""Repeat-bug fines: 500,000 VND at the 2nd time, doubled for each next time (rules.md §5; seed 000)."""
from __future__ import annotations

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


def repeat_bug_fines(
    policy: FinesPolicy, occurrences: list[BugOccurrence], start: int, end: int, currency: str
) -> FinesResult:
    """Fines of the occurrences in [start, end), numbered over each bug's whole history."""
    history: dict[str, list[BugOccurrence]] = defaultdict(list)
    for occurrence in occurrences:
        history[occurrence.bug_id].append(occurrence)
    items = []
    for bug_id, group in history.items():
        # by instant, in UTC: two times of one zone compare by wall clock, fold ignored (02:20 CET after
        # 02:40 CEST sorted first); ties: by record id
        group.sort(key=lambda o: (epoch(o.occurred_at), o.occurred_at.astimezone(timezone.utc), o.id))
        fined = [(number, occurrence) for number, occurrence in enumerate(group, start=1)
                 if number >= policy.first_fined_occurrence and start <= epoch(occurrence.occurred_at) < end]
        amounts = fine_amounts(policy, (number for number, _ in fined), currency)
        for number, occurrence in fined:
            try:
                amount = next(amounts)
            except AmountOverflow:
                raise AmountOverflow(f"The fine of occurrence {number} of bug {bug_id!r} is too large to store "
                                     "(NUMERIC(38, 4)).", field="bug_occurrences") from None
            items.append(Fine(bug_id, number, occurrence.occurred_at, amount))
    items.sort(key=lambda f: (epoch(f.occurred_at), f.bug_id, f.occurrence))
    try:
        total = sum_money((f.amount for f in items), currency)
    except AmountOverflow:
        raise AmountOverflow("The repeat-bug fines add up to more than can be stored (NUMERIC(38, 4)).",
                             field="bug_occurrences") from None
    return FinesResult(tuple(items), total)
