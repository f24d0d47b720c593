"""rules.md §6/§7: business hours Mon-Fri 08:00-16:00 in the contract zone, closed on public holidays."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_data
from hypothesis import given
from hypothesis import strategies as st

from creditsvc.calculators.calendar import BusinessCalendar, _offset_changes, _year_windows, public_holidays
from creditsvc.calculators.policy import BusinessHours
from creditsvc.calculators.records import epoch

from tests.calculators.factories import CPH, HCM, cph, fast, hcm

DK = BusinessCalendar(BusinessHours(), CPH)
VN = BusinessCalendar(BusinessHours(holidays="VN"), HCM)
H = 3600


def seconds(calendar, start, end):
    return calendar.business_seconds(epoch(start), epoch(end))


def test_a_business_day_is_eight_hours_from_08_00_to_16_00():
    assert DK.day_seconds == 8 * H
    assert seconds(DK, cph(2026, 10, 6), cph(2026, 10, 7)) == 8 * H


def test_a_case_from_15_30_to_16_30_on_a_tuesday_has_30_minutes_of_business_time():
    assert seconds(DK, cph(2026, 10, 6, 15, 30), cph(2026, 10, 6, 16, 30)) == 1800


def test_a_full_week_has_five_business_days_and_no_weekend_time():
    assert seconds(DK, cph(2026, 10, 5), cph(2026, 10, 12)) == 5 * 8 * H
    assert seconds(DK, cph(2026, 10, 10), cph(2026, 10, 12)) == 0


def test_danish_easter_holidays_2026_are_closed_maundy_thursday_good_friday_and_easter_monday():
    # Mon 30 Mar .. Mon 6 Apr 2026: only Mon 30, Tue 31 Mar and Wed 1 Apr are business days
    assert seconds(DK, cph(2026, 3, 30), cph(2026, 4, 7)) == 3 * 8 * H
    assert seconds(DK, cph(2026, 4, 3, 10), cph(2026, 4, 3, 11)) == 0  # Good Friday


def test_christmas_day_2026_a_friday_is_closed_in_denmark():
    assert seconds(DK, cph(2026, 12, 25), cph(2026, 12, 26)) == 0


def test_business_time_across_new_year_skips_the_1st_of_january_and_the_weekend():
    # Thu 31 Dec 2026 12:00 .. Mon 4 Jan 2027 12:00: 4 h + (1 Jan holiday, weekend) + 4 h
    assert seconds(DK, cph(2026, 12, 31, 12), cph(2027, 1, 4, 12)) == 8 * H


def test_extra_closed_dates_of_the_policy_are_closed_as_well():
    closed = BusinessCalendar(BusinessHours(extra_closed_dates=frozenset({date(2026, 10, 6)})), CPH)
    assert seconds(closed, cph(2026, 10, 5), cph(2026, 10, 8)) == 2 * 8 * H


def test_business_days_around_the_dst_changes_are_still_eight_hours():
    # DST starts Sun 29 Mar and ends Sun 25 Oct 2026 in Copenhagen
    assert seconds(DK, cph(2026, 3, 27), cph(2026, 3, 31)) == 2 * 8 * H
    assert seconds(DK, cph(2026, 10, 23), cph(2026, 10, 27)) == 2 * 8 * H


def test_vietnamese_tet_2026_from_16_to_20_february_is_closed():
    assert seconds(VN, hcm(2026, 2, 16), hcm(2026, 2, 21)) == 0
    assert seconds(VN, hcm(2026, 2, 13), hcm(2026, 2, 24)) == 2 * 8 * H  # Fri 13 and Mon 23


def test_vietnamese_national_day_1_and_2_september_2026_is_closed():
    assert seconds(VN, hcm(2026, 9, 1), hcm(2026, 9, 3)) == 0
    assert seconds(VN, hcm(2026, 9, 3), hcm(2026, 9, 4)) == 8 * H


def test_vietnams_saturday_22_august_2026_worked_for_the_day_off_on_31_august_is_business_time():
    # The holidays package closes Monday 31 August ("substituted from 08/22/2026"); the Saturday it was
    # swapped for was left closed, so the week lost a business day.
    assert seconds(VN, hcm(2026, 8, 31), hcm(2026, 9, 1)) == 0
    assert seconds(VN, hcm(2026, 8, 22), hcm(2026, 8, 23)) == 8 * H
    assert seconds(VN, hcm(2026, 8, 29), hcm(2026, 8, 30)) == 0  # an ordinary Saturday
    assert seconds(DK, cph(2026, 8, 22), cph(2026, 8, 23)) == 0  # Denmark swaps nothing


def test_is_business_time_includes_the_opening_second_and_excludes_the_closing_second():
    assert DK.is_business_time(epoch(cph(2026, 10, 6, 8)))
    assert DK.is_business_time(epoch(cph(2026, 10, 6, 15, 59, 59)))
    assert not DK.is_business_time(epoch(cph(2026, 10, 6, 16)))
    assert not DK.is_business_time(epoch(cph(2026, 10, 6, 7, 59, 59)))
    assert not DK.is_business_time(epoch(cph(2026, 10, 10, 12)))  # Saturday
    assert not DK.is_business_time(epoch(cph(2026, 4, 3, 12)))  # Good Friday


def test_an_empty_or_reversed_interval_has_no_business_time():
    moment = epoch(cph(2026, 10, 6, 12))
    assert DK.business_seconds(moment, moment) == 0
    assert DK.business_seconds(moment, moment - 60) == 0


# --- brute-force reference --------------------------------------------------------------------------

def reference_business_seconds(hours: BusinessHours, zone_name: str, start: int, end: int) -> int:
    """Walk minute by minute (splitting at minute edges): every window edge is on a whole minute."""
    zone = ZoneInfo(zone_name)
    closed: set[date] = set()
    if hours.holidays:
        for year in range(datetime.fromtimestamp(start, zone).year, datetime.fromtimestamp(end, zone).year + 1):
            closed |= set(holiday_data.country_holidays(hours.holidays, years=year))
    closed |= set(hours.extra_closed_dates)
    total, cursor = 0, start
    while cursor < end:
        step_end = min(end, (cursor // 60 + 1) * 60)
        local = datetime.fromtimestamp(cursor, zone)
        wall = local.time().replace(second=0, microsecond=0)
        if (local.weekday() in hours.weekdays and local.date() not in closed
                and hours.start <= wall < hours.end):
            total += step_end - cursor
        cursor = step_end
    return total


ANCHORS = [cph(*args) for args in [
    (2026, 3, 27, 12), (2026, 3, 29, 1), (2026, 10, 23, 12), (2026, 10, 25, 1),  # DST changes
    (2026, 4, 1, 15), (2026, 4, 6, 7), (2026, 5, 13, 15), (2026, 5, 25, 8),  # Easter, Ascension, Whit Monday
    (2026, 12, 24, 14), (2026, 12, 31, 15), (2026, 10, 6, 15, 30), (2026, 10, 9, 15, 59),
]]


@st.composite
def small_intervals(draw):
    anchor = epoch(draw(st.sampled_from(ANCHORS)))
    start = anchor + draw(st.integers(-2 * 86400, 2 * 86400))
    return start, start + draw(st.integers(0, 3 * 86400))


@fast(120)
@given(small_intervals())
def test_business_seconds_match_a_minute_by_minute_reference_with_danish_holidays_and_dst(interval):
    start, end = interval
    assert DK.business_seconds(start, end) == reference_business_seconds(DK.hours, CPH, start, end)


NIGHT_HOURS = BusinessHours(weekdays=frozenset(range(7)), start=time(1), end=time(4), holidays=None)
NIGHT = BusinessCalendar(NIGHT_HOURS, CPH)


def test_a_night_window_01_00_to_04_00_is_two_hours_on_the_spring_dst_day_and_four_on_the_autumn_one():
    assert seconds(NIGHT, cph(2026, 3, 29), cph(2026, 3, 30)) == 2 * H
    assert seconds(NIGHT, cph(2026, 10, 25), cph(2026, 10, 26)) == 4 * H
    assert seconds(NIGHT, cph(2026, 10, 26), cph(2026, 10, 27)) == 3 * H


@fast(80)
@given(st.sampled_from([cph(2026, 3, 28, 12), cph(2026, 10, 24, 12)]).map(epoch),
       st.integers(0, 86400), st.integers(0, 2 * 86400))
def test_business_seconds_match_the_reference_for_a_window_that_contains_a_dst_change(anchor, offset, span):
    start = anchor + offset
    assert NIGHT.business_seconds(start, start + span) == reference_business_seconds(
        NIGHT_HOURS, CPH, start, start + span)


@fast(60)
@given(st.integers(epoch(hcm(2026, 2, 10)), epoch(hcm(2026, 2, 26))), st.integers(0, 3 * 86400))
def test_business_seconds_match_the_reference_with_vietnamese_holidays_over_tet(start, span):
    assert VN.business_seconds(start, start + span) == reference_business_seconds(VN.hours, HCM, start, start + span)


@fast(60)
@given(small_intervals(), st.integers(0, 3 * 86400))
def test_business_seconds_are_additive_over_adjacent_intervals(interval, split):
    start, end = interval
    middle = min(end, start + split)
    assert DK.business_seconds(start, end) == DK.business_seconds(start, middle) + DK.business_seconds(middle, end)


def test_a_window_the_spring_change_skips_is_no_business_time_not_negative_time():
    # 02:30-03:00 does not exist on 29 March in Copenhagen: read naively it ended before it began,
    # and a 4-hour support case that night was billed 4.5 hours
    gap = BusinessCalendar(BusinessHours(weekdays=frozenset({6}), start=time(2, 30), end=time(3), holidays=None), CPH)
    assert seconds(gap, cph(2026, 3, 29), cph(2026, 3, 29, 5)) == 0
    assert seconds(gap, cph(2026, 3, 22), cph(2026, 3, 23)) == 30 * 60  # the Sunday before has its half hour


def test_a_window_that_ends_in_the_autumn_changes_repeated_hour_counts_that_part_twice():
    # 01:00-02:30 on 25 October: 01:00-02:00 and 02:00-02:30 at summer time, then 02:00-02:30 again
    fall = BusinessCalendar(BusinessHours(weekdays=frozenset({6}), start=time(1), end=time(2, 30), holidays=None), CPH)
    assert seconds(fall, cph(2026, 10, 25), cph(2026, 10, 26)) == 2 * H


# Days the clocks change on: at 02:00 (Copenhagen), at midnight (Santiago, Havana), a whole day (Apia)
CHANGES = [(CPH, datetime(2026, 3, 29)), (CPH, datetime(2026, 10, 25)), ("America/Santiago", datetime(2026, 9, 6)),
           ("America/Santiago", datetime(2026, 4, 5)), ("America/Havana", datetime(2026, 11, 1)),
           ("Pacific/Apia", datetime(2011, 12, 30))]


@fast(120)
@given(st.sampled_from(CHANGES), st.integers(0, 24 * 60 - 2), st.integers(1, 5 * 60), st.integers(-86400, 86400),
       st.integers(0, 2 * 86400))
def test_any_window_around_a_clock_change_matches_the_minute_by_minute_reference(change, opens, length, offset, span):
    # windows that open or close inside the time a change skips or repeats, at night or at midnight
    zone, day = change
    close = min(opens + length, 24 * 60 - 1)
    hours = BusinessHours(weekdays=frozenset(range(7)), start=time(opens // 60, opens % 60),
                          end=time(close // 60, close % 60), holidays=None)
    start = epoch(day.replace(tzinfo=ZoneInfo(zone))) + offset
    assert BusinessCalendar(hours, zone).business_seconds(start, start + span) == reference_business_seconds(
        hours, zone, start, start + span)


# --- spans of many years: whole years from prefix sums ------------------------------------------------

def clip_every_window(calendar: BusinessCalendar, start: int, end: int) -> int:
    """business_seconds the slow way: every window of every local year the span touches, clipped."""
    if end <= start:
        return 0
    total = 0
    for year in range(datetime.fromtimestamp(start, calendar.zone).year,
                      datetime.fromtimestamp(end - 1, calendar.zone).year + 1):
        windows = _year_windows(calendar.hours, calendar.zone_name, year)
        total += sum(max(0, min(e, end) - max(s, start)) for s, e in zip(windows.starts, windows.ends))
    return total


FIRST, LAST = epoch(datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))), epoch(datetime(2200, 1, 1, tzinfo=ZoneInfo("UTC")))
LONG_SPAN_CALENDARS = [(BusinessHours(), CPH), (BusinessHours(holidays="VN"), HCM), (NIGHT_HOURS, CPH),
                       (BusinessHours(weekdays=frozenset(range(7)), start=time(0), end=time(23, 59), holidays=None),
                        "America/Santiago")]


@fast(40)
@given(st.sampled_from(LONG_SPAN_CALENDARS),
       st.lists(st.tuples(st.integers(FIRST, LAST), st.integers(0, LAST - FIRST)), min_size=1, max_size=4))
def test_business_seconds_of_spans_of_many_years_match_clipping_every_window_in_any_order(calendar, spans):
    # a fresh calendar each time: its prefix sums over years grow down as well as up, in any order
    fresh = BusinessCalendar(*calendar)
    for start, length in spans:
        end = min(LAST, start + length)
        assert fresh.business_seconds(start, end) == clip_every_window(fresh, start, end)


@fast(200)
@given(st.sampled_from(["UTC", CPH, HCM, "Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Apia"]),
       st.integers(1970, 2199), st.integers(-2 * 86400, 2 * 86400))
def test_the_local_year_of_an_instant_near_a_new_year_is_the_one_its_zone_shows(zone, year, offset):
    moment = max(FIRST, min(LAST - 1, epoch(datetime(year, 1, 1, tzinfo=ZoneInfo(zone))) + offset))
    assert BusinessCalendar(BusinessHours(holidays=None), zone)._year_of(moment) == \
        datetime.fromtimestamp(moment, ZoneInfo(zone)).year


# --- year tables from the zone's offset changes ------------------------------------------------------

def _tz_offset(moment: int, zone: ZoneInfo) -> int:
    return int(datetime.fromtimestamp(moment, zone).utcoffset().total_seconds())


def reference_year_windows(hours: BusinessHours, zone_name: str, year: int) -> list[tuple[int, int]]:
    """A year's windows asked of the tz database twice a day, as they were built before the year's
    offset changes were looked up once (the same wall-clock rule: skipped times are none, repeated twice)."""
    zone = ZoneInfo(zone_name)
    closed, swapped = public_holidays(hours.holidays, year) if hours.holidays else (frozenset(), frozenset())
    windows, day = [], date(year, 1, 1)
    while day.year == year:
        if (day.weekday() in hours.weekdays or day in swapped) and day not in closed \
                and day not in hours.extra_closed_dates:
            first = int(datetime.combine(day, hours.start).replace(tzinfo=ZoneInfo("UTC")).timestamp())
            last = int(datetime.combine(day, hours.end).replace(tzinfo=ZoneInfo("UTC")).timestamp())
            low, high = first - 86400, last + 86400
            before, after = _tz_offset(low, zone), _tz_offset(high, zone)
            if before == after:
                windows += [(first - before, last - before)] if first < last else []
            else:
                while high - low > 1:
                    middle = (low + high) // 2
                    low, high = (middle, high) if _tz_offset(middle, zone) == before else (low, middle)
                day_windows = []
                for start, end in ((first - before, min(high, last - before)), (max(high, first - after), last - after)):
                    if start < end:
                        if day_windows and day_windows[-1][1] == start:
                            start = day_windows.pop()[0]
                        day_windows.append((start, end))
                windows += day_windows
        day += timedelta(days=1)
    return windows


# zones whose clocks change often, by odd amounts, at midnight, by a whole day, or twice in a week
CHANGING_ZONES = [CPH, HCM, "America/Santiago", "America/Havana", "Pacific/Apia", "America/Noronha", "Asia/Gaza",
                  "Africa/Casablanca", "Australia/Lord_Howe", "Europe/Moscow", "America/Sao_Paulo", "Asia/Tehran",
                  "Pacific/Kiritimati", "America/Los_Angeles", "Antarctica/Troll", "UTC"]


@fast(60)
@given(st.sampled_from(CHANGING_ZONES), st.integers(1969, 2200), st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60),
       st.sampled_from([None, "DK", "VN"]))
def test_a_years_windows_are_the_ones_two_tz_look_ups_a_day_find(zone, year, opens, length, country):
    close = min(opens + length, 24 * 60 - 1)
    hours = BusinessHours(weekdays=frozenset(range(7)), start=time(opens // 60, opens % 60),
                          end=time(close // 60, close % 60), holidays=country)
    table = _year_windows(hours, zone, year)
    windows = list(zip(table.starts, table.ends))
    assert windows == reference_year_windows(hours, zone, year)
    assert list(table.before) == [sum(e - s for s, e in windows[:i]) for i in range(len(windows) + 1)]


def test_the_offset_changes_of_a_year_are_the_tz_databases_own():
    # Copenhagen 2026: summer time from 01:00 UTC on 29 March to 01:00 UTC on 25 October
    changes, offsets = _offset_changes(CPH, 2026)
    assert changes == (epoch(datetime(2026, 3, 29, 1, tzinfo=ZoneInfo("UTC"))),
                       epoch(datetime(2026, 10, 25, 1, tzinfo=ZoneInfo("UTC"))))
    assert offsets == (3600, 7200, 3600)
    # Noronha, October 2000: on the 8th, off again on the 15th
    changes, offsets = _offset_changes("America/Noronha", 2000)
    assert [datetime.fromtimestamp(c, ZoneInfo("UTC")).date() for c in changes[-2:]] == [date(2000, 10, 8),
                                                                                         date(2000, 10, 15)]
