"""Fines that could not be stored (rules.md §1: an input that would overflow is a 422).

Repeat-bug fines double without end (§5), so stored bug occurrences, or new terms for them, can make
a fine larger than NUMERIC(38, 4) holds. Both are refused when they arrive, instead of leaving every
later statement of the contract a 422.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calculators.fines import repeat_bug_fines
from ..calculators.money import AmountOverflow
from ..calculators.policy import Policy
from ..db import models

_ALL_TIME = (-(2**63), 2**63)


def fines_too_large(session: Session, contract_id: str, policy: Policy, currency: str,
                    bug_ids: set[str] | None = None) -> dict[str, str]:
    """bug_id -> why, for each bug whose stored occurrences (all of them, or those of `bug_ids`) earn
    a fine, or fines in all, too large to store under `policy`."""
    from .statements import bug_record  # statements reads contracts, which read this

    if policy.repeat_bug_fines is None:
        return {}
    query = select(models.BugOccurrence).where(models.BugOccurrence.contract_id == contract_id)
    if bug_ids is not None:
        query = query.where(models.BugOccurrence.bug_id.in_(bug_ids))
    history = defaultdict(list)
    for row in session.execute(query).scalars():
        history[row.bug_id].append(bug_record(row))
    too_large = {}
    for bug_id, occurrences in history.items():
        try:
            repeat_bug_fines(policy.repeat_bug_fines, occurrences, *_ALL_TIME, currency)
        except AmountOverflow as error:
            too_large[bug_id] = error.message
    return too_large
