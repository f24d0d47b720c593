"""Business hours and public holidays: how much of an interval is business time (rules.md §6, §7).

A year of business windows is built once per (calendar, zone, year) and kept with prefix sums, so
the business seconds of any interval are found by two binary searches. The work of splitting a
30-day support case is the same as for a 1-hour one: it never grows with minutes, nor with days.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_data

from .frozen import frozen
from .policy import BusinessHours


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(the days off, the weekend days worked in exchange) of a country in a year, from the
    `holidays` package (never typed by hand): Vietnam worked Saturday 22 August 2026 for the day off
    on Monday 31 August."""
    days = holiday_data.country_holidays(country, years=year)
    return frozenset(days.keys()), frozenset(day for day in days.weekend_workdays if day.year == year)


@frozen
class _YearWindows:
    starts: list[int]
    ends: list[int]
    before: list[int]  # before[i] = business seconds of windows 0 .. i-1


@lru_cache(maxsize=1024)
def _year_windows(hours: BusinessHours, zone_name: str, year: int) -> _YearWindows:
    zone = ZoneInfo(zone_name)
    # A swap goes both ways: the day off is closed (a public holiday) and the weekend day it moved
    # from is open, so a week with a swap has as much business time as any other.
    closed, swapped = public_holidays(hours.holidays, year) if hours.holidays else (frozenset(), frozenset())
    starts, ends, before, total = [], [], [], 0
    day = date(year, 1, 1)
    while day.year == year:
        if (day.weekday() in hours.weekdays or day in swapped) and day not in closed \
                and day not in hours.extra_closed_dates:
            for start, end in _day_windows(datetime.combine(day, hours.start), datetime.combine(day, hours.end), zone):
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
        day += timedelta(days=1)
    before.append(total)
    return _YearWindows(starts, ends, before)


def _offset(moment: int, zone: ZoneInfo) -> int:
    return int(datetime.fromtimestamp(moment, zone).utcoffset().total_seconds())


def _day_windows(opens: datetime, closes: datetime, zone: ZoneInfo) -> list[tuple[int, int]]:
    """The instants of one day whose wall clock reads from `opens` to `closes` (naive local times).

    On most days that is one window. Where the clocks change inside it, the wall times the change
    skips are no time at all (a window of 02:30-03:00 on the spring day is empty; read naively it
    ended before it began and billed negative time), and those it repeats count twice (01:00-02:30 on
    the autumn day is 2 hours: 01:00-02:00, 02:00-02:30, and 02:00-02:30 again)."""
    first, last = int(opens.replace(tzinfo=timezone.utc).timestamp()), int(closes.replace(tzinfo=timezone.utc).timestamp())
    # every instant whose wall time can lie in [opens, closes), whatever the offset (less than a day)
    low, high = first - 86400, last + 86400
    before, after = _offset(low, zone), _offset(high, zone)
    if before == after:
        start, end = first - before, last - before
        return [(start, end)] if start < end else []
    # One change in these three days at most: no zone of the tz database has had two within 7 days
    # since 1970 (the closest: Brazil, 8 and 15 October 2000).
    while high - low > 1:  # the change: the last second at the old offset is `low`
        middle = (low + high) // 2
        low, high = (middle, high) if _offset(middle, zone) == before else (low, middle)
    change = high
    windows = []
    for start, end in ((first - before, min(change, last - before)), (max(change, first - after), last - after)):
        if start < end:
            if windows and windows[-1][1] == start:
                start = windows.pop()[0]
            windows.append((start, end))
    return windows


class BusinessCalendar:
    """A policy's business hours in a contract's zone. Use `calendar_for`, which shares instances."""

    def __init__(self, hours: BusinessHours, zone_name: str):
        self.hours = hours
        self.zone_name = zone_name
        self.zone = ZoneInfo(zone_name)
        self._tables: dict[int, _YearWindows] = {}
        self._bounds: dict[int, tuple[int, int]] = {}  # local year -> (first second, end)
        # (first year, prefix): prefix[i] = business seconds of the whole local years first .. first+i-1.
        # One tuple, replaced whole, so a thread never reads one year's base with another's sums.
        self._years: tuple[int, list[int]] | None = None

    @property
    def day_seconds(self) -> int:
        """The length of one business day ("2d" on a business clock is two of these)."""
        return (self.hours.end.hour * 3600 + self.hours.end.minute * 60) - (
            self.hours.start.hour * 3600 + self.hours.start.minute * 60
        )

    def _table(self, year: int) -> _YearWindows:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = _year_windows(self.hours, self.zone_name, year)
        return table

    def _year_bounds(self, year: int) -> tuple[int, int]:
        bounds = self._bounds.get(year)
        if bounds is None:
            bounds = self._bounds[year] = (int(datetime(year, 1, 1, tzinfo=self.zone).timestamp()),
                                           int(datetime(year + 1, 1, 1, tzinfo=self.zone).timestamp()))
        return bounds

    def _year_of(self, moment: int) -> int:
        """The local year of an instant; a year's bounds are worked out once. Found from a guess
        (the mean Gregorian year, off by at most one), not by a walk over every year seen: that walk
        cost a ticket open until 2199 about 170 steps per business_seconds."""
        year = 1970 + moment // 31_556_952
        while True:
            first, end = self._year_bounds(year)
            if moment < first:
                year -= 1
            elif moment >= end:
                year += 1
            else:
                return year

    def _whole_years(self, first: int, stop: int) -> int:
        """Business seconds of the whole local years [first, stop), from prefix sums over the years."""
        if stop <= first:
            return 0
        known = self._years
        if known is None or first < known[0] or stop > known[0] + len(known[1]) - 1:
            low = first if known is None else min(first, known[0])
            high = stop if known is None else max(stop, known[0] + len(known[1]) - 1)
            prefix = [0]
            for year in range(low, high):
                prefix.append(prefix[-1] + self._table(year).before[-1])
            known = self._years = (low, prefix)
        base, prefix = known
        return prefix[stop - base] - prefix[first - base]

    def _seconds_in_year(self, year: int, start: int, end: int) -> int:
        """Seconds of [start, end) inside the business windows of one local year."""
        windows = self._table(year)
        first = bisect_right(windows.ends, start)  # first window ending after start
        stop = bisect_left(windows.starts, end)  # windows [first, stop) start before end
        if first >= stop:
            return 0
        return (windows.before[stop] - windows.before[first]
                - max(0, start - windows.starts[first]) - max(0, windows.ends[stop - 1] - end))

    def business_seconds(self, start: int, end: int) -> int:
        """Seconds of [start, end) that fall inside business hours: the first and last local years
        by bisection, the whole years between them from prefix sums. Walking every year between
        (bisecting each) made 10,000 tickets open until 2199 on a business clock a 6-second request."""
        if end <= start:
            return 0
        first_year, last_year = self._year_of(start), self._year_of(end - 1)
        if first_year == last_year:
            return self._seconds_in_year(first_year, start, end)
        return (self._seconds_in_year(first_year, start, end) + self._whole_years(first_year + 1, last_year)
                + self._seconds_in_year(last_year, start, end))

    def is_business_time(self, moment: int) -> bool:
        windows = self._table(self._year_of(moment))
        index = bisect_right(windows.starts, moment) - 1
        return index >= 0 and moment < windows.ends[index]


@lru_cache(maxsize=256)
def calendar_for(hours: BusinessHours, zone_name: str) -> BusinessCalendar:
    """One calendar per (business hours, zone), so its year tables and bounds are reused."""
    return BusinessCalendar(hours, zone_name)
