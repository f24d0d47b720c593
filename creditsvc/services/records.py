"""Record ingestion: idempotent by the client's id, all or nothing per batch, and never silently
changing a period that has an issued credit note (rules.md §11)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..calculators.money import AmountOverflow
from ..calculators.periods import add_months
from ..calculators.errors import DomainError
from ..canonical import digest, plain
from ..db import models
from ..schemas.calculation import check_records
from ..schemas.records import RECORD_SCHEMAS
from .contracts import contract_from_row, get_contract_row
from .errors import Conflict
from .fine_limits import months_too_large

MAX_BATCH = 1000
_ATTEMPTS = 5


def canonical(kind: str, record) -> dict[str, Any]:
    """The record as stored and compared: UTC timestamps, exact numbers as strings, a ticket's
    pauses in time order (the same pauses sent in another order are the same ticket, not a 409)."""
    return pauses_in_order(kind, _as_sent(kind, record))


def _as_sent(kind: str, record) -> dict[str, Any]:
    return plain(RECORD_SCHEMAS[kind]().dump(record))


def pauses_in_order(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    if kind == "tickets" and len(record.get("pauses") or ()) > 1:
        return {**record, "pauses": sorted(record["pauses"], key=lambda p: (p["start"], p["end"]))}
    return record


def _same_content(kind: str, row, item, content_hash: str) -> bool:
    """Whether a stored row holds this record. Tickets stored before their pauses were put in order
    were hashed with the pauses as sent, so a retry in that order is theirs too."""
    if row.content_hash == content_hash:
        return True
    return kind == "tickets" and len(item.pauses) > 1 and row.content_hash == digest(_as_sent(kind, item))


def _columns(kind: str, record) -> dict[str, Any]:
    if kind == "incidents":
        return dict(started_at=record.started_at, ended_at=record.ended_at, severity=record.severity,
                    cause=record.cause, notice_given_at=record.notice_given_at, description=record.description)
    if kind == "bug_occurrences":
        return dict(bug_id=record.bug_id, occurred_at=record.occurred_at, ticket_ref=record.ticket_ref)
    if kind == "support_cases":
        return dict(started_at=record.started_at, ended_at=record.ended_at, level=record.level, km=record.km,
                    description=record.description)
    return dict(priority=record.priority, opened_at=record.opened_at, confirmed_at=record.confirmed_at,
                first_response_at=record.first_response_at, resolved_at=record.resolved_at,
                pauses=[{"start": _iso(p.start), "end": _iso(p.end)}
                        for p in sorted(record.pauses, key=lambda p: (p.start, p.end))])


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _month(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def _months_between(start: datetime, end: datetime, zone) -> set[str]:
    """The months [start, end) touches; an end at midnight on the 1st is not in that month."""
    first = start.astimezone(zone).date().replace(day=1)
    last = (max(end - timedelta(seconds=1), start)).astimezone(zone).date().replace(day=1)
    months = set()
    while first <= last:
        months.add(f"{first.year:04d}-{first.month:02d}")
        first = add_months(first, 1)
    return months


def affected_periods(session: Session, contract_id: str, kind: str, record, zone) -> set[str]:
    """The periods whose statements this record changes."""
    if kind == "incidents":
        end = record.ended_at or clock.now()
        return _months_between(record.started_at, max(end, record.started_at), zone)
    if kind == "bug_occurrences":
        # later occurrences of the same bug are renumbered, so their periods change too
        later = session.execute(select(models.BugOccurrence.occurred_at).where(
            models.BugOccurrence.contract_id == contract_id, models.BugOccurrence.bug_id == record.bug_id,
            models.BugOccurrence.occurred_at >= record.occurred_at)).scalars()
        return {_month(record.occurred_at, zone)} | {_month(moment, zone) for moment in later}
    if kind == "support_cases":
        return {_month(record.started_at, zone)}
    return {_month(record.opened_at, zone)}


def ingest(session: Session, contract_id: str, kind: str, items: list, supersede: bool = False) -> list[dict]:
    """Store a batch of loaded records. Returns one {id, status, record} per item, status
    created | unchanged | replaced. Raises Conflict (nothing stored) on a clash."""
    for attempt in range(_ATTEMPTS):
        try:
            return _ingest_once(session, contract_id, kind, items, supersede)
        except IntegrityError:
            # A concurrent request stored one of these ids first; look again and compare.
            session.rollback()
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _ingest_once(session: Session, contract_id: str, kind: str, items: list, supersede: bool) -> list[dict]:
    contract = get_contract_row(session, contract_id, lock=True)
    # Checked under the lock, against the terms in force: a check before it let a PUT to a policy
    # without priority P1 commit in between, and P1 tickets were stored that no statement could read.
    terms = contract_from_row(contract)
    invalid = check_records(terms, {kind: items})
    if invalid:
        session.rollback()
        raise DomainError("The body does not validate: see errors.", code="validation_error",
                          errors={key.split(".", 1)[1]: texts for key, texts in invalid.items()})
    zone = terms.zone
    model = models.RECORD_MODELS[kind]
    ids = [item.id for item in items]
    existing = {row.id: row for row in session.execute(
        select(model).where(model.contract_id == contract_id, model.id.in_(ids))).scalars()}
    now = clock.now()
    results, conflicts, touched = [], {}, []
    for index, item in enumerate(items):
        record = canonical(kind, item)
        content_hash = digest(record)
        row = existing.get(item.id)
        if row is not None and _same_content(kind, row, item, content_hash):
            results.append({"id": item.id, "status": "unchanged", "record": record})
            continue
        if row is not None and not supersede:
            noun = kind[:-1].replace("_", " ")
            article = "An" if noun[0] in "aeiou" else "A"  # an incident, a ticket
            conflicts[f"{index}.id"] = [f"{article} {noun} {item.id!r} exists with other content; "
                                        "send ?supersede=true to replace it."]
            continue
        touched.append((index, item, row))
        results.append({"id": item.id, "status": "replaced" if row is not None else "created", "record": record,
                        "hash": content_hash})
    if conflicts:
        session.rollback()
        raise Conflict("Records with these ids exist with different content.", code="record_conflict",
                       errors=conflicts)
    if touched and not supersede:
        _refuse_locked_periods(session, contract_id, kind, [(index, item) for index, item, _ in touched], zone)
    by_id = {r["id"]: r for r in results}
    for _, item, row in touched:
        values = _columns(kind, item)
        if row is None:
            session.add(model(contract_id=contract_id, id=item.id, content_hash=by_id[item.id]["hash"],
                              created_at=now, updated_at=now, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.content_hash, row.updated_at = by_id[item.id]["hash"], now
    if kind == "bug_occurrences" and touched:
        _refuse_fines_too_large_to_store(session, contract, [(index, item) for index, item, _ in touched])
    session.commit()
    for result in results:
        result.pop("hash", None)
    return results


def _refuse_fines_too_large_to_store(session: Session, contract_row: models.Contract, items: list) -> None:
    """Every month the batch's bugs touch must still have fines that fit (services/fine_limits)."""
    session.flush()
    too_large = months_too_large(session, contract_row.id, contract_from_row(contract_row).policy,
                                 contract_row.document["currency"], contract_row.timezone,
                                 {item.bug_id for _, item in items})
    if too_large:
        session.rollback()
        why = {bug: [text for text, bugs in too_large.values() if bug in bugs] for _, item in items
               for bug in [item.bug_id]}
        raise AmountOverflow("A month's repeat-bug fines would be too large to store.",
                             errors={f"{index}.bug_id": why[item.bug_id] for index, item in items if why[item.bug_id]})


def _refuse_locked_periods(session: Session, contract_id: str, kind: str, items: list, zone) -> None:
    issued = set(session.execute(select(models.CreditNote.period).where(
        models.CreditNote.contract_id == contract_id, models.CreditNote.status == "issued")).scalars())
    if not issued:
        return
    errors = {}
    for index, item in items:
        locked = sorted(affected_periods(session, contract_id, kind, item, zone) & issued)
        if locked:
            which = "which has an issued credit note" if len(locked) == 1 else "each of which has an issued credit note"
            errors[f"{index}.id"] = [f"Falls in {', '.join(locked)}, {which}; "
                                    "send ?supersede=true and then issue a correction."]
    if errors:
        session.rollback()
        raise Conflict("Records fall in periods with issued credit notes.", code="period_locked", errors=errors)
