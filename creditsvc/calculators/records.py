"""What the calculators read: the contract and its records, as frozen dataclasses.

Timestamps are timezone-aware datetimes; a naive one is refused here as well as at the wire,
because a naive time in a billing rule is an ambiguity, not a value.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import DomainError
from .frozen import frozen
from .policy import Policy


def zone_named(name: str) -> ZoneInfo:
    """A stored contract's or note's time zone, or a DomainError when this host's tz database lacks
    it (the zone opened where it was stored): a problem response, not a 500."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise DomainError(f"the contract's time zone {name!r} does not open on this host: {error}",
                          code="unknown_timezone", field="timezone") from None


def epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime (durations are exact seconds, rules.md §2)."""
    if moment.tzinfo is None:
        raise DomainError("timestamps need a UTC offset", code="naive_timestamp")
    return math.floor(moment.timestamp())


def _require_decimal(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be Decimal or int, got {type(value).__name__}")


@frozen
class Fee:
    amount: Decimal
    per: str = "month"  # month | quarter | year

    def __post_init__(self) -> None:
        _require_decimal("fee.amount", self.amount)


@frozen
class Customer:
    name: str
    address: str | None = None
    tax_id: str | None = None
    email: str | None = None


@frozen
class Contract:
    id: str
    currency: str
    timezone: str
    fee: Fee
    starts_on: date
    policy: Policy
    ends_on: date | None = None
    support_agreement: str | None = None
    delivery: str | None = None
    locale: str = "en"
    customer: Customer | None = None

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)


@frozen
class Incident:
    id: str
    started_at: datetime
    ended_at: datetime | None
    cause: str
    severity: str = "major"
    notice_given_at: datetime | None = None
    description: str = ""


@frozen
class BugOccurrence:
    id: str
    bug_id: str
    occurred_at: datetime
    ticket_ref: str | None = None


@frozen
class SupportCase:
    id: str
    started_at: datetime
    ended_at: datetime
    level: str  # "1" or "2"
    km: Decimal = Decimal(0)
    description: str = ""

    def __post_init__(self) -> None:
        _require_decimal("km", self.km)


@frozen
class Pause:
    start: datetime
    end: datetime


@frozen
class Ticket:
    id: str
    priority: str
    opened_at: datetime
    confirmed_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
