"""Record ingestion: idempotent by the client's id, all or nothing per batch, and never silently
changing a period that has an issued credit note (rules.md §11)."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..calculators.money import AmountOverflow
from ..calculators.errors import DomainError
from ..calculators.periods import month_of
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


def all_stored_as_sent(session: Session, contract_id: str, kind: str, items: list) -> bool:
    """Whether the contract holds every one of these loaded records with this same content."""
    model = models.RECORD_MODELS[kind]
    rows = {row.id: row for row in session.execute(
        select(model).where(model.contract_id == contract_id, model.id.in_([item.id for item in items]))).scalars()}
    return all(item.id in rows and _same_content(kind, rows[item.id], item, digest(canonical(kind, item)))
               for item in items)


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
    first = month_of(moment, zone)  # the statement's month, not the wall date's (calculators/periods.py)
    return f"{first.year:04d}-{first.month:02d}"


_MONTH_LABEL = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def locked_periods(kind: str, items: list, issued: set[str], zone, now: datetime,
                   stored_bugs: list[tuple[str, datetime]] = ()) -> dict[int, list[str]]:
    """index -> the issued periods (sorted) whose statements `items[index]` changes; items changing
    none are left out. `stored_bugs` are (bug_id, occurred_at) of the stored occurrences of the
    items' bugs: a bug occurrence renumbers its bug's later ones, so their periods change too.

    An incident changes every month from its start's to its end's (an open one: to `now`'s); those
    months are not listed one by one: an incident of 1970-2199 listed 2,760 of them, and a batch of
    1,000 such took 10 s before its 409. A bug occurrence asked the database for its bug's later
    occurrences, one query per item: 1,000 early occurrences of a bug with 10,000 stored took 50 s."""
    months = sorted(period for period in issued if _MONTH_LABEL.fullmatch(period))
    if not months:
        return {}
    latest: dict[str, dict[str, datetime]] = {}  # bug -> issued month -> its latest stored occurrence
    for bug_id, occurred_at in stored_bugs:
        month = _month(occurred_at, zone)
        if month in issued:
            by_month = latest.setdefault(bug_id, {})
            if month not in by_month or occurred_at > by_month[month]:
                by_month[month] = occurred_at
    # per bug, its issued months by their latest occurrence, latest first
    newest_first = {bug: sorted(((moment, month) for month, moment in by_month.items()), reverse=True)
                    for bug, by_month in latest.items()}
    locked: dict[int, list[str]] = {}
    for index, record in enumerate(items):
        if kind == "incidents":
            end = max(record.ended_at or now, record.started_at)
            first = _month(record.started_at, zone)
            # an end at midnight on the 1st is not in that month
            last = _month(max(end - timedelta(seconds=1), record.started_at), zone)
            found = months[bisect_left(months, first):bisect_right(months, last)]
        elif kind == "bug_occurrences":
            found = {_month(record.occurred_at, zone)} & issued
            for moment, month in newest_first.get(record.bug_id, ()):
                if moment < record.occurred_at:
                    break
                found.add(month)
            found = sorted(found)
        else:
            moment = record.started_at if kind == "support_cases" else record.opened_at
            found = [month] if (month := _month(moment, zone)) in issued else []
        if found:
            locked[index] = found
    return locked


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
    stored_bugs = []
    if kind == "bug_occurrences":
        bug_ids = sorted({item.bug_id for _, item in items})
        stored_bugs = session.execute(select(models.BugOccurrence.bug_id, models.BugOccurrence.occurred_at).where(
            models.BugOccurrence.contract_id == contract_id, models.BugOccurrence.bug_id.in_(bug_ids))).all()
    locked = locked_periods(kind, [item for _, item in items], issued, zone, clock.now(), stored_bugs)
    errors = {}
    for position, periods in locked.items():
        which = "which has an issued credit note" if len(periods) == 1 else "each of which has an issued credit note"
        errors[f"{items[position][0]}.id"] = [f"Falls in {', '.join(periods)}, {which}; "
                                              "send ?supersede=true and then issue a correction."]
    if errors:
        session.rollback()
        raise Conflict("Records fall in periods with issued credit notes.", code="period_locked", errors=errors)
