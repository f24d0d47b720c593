"""Month-end close: issue the credit note of every contract owed something for a period.

Each note is issued in its own transaction, and a contract whose period already has a live note is
left alone, so a run killed halfway is finished by running it again: every note exactly once, the
number series unbroken.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..calculators.errors import DomainError
from ..calculators.money import round_money
from ..calculators.statement import Statement
from ..db.models import CreditNote
from ..schemas.statement import dump_statement
from . import credit_notes
from .statements import statements_for_period


@dataclass
class CloseSummary:
    period: str
    owed: list[tuple[str, str]] = field(default_factory=list)  # (contract, credit total) with a credit
    issued: list[tuple[str, str]] = field(default_factory=list)  # (contract, number) issued by this run
    already: list[tuple[str, str]] = field(default_factory=list)  # (contract, number) issued before
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (contract, reason)
    # (contract, number, the note's credit total, the statement's now, the parts that differ): records
    # stored since, with `supersede`, or the contract's terms changed the month's figures (its total,
    # or only, say, how the credit is applied); a correction (POST .../credit-notes with supersede) is
    # due, unless `uncorrectable` says why none can be issued now
    stale: list[tuple[str, str, str, str, list[str]]] = field(default_factory=list)
    # contract -> why a correction of its out-of-date note is refused now ("code: message"), e.g. the
    # claim window closed since (rules.md §10): the run must not ask for one
    uncorrectable: dict[str, str] = field(default_factory=dict)
    contracts: int = 0


def close_period(sessions: sessionmaker, label: str, now: datetime, *, dry_run: bool = False,
                 seller: dict | None = None,
                 progress: Callable[[int, int, str | None], None] | None = None) -> CloseSummary:
    """`progress(done, total, event)` is called after each owed contract; `event` says what was issued."""
    summary = CloseSummary(label)
    refusals: dict[str, DomainError | None] = {}
    with sessions() as session:
        # NUMERIC(38, 4) reads back as 600000.0000: shown at the currency's digits, as the note shows it
        live = {contract_id: (number, round_money(total, currency)) for contract_id, number, total, currency in
                session.execute(select(CreditNote.contract_id, CreditNote.number, CreditNote.credit_total,
                                       CreditNote.currency).where(CreditNote.period == label,
                                                                  CreditNote.status == "issued")
                                .order_by(CreditNote.contract_id)).all()}
        pending: list[tuple[str, Statement]] = []  # statements to compare with their live notes, a batch at a time
        for row, statement in statements_for_period(session, label, now):
            summary.contracts += 1
            if isinstance(statement, DomainError):
                summary.skipped.append((row.id, f"{statement.code}: {statement.message}"))
                continue
            if row.id in live:
                pending.append((row.id, statement))
                if len(pending) == _COMPARED_AT_ONCE:
                    _compare_with_notes(session, label, now, live, pending, summary)
            if statement.credit_total:
                summary.owed.append((row.id, format(statement.credit_total, "f")))
                if dry_run:  # a run asks when it issues
                    refusals[row.id] = credit_notes.refusal_to_issue(statement, label, now)
        _compare_with_notes(session, label, now, live, pending, summary)
    for done, (contract_id, _total) in enumerate(summary.owed, start=1):
        event = None
        if contract_id in live:
            summary.already.append((contract_id, live[contract_id][0]))
        elif dry_run:
            # the questions issuing asks (ended, final, inside the claim window), asked of the same statement
            if refusals[contract_id] is not None:
                error = refusals[contract_id]
                summary.skipped.append((contract_id, f"{error.code}: {error.message}"))
        else:
            event = _issue_one(sessions, contract_id, label, now, seller, summary)
        if progress:
            progress(done, len(summary.owed), event)
    return summary


_COMPARED_AT_ONCE = 500


def _compare_with_notes(session: Session, label: str, now: datetime, live: dict[str, tuple[str, Decimal]],
                        pending: list[tuple[str, Statement]], summary: CloseSummary) -> None:
    """Record in `summary.stale` each pending statement whose live note is out of date, as a correction
    sees it (credit_notes.changed_figures: the whole statement, not only its total), and empty `pending`.
    The notes' frozen statements are read for these contracts only: a month's all at once held
    2 GB for 10,000 notes of 37 KB."""
    if not pending:
        return
    frozen = dict(session.execute(select(CreditNote.number, CreditNote.statement).where(
        CreditNote.number.in_([live[contract_id][0] for contract_id, _ in pending]),
        CreditNote.status == "issued")).all())
    for contract_id, statement in pending:
        number, credited = live[contract_id]
        if number not in frozen:  # voided by a correction since `live` was read: that one is current
            continue
        changed = credit_notes.changed_figures(frozen[number], dump_statement(statement))
        if changed:
            summary.stale.append((contract_id, number, format(credited, "f"),
                                  format(statement.credit_total, "f"), changed))
            refusal = credit_notes.refusal_to_issue(statement, label, now, correcting=True)
            if refusal is not None:
                summary.uncorrectable[contract_id] = f"{refusal.code}: {refusal.message}"
    pending.clear()


def _issue_one(sessions: sessionmaker, contract_id: str, label: str, now: datetime, seller: dict | None,
               summary: CloseSummary) -> str:
    session: Session
    with sessions() as session:
        try:
            note, created = credit_notes.issue(session, contract_id, label, now=now, seller=seller)
        except DomainError as error:
            session.rollback()
            summary.skipped.append((contract_id, f"{error.code}: {error.message}"))
            return f"skipped {contract_id}: {error.code}: {error.message}"
        (summary.issued if created else summary.already).append((contract_id, note.number))
        return f"issued {note.number} to {contract_id}" if created else f"already issued {note.number} to {contract_id}"
