"""Business hours and public holidays: how much of an interval is business time (rules.md §6, §7).

A year of business windows is built once per (calendar, zone, year) and kept with prefix sums, so
the business seconds of any interval are found by two binary searches. The work of splitting a
30-day support case is the same as for a 1-hour one: it never grows with minutes, nor with days.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta
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
    # arrays of 8-byte ints, not lists of int objects: a year of windows is 9 KB, not 40 KB
    starts: array
    ends: array
    before: array  # before[i] = business seconds of windows 0 .. i-1


# Offsets are sampled this far apart, and a change between two samples is found by bisection: two
# changes closer than 3 days would hide each other (no zone of the tz database has had two within
# 6.9 days between 1970 and 2200: Noronha in October 2000, Gaza's rules for October 2040).
_SAMPLE_STEP = 3 * 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1024)
def _offset_changes(zone_name: str, year: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(changes, offsets) of a zone around one year: each change is the first second at a new UTC
    offset; offsets[i] is the offset before changes[i], offsets[-1] the one after the last change.
    They cover every instant _day_windows asks about for the year's days (a day either side)."""
    zone = ZoneInfo(zone_name)
    low = (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL - 2) * 86400
    high = (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL + 2) * 86400
    changes, offsets = [], [_offset(low, zone)]
    while low < high:
        sample = min(low + _SAMPLE_STEP, high)
        offset = _offset(sample, zone)
        if offset != offsets[-1]:
            before, after = low, sample  # the last second at the old offset is `before`
            while after - before > 1:
                middle = (before + after) // 2
                before, after = (middle, after) if _offset(middle, zone) == offsets[-1] else (before, middle)
            changes.append(after)
            offsets.append(offset)
        low = sample
    return tuple(changes), tuple(offsets)


def _seconds_of_day(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@lru_cache(maxsize=1024)
def _year_windows(hours: BusinessHours, zone_name: str, year: int) -> _YearWindows:
    """The business windows of one local year. Offsets come from the year's few changes, not from
    two tz look-ups per day: a cold calendar over 1970-2199 took 1 s (and each new policy paid it)."""
    changes, offsets = _offset_changes(zone_name, year)

    def offset_at(moment: int) -> int:
        return offsets[bisect_right(changes, moment)]

    # A swap goes both ways: the day off is closed (a public holiday) and the weekend day it moved
    # from is open, so a week with a swap has as much business time as any other.
    closed, swapped = public_holidays(hours.holidays, year) if hours.holidays else (frozenset(), frozenset())
    opens, closes = _seconds_of_day(hours.start), _seconds_of_day(hours.end)
    starts, ends, before, total = array("q"), array("q"), array("q"), 0
    day = date(year, 1, 1)
    midnight = (day.toordinal() - _EPOCH_ORDINAL) * 86400  # the day's wall-clock midnight read as UTC
    while day.year == year:
        if (day.weekday() in hours.weekdays or day in swapped) and day not in closed \
                and day not in hours.extra_closed_dates:
            for start, end in _day_windows(midnight + opens, midnight + closes, offset_at):
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
        day += timedelta(days=1)
        midnight += 86400
    before.append(total)
    return _YearWindows(starts, ends, before)


def _offset(moment: int, zone: ZoneInfo) -> int:
    return int(datetime.fromtimestamp(moment, zone).utcoffset().total_seconds())


def _day_windows(first: int, last: int, offset_at) -> list[tuple[int, int]]:
    """The instants of one day whose wall clock reads from `first` to `last` (the wall times read as
    UTC epoch seconds); `offset_at` gives the zone's UTC offset at an instant.

    On most days that is one window. Where the clocks change inside it, the wall times the change
    skips are no time at all (a window of 02:30-03:00 on the spring day is empty; read naively it
    ended before it began and billed negative time), and those it repeats count twice (01:00-02:30 on
    the autumn day is 2 hours: 01:00-02:00, 02:00-02:30, and 02:00-02:30 again)."""
    # every instant whose wall time can lie in [first, last), whatever the offset (less than a day)
    low, high = first - 86400, last + 86400
    before, after = offset_at(low), offset_at(high)
    if before == after:
        start, end = first - before, last - before
        return [(start, end)] if start < end else []
    # One change in these three days at most: no zone of the tz database has had two within 6.9 days
    # between 1970 and 2200 (Brazil, 8 and 15 October 2000).
    while high - low > 1:  # the change: the last second at the old offset is `low`
        middle = (low + high) // 2
        low, high = (middle, high) if offset_at(middle) == before else (low, middle)
    change = high
    windows = []
    for start, end in ((first - before, min(change, last - before)), (max(change, first - after), last - after)):
        if start < end:
            if windows and windows[-1][1] == start:
                start = windows.pop()[0]
            windows.append((start, end))
    return windows


_RECENT_YEARS = 4


class BusinessCalendar:
    """A policy's business hours in a contract's zone. Use `calendar_for`, which shares instances."""

    def __init__(self, hours: BusinessHours, zone_name: str):
        self.hours = hours
        self.zone_name = zone_name
        self.zone = ZoneInfo(zone_name)
        self._recent: dict[int, _YearWindows] = {}  # at most _RECENT_YEARS tables
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
        # A calendar keeps the tables of a few recent years; the rest come from the shared, bounded
        # cache. One that kept every year it met held 7 MiB for a ticket open from 1970 to 2199, and
        # 256 such calendars (one per policy) 1.9 GB per worker.
        table = self._recent.get(year)
        if table is None:
            table = _year_windows(self.hours, self.zone_name, year)
            recent = self._recent if len(self._recent) < _RECENT_YEARS else {}
            recent[year] = table
            self._recent = recent
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
