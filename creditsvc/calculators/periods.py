"""Periods: calendar months in the contract's zone, measured between instants (rules.md §2).

October 2026 in Europe/Copenhagen is 745 hours and March 2026 is 743: a period's length is the
difference of two instants, so DST is counted, never assumed.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from .errors import DomainError
from .frozen import frozen
from .records import epoch

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")  # ASCII digits only: a label is an identity


@frozen
class Period:
    label: str
    start: datetime  # aware, in the contract's zone
    end: datetime

    @cached_property
    def start_ts(self) -> int:
        return epoch(self.start)

    @cached_property
    def end_ts(self) -> int:
        return epoch(self.end)

    @property
    def seconds(self) -> int:
        return self.end_ts - self.start_ts

    @property
    def first_day(self) -> date:
        return self.start.date()

    @cached_property
    def last_day(self) -> date:
        """The last local date inside the period (the end is exclusive). `end - 1 µs` on the local
        time named the end's own day where the clocks skip its midnight (Santiago, 6 September 2026)."""
        return last_local_date(self.end, self.end.tzinfo)


def last_local_date(end: datetime, zone) -> date:
    """The local date of the last second before an (exclusive) end: found on the instant, as
    `end - 1 s` on a local time is wall-clock arithmetic."""
    return datetime.fromtimestamp(epoch(end) - 1, zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


@lru_cache(maxsize=4096)
def local_days(year: int, month: int, zone: ZoneInfo) -> int:
    """The days a month has in a zone: a date the clocks skipped whole (Apia, 30 December 2011) is
    no day of it."""
    day, following, days = date(year, month, 1), add_months(date(year, month, 1), 1), 0
    midnight = epoch(local_midnight(day, zone))
    while day < following:
        day += timedelta(days=1)
        midnight, previous = epoch(local_midnight(day, zone)), midnight
        days += midnight > previous
    return days


def month_period(label: str, zone: ZoneInfo) -> Period:
    match = _MONTH.fullmatch(label)
    if not match:
        raise DomainError("a period is written YYYY-MM", field="period", code="invalid_period")
    if not 1970 <= int(match.group(1)) < 2200:  # before date(): year 0 is no date at all
        raise DomainError("periods lie between 1970 and 2199", field="period", code="invalid_period")
    return calendar_month(date(int(match.group(1)), int(match.group(2)), 1), zone)


def calendar_month(first: date, zone: ZoneInfo) -> Period:
    """The month starting on `first` in a zone, unchecked: also local December 1969 or January 2200,
    which instants in [1970, 2200) UTC reach in Los Angeles or Kiritimati, and no label may name."""
    return Period(f"{first.year:04d}-{first.month:02d}", local_midnight(first, zone),
                  local_midnight(add_months(first, 1), zone))


def month_of(moment: datetime, zone: ZoneInfo) -> date:
    """The first day of the calendar month (calendar_month) whose [start, end) holds the instant: the month
    a statement counts it in. The wall date alone named another where the clocks fell back over a
    midnight: St John's went from 00:01 on 1 November 2009 back to 23:01 on 31 October, and 02:31Z-03:30Z
    reads October though November began at its first midnight (02:30Z)."""
    local = moment.astimezone(zone)
    first = date(local.year, local.month, 1)
    start, end = _month_bounds(first, zone)
    instant = epoch(moment)
    if instant >= end:
        return add_months(first, 1)
    if instant < start:
        return add_months(first, -1)
    return first


@lru_cache(maxsize=4096)
def _month_bounds(first: date, zone: ZoneInfo) -> tuple[int, int]:
    # once per month and zone: a batch's lock check asks it of every record and stored occurrence
    month = calendar_month(first, zone)
    return month.start_ts, month.end_ts


def explicit_period(start: datetime, end: datetime, zone: ZoneInfo) -> Period:
    if epoch(end) <= epoch(start):  # instants: two times of one zone compare by wall clock, fold ignored
        raise DomainError("the period must end after it starts", field="period.end", code="invalid_period")
    start, end = start.astimezone(zone), end.astimezone(zone)
    return Period(f"{start.isoformat()}/{end.isoformat()}", start, end)


def months_in(period: Period, zone: ZoneInfo) -> list[Period]:
    """The calendar months (in `zone`) that overlap a period, in order."""
    first = period.start.date().replace(day=1)
    months = []
    while first.year <= 2200:  # a period ends before 2200 UTC: at the latest in local January 2200
        month = calendar_month(first, zone)
        if month.start_ts >= period.end_ts:
            break
        months.append(month)
        first = add_months(first, 1)
    return months
