"""Response and resolution targets on calendar and business clocks, with pauses (rules.md §7;
seeds 000, 001, 003, 004)."""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from . import intervals
from .calendar import BusinessCalendar
from .errors import DomainError
from .frozen import frozen
from .money import round_money, sum_money, truncate
from .policy import Target, TicketPolicy
from .records import Ticket, epoch

_DURATION = re.compile(r"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$")
MET, BREACHED, PENDING = "met", "breached", "pending"


def parse_duration(text: str) -> tuple[int, int, int]:
    """"2d", "4h", "30m", "1h30m" -> (days, hours, minutes)."""
    match = _DURATION.fullmatch(text or "")
    if not match or not any(match.groups()):
        raise DomainError(f"{text!r} is not a duration like 30m, 4h, 2d or 1h30m", code="invalid_duration")
    return tuple(int(g or 0) for g in match.groups())


def target_seconds(text: str, clock: str, calendar: BusinessCalendar | None) -> int:
    # seed 001 P4: "2 Ngày ... Tính theo ngày làm việc": a business day is the business hours of one day
    return _target_seconds(text, calendar.day_seconds if clock == "business" and calendar else 86400)


@lru_cache(maxsize=1024)
def _target_seconds(text: str, day: int) -> int:
    days, hours, minutes = parse_duration(text)
    return days * day + hours * 3600 + minutes * 60


@frozen
class TargetResult:
    target_seconds: int
    elapsed_seconds: int | None  # None while the clock has not started
    status: str  # met | breached | pending


@frozen
class TicketResult:
    ticket_id: str
    priority: str
    response: TargetResult | None
    resolution: TargetResult | None
    breached: bool
    breach_credit: Decimal | None


@frozen
class TicketsResult:
    items: tuple[TicketResult, ...]
    compliance: dict[str, Decimal | None]
    breach_credit_total: Decimal


def elapsed(start: int, stop: int, clock: str, pauses: list[tuple[int, int]], calendar: BusinessCalendar | None) -> int:
    """Clock time from start to stop, less the paused time (seed 001: time waiting on third parties)."""
    if stop <= start:
        return 0
    paused = intervals.clip(pauses, start, stop)
    if clock == "business" and calendar:
        return calendar.business_seconds(start, stop) - sum(calendar.business_seconds(a, b) for a, b in paused)
    return (stop - start) - intervals.length(paused)


def evaluate(target: int, clock_start: int | None, done_at: int | None, as_of: int, clock: str,
             pauses: list[tuple[int, int]], calendar: BusinessCalendar | None) -> TargetResult:
    if clock_start is None:
        return TargetResult(target, None, PENDING)
    spent = elapsed(clock_start, done_at if done_at is not None else as_of, clock, pauses, calendar)
    if spent > target:
        return TargetResult(target, spent, BREACHED)
    return TargetResult(target, spent, MET if done_at is not None else PENDING)


def ticket_targets(policy: TicketPolicy, tickets: list[Ticket], as_of: int, calendar: BusinessCalendar | None,
                   currency: str) -> TicketsResult:
    items = []
    for ticket in sorted(tickets, key=lambda t: (epoch(t.opened_at), t.id)):
        target: Target | None = policy.priorities.get(ticket.priority)
        if target is None:
            raise DomainError(f"priority {ticket.priority!r} is not defined by the policy",
                              field=f"tickets[{ticket.id}].priority", code="unknown_priority")
        if policy.clock_starts == "confirmed":
            started = epoch(ticket.confirmed_at) if ticket.confirmed_at else None
        else:
            started = epoch(ticket.opened_at)
        pauses = intervals.union((epoch(p.start), epoch(p.end)) for p in ticket.pauses)
        results = {}
        # A resolution answers the ticket: without a recorded first response, the response clock stops
        # there too, not at as_of (§7 judges only an unresolved ticket as of as_of). It ran on and
        # breached, and credited, a ticket resolved within its response target. At the resolution at the
        # latest: a first reply logged after it (09:30 resolved, 12:00 replied) breached the same ticket.
        answers = [moment for moment in (ticket.first_response_at, ticket.resolved_at) if moment is not None]
        responded = min(answers, key=epoch) if answers else None
        for name, spec, done in (("response", target.response, responded),
                                 ("resolution", target.resolution, ticket.resolved_at)):
            if spec:
                results[name] = evaluate(target_seconds(spec, target.clock, calendar), started,
                                         epoch(done) if done else None, as_of, target.clock, pauses, calendar)
        breached = any(r.status == BREACHED for r in results.values())
        credit = round_money(target.breach_credit, currency) if breached and target.breach_credit else None
        items.append(TicketResult(ticket.id, ticket.priority, results.get("response"), results.get("resolution"),
                                  breached, credit))
    return TicketsResult(tuple(items), compliance(items),
                         sum_money((i.breach_credit for i in items if i.breach_credit is not None), currency))


def compliance(items: list[TicketResult]) -> dict[str, Decimal | None]:
    """Per priority: compliant tickets / decided tickets x 100, truncated to 4 decimals.

    A ticket is decided once a target is breached or every target is met; until then it is left out,
    and a priority with no decided ticket shows null.
    """
    decided: dict[str, list[bool]] = {}
    for item in items:
        statuses = [r.status for r in (item.response, item.resolution) if r is not None]
        bucket = decided.setdefault(item.priority, [])
        if item.breached or (statuses and all(s == MET for s in statuses)):
            bucket.append(not item.breached)
    return {priority: truncate(Fraction(100 * sum(flags), len(flags))) if flags else None
            for priority, flags in decided.items()}
