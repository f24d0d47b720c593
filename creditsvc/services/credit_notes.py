"""Credit notes: a frozen statement under the next number of the year's gap-free series (rules.md §11)."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..calculators.errors import DomainError
from ..calculators.money import decimal_str, round_money, sum_money
from ..canonical import canonical_json
from ..db.models import CreditNote, CreditNoteDocument, NumberSeries
from ..policies import load_stored_policy
from ..schemas.statement import dump_statement
from .errors import Conflict, NotFound
from .contracts import get_contract_row
from .records import pauses_in_order
from .statements import statement_for

_ATTEMPTS = 5


class ClaimWindowExpired(DomainError):
    code = "claim_window_expired"


def note_json(note: CreditNote) -> dict[str, Any]:
    """A credit note as served: the frozen statement plus its identity and state."""
    return {**note.statement, "number": note.number, "issued_at": _utc_text(note.issued_at),
            "status": note.status, "supersedes": note.supersedes, "superseded_by": note.superseded_by,
            "policy_version": note.policy_version}


def _utc_text(moment: datetime) -> str:
    """A stored UTC instant as served: 2026-10-15T10:00:00Z (the listing says it as the note does)."""
    return moment.isoformat().replace("+00:00", "Z")


NUMBER = re.compile(r"CN-[0-9]{4}-[0-9]{6,}")  # six digits at least: the millionth note of a year has seven


def get_note(session: Session, number: str) -> CreditNote:
    note = session.get(CreditNote, number) if NUMBER.fullmatch(number) else None  # no query for a NUL, say
    if note is None:
        raise NotFound(f"no credit note {number!r}", code="credit_note_not_found")
    return note


def document_history(session: Session, note: CreditNote) -> dict[str, Any]:
    """What a note's PDF prints of the notes beside it, which its JSON does not hold (and must not: api.md
    fixes it): when a void note was voided (`voided_at`: the issue of the note superseding it, whose
    transaction voided this one; no column of its own) and, for a correction, the note it voids
    (`corrects`: that number, that credit total and this total minus that one, Decimal money). Both
    come from what notes never change, so the same document renders the same whenever it is first asked."""
    voided_at = corrects = None
    if note.superseded_by:
        issued_at = session.execute(select(CreditNote.issued_at)
                                    .where(CreditNote.number == note.superseded_by)).scalar_one_or_none()
        voided_at = _utc_text(issued_at) if issued_at is not None else None
    if note.supersedes:
        old = session.execute(select(CreditNote.credit_total, CreditNote.currency)
                              .where(CreditNote.number == note.supersedes)).one_or_none()
        if old is not None and old.currency == note.currency:  # a contract's currency is locked once it has notes
            old_total = round_money(old.credit_total, old.currency)
            new_total = round_money(note.credit_total, note.currency)
            corrects = {"number": note.supersedes, "credit_total": old_total,
                        "difference": sum_money([new_total, old_total.copy_negate()], note.currency)}
    return {"voided_at": voided_at, "corrects": corrects}


def stored_document(session: Session, number: str, locale: str, status: str) -> bytes | None:
    """A note's PDF in that language as first delivered in that status, or None."""
    document = session.get(CreditNoteDocument, (number, locale, status))
    return None if document is None else document.pdf


def keep_document(session: Session, number: str, locale: str, status: str, pdf: bytes) -> bytes:
    """Store a note's PDF as first delivered, unless a concurrent request stored one first: then
    that one is the document, and what every later download gets."""
    session.add(CreditNoteDocument(number=number, locale=locale, status=status, pdf=pdf, rendered_at=clock.now()))
    try:
        session.commit()
        return pdf
    except IntegrityError:
        session.rollback()
        return session.get(CreditNoteDocument, (number, locale, status)).pdf


def list_notes(session: Session, contract_id: str, period: str | None = None) -> list[dict[str, Any]]:
    """A contract's notes in issue order, void ones too, each as its identity and total (the note
    itself is at /v1/credit-notes/{number}); only one month's with `period`."""
    get_contract_row(session, contract_id)  # 404 for a contract that does not exist, not an empty list
    query = select(CreditNote.number, CreditNote.period, CreditNote.status, CreditNote.issued_at,
                   CreditNote.currency, CreditNote.credit_total, CreditNote.supersedes,
                   CreditNote.superseded_by).where(CreditNote.contract_id == contract_id)
    if period is not None:
        query = query.where(CreditNote.period == period)
    rows = session.execute(query.order_by(CreditNote.year, CreditNote.sequence)).all()
    session.rollback()  # a read
    # NUMERIC(38, 4) reads back as 400000.0000: at the currency's digits, as the note shows it
    return [{"number": row.number, "period": row.period, "status": row.status,
             "issued_at": _utc_text(row.issued_at), "currency": row.currency,
             "credit_total": format(round_money(row.credit_total, row.currency), "f"),
             "supersedes": row.supersedes, "superseded_by": row.superseded_by} for row in rows]


def live_note(session: Session, contract_id: str, period: str) -> CreditNote | None:
    return session.execute(select(CreditNote).where(
        CreditNote.contract_id == contract_id, CreditNote.period == period, CreditNote.status == "issued")
    ).scalar_one_or_none()


def next_number(session: Session, year: int) -> int:
    """Take the next number of a year's series inside the caller's transaction.

    The UPDATE locks the year's row until commit, so concurrent issuers queue; a rollback gives
    the number back, so the series has no gaps.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(NumberSeries).values(year=year, last=0).on_conflict_do_nothing(index_elements=["year"]))
    return session.execute(update(NumberSeries).where(NumberSeries.year == year)
                           .values(last=NumberSeries.last + 1).returning(NumberSeries.last)).scalar_one()


def issue(session: Session, contract_id: str, period: str, *, supersede: bool = False,
          now: datetime | None = None, seller: dict | None = None) -> tuple[CreditNote, bool]:
    """Issue (or return) the note of a contract and month. Returns (note, created).

    The seller printed on the note is frozen with it, like the contract and the records."""
    for attempt in range(_ATTEMPTS):
        try:
            return _issue_once(session, contract_id, period, supersede, now or clock.now(),
                               seller or {})
        except IntegrityError:
            # Someone issued this contract and period concurrently: theirs is the note.
            session.rollback()
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _same_note(note: CreditNote, statement: dict, inputs: dict) -> bool:
    """Would the note be issued again as it is: the same figures from the same terms, records and seller?"""
    return not changed_figures(note.statement, statement) and \
        canonical_json(_terms(note.inputs)) == canonical_json(_terms(inputs)) and \
        _same_policy(note.inputs, inputs)


def changed_figures(frozen: dict, statement: dict) -> list[str]:
    """The parts of a statement (its top-level fields: "lines", "application", ...) in which a note's
    frozen statement and the statement computed now differ, as far as they decide the note; [] when
    a correction would issue the same figures. close-period asks it of every issued note, and a
    correction re-issues only where it is not []: what the close calls out of date is what a
    correction changes."""
    frozen = _settled(_figures(frozen))
    statement = _on_keys_of(_settled(_figures(statement)), frozen)
    return [name for name in sorted(frozen.keys() | statement.keys())
            if name not in frozen or name not in statement or
            canonical_json(frozen[name]) != canonical_json(statement[name])]


def _same_policy(earlier: dict, later: dict) -> bool:
    """The policies two notes' inputs resolved to, compared by value: the resolved document keeps each
    number as it was written, so 99.8 % overridden as "99.80" (or "9.98E+1") is another document and
    another policy_version, but the same terms."""
    if earlier.get("policy_version") == later.get("policy_version"):
        return True
    try:
        return load_stored_policy(earlier["policy"]) == load_stored_policy(later["policy"])
    except (KeyError, DomainError):  # a policy this release no longer reads is not known to be the same
        return False


def _on_keys_of(value: Any, frozen: Any) -> Any:
    """`value` with only the object keys `frozen` has, at every depth: a field a later release added
    (uptime's band_from_percent, a support line's description) follows from the figures and terms that
    are compared anyway, and a note frozen before it would otherwise be out of date at every close.
    A key the note has and `value` lacks stays missing, which is a change."""
    if isinstance(value, dict) and isinstance(frozen, dict):
        return {key: _on_keys_of(value[key], frozen[key]) for key in frozen if key in value}
    if isinstance(value, list) and isinstance(frozen, list) and len(value) == len(frozen):
        return [_on_keys_of(item, earlier) for item, earlier in zip(value, frozen)]
    return value


def _figures(statement: dict) -> dict:
    """The statement without what an older release wrote otherwise for the same figures: `uptime.capped`,
    which notes issued before it lack, and the lines' descriptions, which said a policy's 99.8 written
    "99.80" as "99.80 %". Both follow from the figures and the policy, which are compared anyway; a
    retried correction of such a note voided it and issued the same figures under a new number."""
    uptime = statement.get("uptime")
    if uptime and "capped" in uptime:
        statement = {**statement, "uptime": {k: v for k, v in uptime.items() if k != "capped"}}
    lines = statement.get("lines")
    if lines:
        statement = {**statement, "lines": [{k: v for k, v in line.items() if k != "description"} for line in lines]}
    return statement


def _terms(inputs: dict) -> dict:
    """A note's inputs as far as they decide it: not the moment it was asked for, nor how the client
    wrote the same terms. The policy counts as resolved, by value (`_same_policy`), not as the
    contract's spec: {"template": "3cx-vn"} and the same with "overrides": {} are one policy. The fee
    counts by value: "20000000.00" and "20000000" are one fee (older notes hold the fee as it was
    sent), and a ticket's pauses count in time order. Such a difference once voided a note and
    issued the same figures under a new number."""
    contract = {k: v for k, v in inputs["contract"].items() if k != "policy"}
    fee = contract.get("fee")
    if isinstance(fee, dict) and isinstance(fee.get("amount"), str):
        contract["fee"] = {**fee, "amount": decimal_str(Decimal(fee["amount"]))}
    records = inputs.get("records")
    if isinstance(records, dict):
        # Records count by id, not in the order the database returned them: no query orders them, and
        # PostgreSQL returns a row it has updated after the others. Older notes hold pauses as they were sent.
        records = {kind: sorted((pauses_in_order(kind, r) for r in items), key=lambda r: r["id"])
                   for kind, items in records.items()}
    return {**{k: v for k, v in inputs.items() if k not in ("as_of", "records", "policy", "policy_version")},
            "contract": contract, "records": records}


def _settled(statement: dict) -> dict:
    """The statement without what only the clock changes: the time so far of a ticket target not met.
    A pending target's clock runs to as_of, and so does a breached one's while the ticket is
    unresolved: each retry a second later voided the note for the same figures. (A pending target
    that breaches since is a change: its status and credit differ. A target whose time stopped has
    it from the records, which `_terms` compares.)"""
    tickets = statement.get("tickets")
    if not tickets or "items" not in tickets:
        return statement
    items = [{**item, **{name: {k: v for k, v in item[name].items() if k != "elapsed_seconds"}
                         for name in ("response", "resolution")
                         if item.get(name) and item[name].get("status") != "met"}}
             for item in tickets["items"]]
    return {**statement, "tickets": {**tickets, "items": items}}


def refusal_to_issue(statement, period: str, now: datetime, *, correcting: bool = False) -> DomainError | None:
    """Why a note cannot be issued from this statement now, or None. close-period's dry run asks
    the same question, so what it says would be issued is what a run issues."""
    if statement.period.end > now:
        return Conflict(f"{period} has not ended; its statement can still change.", code="period_not_ended",
                        field="period")
    if statement.status != "final":
        return Conflict("An incident of the period is still open; close it before issuing.",
                        code="statement_provisional", field="period")
    if statement.claim_deadline is not None and now.astimezone(statement.period.end.tzinfo).date() > \
            statement.claim_deadline:
        return ClaimWindowExpired(f"Credits for {period} could be claimed until {statement.claim_deadline}.",
                                  field="period")
    if not statement.credit_total and not correcting:
        return DomainError(f"Nothing is owed for {period}: the statement's credit total is 0.",
                           code="nothing_to_credit", field="period")
    return None


def _issue_once(session: Session, contract_id: str, period: str, supersede: bool,
                now: datetime, seller: dict) -> tuple[CreditNote, bool]:
    get_contract_row(session, contract_id, lock=True)  # records wait while the note is issued
    existing = live_note(session, contract_id, period)
    if existing is not None and not supersede:
        session.rollback()
        return existing, False
    statement, inputs = statement_for(session, contract_id, period, now)
    inputs = {**inputs, "seller": seller}
    if existing is not None and _same_note(existing, dump_statement(statement), inputs):
        # A correction with nothing to correct (a retried request, say) is the live note, not a new number.
        session.rollback()
        return existing, False
    refusal = refusal_to_issue(statement, period, now, correcting=existing is not None)
    if refusal is not None:
        raise refusal
    # The series is the year of the issue date on the customer's calendar, the date the note prints.
    year = now.astimezone(statement.period.end.tzinfo).year
    sequence = next_number(session, year)
    number = f"CN-{year}-{sequence:06d}"
    if existing is not None:
        existing.status, existing.superseded_by = "void", number
        session.flush()  # the old note leaves the one-live-note-per-period index before the new one enters
    note = CreditNote(number=number, year=year, sequence=sequence, contract_id=contract_id, period=period,
                      status="issued", issued_at=now.replace(microsecond=0),
                      supersedes=existing.number if existing else None, superseded_by=None,
                      currency=statement.currency, credit_total=statement.credit_total,
                      policy_version=inputs["policy_version"], statement=dump_statement(statement),
                      inputs=inputs)
    session.add(note)
    session.commit()
    return note, True
