"""Fines that could not be stored (rules.md §1: an input that would overflow is a 422).

Repeat-bug fines double without end (§5), so stored bug occurrences, or new terms for them, can make
a month's fines larger than NUMERIC(38, 4) holds. Both are refused when they arrive, instead of
leaving that month's statement a 422 for good. The check is the statement's own: the fines of each
month, numbered over each bug's whole history, as `repeat_bug_fines` computes them.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calculators.fines import periods_too_large
from ..calculators.periods import calendar_month, month_of
from ..calculators.policy import Policy
from ..db import models


def months_too_large(session: Session, contract_id: str, policy: Policy, currency: str, timezone: str,
                     bug_ids: set[str] | None = None) -> dict[str, tuple[str, set[str]]]:
    """month -> (why, the bugs with occurrences that month), for each month whose fines (all bugs
    together) would be too large to store under `policy`. With `bug_ids`, only the months those bugs'
    occurrences fall in are looked at (an occurrence renumbers its bug's later ones, so every month of
    the bug may change)."""
    from .statements import bug_record  # statements reads contracts, which read this

    if policy.repeat_bug_fines is None:
        return {}
    zone = ZoneInfo(timezone)
    history = [bug_record(row) for row in session.execute(
        select(models.BugOccurrence).where(models.BugOccurrence.contract_id == contract_id)).scalars()]
    bugs_in: dict[date, set[str]] = {}  # by the first day of the month the statement counts it in
    for occurrence in history:
        bugs_in.setdefault(month_of(occurrence.occurred_at, zone), set()).add(occurrence.bug_id)
    firsts = [first for first, bugs in sorted(bugs_in.items()) if bug_ids is None or bugs & bug_ids]
    months = [calendar_month(first, zone) for first in firsts]  # local December 1969 or January 2200 too
    # every month at once: once per month, the whole history was sorted and numbered again
    why = periods_too_large(policy.repeat_bug_fines, history, [(m.start_ts, m.end_ts) for m in months], currency)
    return {months[index].label: (f"{months[index].label}: {message}", bugs_in[firsts[index]])
            for index, message in sorted(why.items())}
