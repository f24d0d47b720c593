"""rules.md §2: a period is a calendar month in the contract's zone, measured between two instants."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from creditsvc.calculators.errors import DomainError
from creditsvc.calculators.periods import add_months, explicit_period, local_days, month_period, months_in
from creditsvc.calculators.records import epoch

CPH, HCM = ZoneInfo("Europe/Copenhagen"), ZoneInfo("Asia/Ho_Chi_Minh")


def test_october_2026_in_copenhagen_is_745_hours_because_dst_ends_inside_it():
    assert month_period("2026-10", CPH).seconds == 745 * 3600


def test_march_2026_in_copenhagen_is_743_hours_because_dst_starts_inside_it():
    assert month_period("2026-03", CPH).seconds == 743 * 3600


def test_september_2026_in_ho_chi_minh_city_is_2_592_000_seconds():
    assert month_period("2026-09", HCM).seconds == 2_592_000


def test_february_2026_is_28_days_and_april_is_30_days_in_a_zone_without_dst():
    assert month_period("2026-02", HCM).seconds == 28 * 86400
    assert month_period("2026-04", HCM).seconds == 30 * 86400


def test_a_period_runs_from_local_midnight_on_the_1st_to_local_midnight_on_the_1st_of_the_next_month():
    period = month_period("2026-10", CPH)
    assert period.start_ts == epoch(datetime(2026, 9, 30, 22, tzinfo=timezone.utc))
    assert period.end_ts == epoch(datetime(2026, 10, 31, 23, tzinfo=timezone.utc))
    december = month_period("2026-12", HCM)
    assert december.end == datetime(2027, 1, 1, tzinfo=HCM)


def test_the_first_and_last_local_day_of_a_month_period():
    period = month_period("2026-09", HCM)
    assert period.first_day == date(2026, 9, 1)
    assert period.last_day == date(2026, 9, 30)


@pytest.mark.parametrize("label", ["2026-13", "2026-9", "26-09", "2026-00", "2026/09", "", "2026-09-01",
                                   "20\uff126-09", "2026-\u0660\u0669"])  # ASCII digits only
def test_a_period_label_must_be_written_yyyy_mm(label):
    with pytest.raises(DomainError) as info:
        month_period(label, HCM)
    assert info.value.code == "invalid_period"


def test_an_explicit_180_day_period_in_a_zone_without_dst_is_4320_hours():
    period = explicit_period(datetime(2026, 1, 1, tzinfo=HCM), datetime(2026, 6, 30, tzinfo=HCM), HCM)
    assert period.seconds == 4320 * 3600


def test_an_explicit_period_is_expressed_in_the_contract_zone_whatever_offset_it_was_given_in():
    period = explicit_period(datetime(2025, 12, 31, 17, tzinfo=timezone.utc),
                             datetime(2026, 1, 31, 17, tzinfo=timezone.utc), HCM)
    assert period.start == datetime(2026, 1, 1, tzinfo=HCM)
    assert period.first_day == date(2026, 1, 1)
    assert period.last_day == date(2026, 1, 31)


def test_an_explicit_period_must_end_after_it_starts():
    moment = datetime(2026, 1, 1, tzinfo=HCM)
    with pytest.raises(DomainError):
        explicit_period(moment, moment, HCM)
    with pytest.raises(DomainError):
        explicit_period(moment, moment - timedelta(seconds=1), HCM)


def test_months_in_lists_every_calendar_month_overlapping_a_period():
    period = explicit_period(datetime(2026, 1, 15, tzinfo=HCM), datetime(2026, 4, 1, tzinfo=HCM), HCM)
    assert [m.label for m in months_in(period, HCM)] == ["2026-01", "2026-02", "2026-03"]


def test_add_months_clamps_to_the_end_of_a_shorter_month_and_rolls_over_the_year():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_timestamp_without_an_offset_is_refused():
    with pytest.raises(DomainError) as info:
        epoch(datetime(2026, 9, 1, 12))
    assert info.value.code == "naive_timestamp"


def test_epoch_counts_exact_whole_seconds_of_an_aware_time():
    assert epoch(datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)) == 1
    assert epoch(datetime(2026, 9, 1, 7, tzinfo=HCM)) == epoch(datetime(2026, 9, 1, tzinfo=timezone.utc))


SANTIAGO = ZoneInfo("America/Santiago")  # 6 September 2026 begins at 01:00 -03: its midnight is skipped


def test_a_period_ending_at_a_skipped_midnight_ends_on_the_day_before():
    # end - 1 µs is wall-clock arithmetic: it named 6 September, the day the period ends on
    period = explicit_period(datetime(2026, 8, 6, 4, tzinfo=timezone.utc), datetime(2026, 9, 6, 4, tzinfo=timezone.utc),
                             SANTIAGO)
    assert period.last_day == date(2026, 9, 5)
    assert month_period("2026-09", SANTIAGO).last_day == date(2026, 9, 30)


def test_a_month_has_the_days_its_zone_lived_apia_skipped_30_december_2011():
    assert local_days(2011, 12, ZoneInfo("Pacific/Apia")) == 30
    assert local_days(2011, 12, ZoneInfo("Asia/Ho_Chi_Minh")) == 31
    assert local_days(2026, 10, ZoneInfo("Europe/Copenhagen")) == 31  # a 25-hour day is one day
    assert local_days(2026, 9, SANTIAGO) == 30  # a 23-hour day too


def test_the_months_of_a_period_reaching_local_january_2200_or_starting_in_local_december_1969_are_all_there():
    # instants lie in [1970, 2200) UTC: Kiritimati (+14) reaches local 2200, Los Angeles starts in local 1969
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    period = explicit_period(datetime(2199, 12, 31, tzinfo=timezone.utc), datetime(2199, 12, 31, 23, tzinfo=timezone.utc),
                             kiritimati)
    assert [m.label for m in months_in(period, kiritimati)] == ["2199-12", "2200-01"]
    los_angeles = ZoneInfo("America/Los_Angeles")
    period = explicit_period(datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(1970, 1, 2, tzinfo=timezone.utc),
                             los_angeles)
    assert [m.label for m in months_in(period, los_angeles)] == ["1969-12", "1970-01"]


def test_an_explicit_period_is_judged_by_its_instants_not_its_wall_clock():
    # 02:20 CET (fold=1) is 40 minutes after 02:40 CEST on 25 October in Copenhagen
    cph = ZoneInfo("Europe/Copenhagen")
    earlier, later = datetime(2026, 10, 25, 2, 40, tzinfo=cph), datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=cph)
    assert explicit_period(earlier, later, cph).seconds == 40 * 60
    with pytest.raises(DomainError):
        explicit_period(later, earlier, cph)
