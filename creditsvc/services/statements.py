"""Statements from stored records, with the same calculators as POST /v1/calculations."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..calculators import records as calc
from ..calculators.errors import DomainError
from ..calculators.periods import Period, month_period
from ..calculators.statement import Statement, StatementRequest, compute_statement
from ..db import models
from .contracts import contract_from_row, get_contract_row
from .records import canonical


def _incident(row: models.Incident) -> calc.Incident:
    return calc.Incident(row.id, row.started_at, row.ended_at, row.cause, row.severity, row.notice_given_at,
                         row.description)


def bug_record(row: models.BugOccurrence) -> calc.BugOccurrence:
    return calc.BugOccurrence(row.id, row.bug_id, row.occurred_at, row.ticket_ref)


def _case(row: models.SupportCase) -> calc.SupportCase:
    return calc.SupportCase(row.id, row.started_at, row.ended_at, row.level, row.km or Decimal(0), row.description)


def _ticket(row: models.Ticket) -> calc.Ticket:
    pauses = tuple(calc.Pause(datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]))
                   for p in row.pauses or ())
    return calc.Ticket(row.id, row.priority, row.opened_at, row.confirmed_at, row.first_response_at, row.resolved_at,
                       pauses)


def _queries(period: Period, contract_ids: list[str] | None):
    """One query per record kind: the rows that can matter to `period`."""
    start, end = period.start.astimezone(), period.end.astimezone()

    def scoped(model):
        query = select(model)
        return query if contract_ids is None else query.where(model.contract_id.in_(contract_ids))

    incidents = scoped(models.Incident).where(
        models.Incident.started_at < end, or_(models.Incident.ended_at.is_(None), models.Incident.ended_at > start))
    bugs = scoped(models.BugOccurrence).where(models.BugOccurrence.occurred_at < end)  # history numbers the fines
    cases = scoped(models.SupportCase).where(models.SupportCase.started_at >= start, models.SupportCase.started_at < end)
    tickets = scoped(models.Ticket).where(models.Ticket.opened_at >= start, models.Ticket.opened_at < end)
    return {"incidents": (incidents, _incident), "bug_occurrences": (bugs, bug_record),
            "support_cases": (cases, _case), "tickets": (tickets, _ticket)}


def period_for(label: str, zone) -> Period:
    try:
        return month_period(label, zone)
    except DomainError as error:
        raise DomainError(error.message, field="period", code="invalid_period") from None


def statement_for(session: Session, contract_id: str, label: str, as_of: datetime) -> tuple[Statement, dict[str, Any]]:
    """The statement of one contract and month, and the inputs it used (for freezing in a note)."""
    row = get_contract_row(session, contract_id)
    contract = contract_from_row(row)
    period = period_for(label, contract.zone)
    found: dict[str, list] = {}
    for kind, (query, convert) in _queries(period, [contract_id]).items():
        found[kind] = [convert(r) for r in session.execute(query).scalars()]
    request = StatementRequest(contract, period, as_of, **{kind: tuple(items) for kind, items in found.items()})
    inputs = {
        "contract": row.document,
        "policy": row.policy_document,
        "policy_version": row.policy_version,
        "as_of": as_of.isoformat(),
        "records": {kind: [canonical(kind, item) for item in items] for kind, items in found.items()},
    }
    return compute_statement(request), inputs


def statements_for_period(session: Session, label: str, as_of: datetime,
                          batch: int = 2000) -> Iterator[tuple[models.Contract, Statement | DomainError]]:
    """Every contract's statement for a month, reading records in bulk (a few queries per batch).
    A contract whose statement cannot be computed yields its error, and the others go on."""
    contract_ids = list(session.execute(select(models.Contract.id).order_by(models.Contract.id)).scalars())
    for first in range(0, len(contract_ids), batch):
        chunk = contract_ids[first:first + batch]
        rows = {r.id: r for r in session.execute(select(models.Contract).where(models.Contract.id.in_(chunk))).scalars()}
        # A contract whose stored terms no longer read (a policy a release refuses, a zone the host
        # lacks) yields its error like one whose statement fails: it stopped the whole close before.
        contracts, unreadable = {}, {}
        for cid, row in rows.items():
            try:
                contracts[cid] = contract_from_row(row)  # its zone opens, or period_for fails for the batch
            except DomainError as error:
                unreadable[cid] = error
        # Periods are local months: query the widest UTC window, then let the calculators clip.
        zones = {c.zone for c in contracts.values()} or {ZoneInfo("UTC")}
        widest = sorted((period_for(label, z) for z in zones), key=lambda p: p.start_ts)
        window = Period(label, widest[0].start, max(widest, key=lambda p: p.end_ts).end)
        grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for kind, (query, convert) in _queries(window, chunk).items():
            for record in session.execute(query).scalars():
                grouped[record.contract_id][kind].append(convert(record))
        for cid in chunk:
            if cid in unreadable:
                yield rows[cid], unreadable[cid]
                continue
            contract = contracts[cid]
            kinds = grouped.get(cid, {})
            try:
                request = StatementRequest(contract, period_for(label, contract.zone), as_of,
                                           **{k: tuple(kinds.get(k, ())) for k in _queries(window, None)})
                yield rows[cid], compute_statement(request)
            except DomainError as error:
                yield rows[cid], error
