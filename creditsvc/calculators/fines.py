"""Repeat-bug fines: 500,000 VND at the 2nd time, doubled for each next time (rules.md §5; seed 000)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .money import exact, round_money, sum_money
from .policy import FinesPolicy
from .records import BugOccurrence, epoch


@dataclass(frozen=True)
class Fine:
    bug_id: str
    occurrence: int
    occurred_at: datetime
    amount: Decimal


@dataclass(frozen=True)
class FinesResult:
    items: tuple[Fine, ...]
    total: Decimal


def fine_amount(policy: FinesPolicy, occurrence: int, currency: str) -> Decimal:
    """The fine of occurrence k >= first_fined_occurrence: base x multiplier^(k - 2) (rules.md §5: the base
    is the fine of the 2nd time), exact at any k, capped by max_fine."""
    if occurrence < policy.first_fined_occurrence:
        return round_money(0, currency)
    amount = exact(policy.base_amount) * exact(policy.multiplier) ** (occurrence - 2)
    if policy.max_fine is not None:
        amount = min(amount, exact(policy.max_fine))
    return round_money(amount, currency)


def repeat_bug_fines(
    policy: FinesPolicy, occurrences: list[BugOccurrence], start: int, end: int, currency: str
) -> FinesResult:
    """Fines of the occurrences in [start, end), numbered over each bug's whole history."""
    history: dict[str, list[BugOccurrence]] = defaultdict(list)
    for occurrence in occurrences:
        history[occurrence.bug_id].append(occurrence)
    items = []
    for bug_id, group in history.items():
        group.sort(key=lambda o: (o.occurred_at, o.id))  # ties: by record id
        for number, occurrence in enumerate(group, start=1):
            if number >= policy.first_fined_occurrence and start <= epoch(occurrence.occurred_at) < end:
                items.append(Fine(bug_id, number, occurrence.occurred_at, fine_amount(policy, number, currency)))
    items.sort(key=lambda f: (epoch(f.occurred_at), f.bug_id, f.occurrence))
    return FinesResult(tuple(items), sum_money((f.amount for f in items), currency))
