"""locked_periods (services/records) against the implementation it replaced: per item, the months
its record changes listed one by one and, for a bug occurrence, its bug's later occurrences found
by a query of their own (here a scan of the stored list), intersected with the issued periods."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from creditsvc.calculators.periods import add_months
from creditsvc.calculators.records import BugOccurrence, Incident, SupportCase, Ticket
from creditsvc.services.records import locked_periods
from tests.calculators.factories import fast

ZONES = [ZoneInfo("UTC"), ZoneInfo("Europe/Copenhagen"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Kiritimati")]
BASE = datetime(2025, 12, 25, tzinfo=timezone.utc)
NOW = BASE + timedelta(days=200)


def _month(moment, zone):
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def _months_between(start, end, zone):
    first = start.astimezone(zone).date().replace(day=1)
    last = (max(end - timedelta(seconds=1), start)).astimezone(zone).date().replace(day=1)
    months = set()
    while first <= last:
        months.add(f"{first.year:04d}-{first.month:02d}")
        first = add_months(first, 1)
    return months


def reference(kind, items, issued, zone, now, stored_bugs):
    """The previous affected_periods & issued, item by item."""
    out = {}
    for index, record in enumerate(items):
        if kind == "incidents":
            end = record.ended_at or now
            periods = _months_between(record.started_at, max(end, record.started_at), zone)
        elif kind == "bug_occurrences":
            later = [moment for bug_id, moment in stored_bugs
                     if bug_id == record.bug_id and moment >= record.occurred_at]
            periods = {_month(record.occurred_at, zone)} | {_month(moment, zone) for moment in later}
        elif kind == "support_cases":
            periods = {_month(record.started_at, zone)}
        else:
            periods = {_month(record.opened_at, zone)}
        locked = sorted(periods & issued)
        if locked:
            out[index] = locked
    return out


# instants within ~7 months, often at or next to a month's first local midnight (Copenhagen's
# 1 January is 31 December 23:00 UTC: day 6 + 82800 s), and often equal to one another
moments = st.builds(lambda days, seconds: BASE + timedelta(days=days, seconds=seconds),
                    st.sampled_from([0, 6, 7, 37, 38, 65, 66, 96, 97, 127, 150, 180, 210]),
                    st.sampled_from([0, 1, 3599, 3600, 36000, 82799, 82800, 86399]))
labels = st.sampled_from(["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
                          "2025-12-01T00:00:00+01:00/2026-01-01T00:00:00+01:00"])
bugs = st.sampled_from(["A", "B", "C"])


def _incident(start, end, open_):
    return Incident("i", start, None if open_ else max(start, end), "provider")


records = {
    "incidents": st.builds(_incident, moments, moments, st.booleans()),
    "bug_occurrences": st.builds(lambda bug, moment: BugOccurrence("o", bug, moment), bugs, moments),
    "support_cases": st.builds(lambda moment: SupportCase("s", moment, moment + timedelta(hours=1), "1"), moments),
    "tickets": st.builds(lambda moment: Ticket("t", "P1", moment), moments),
}


@fast(300)
@given(st.data(), st.sampled_from(sorted(records)), st.sampled_from(ZONES), st.sets(labels, max_size=6),
       st.lists(st.tuples(bugs, moments), max_size=30))
def test_locked_periods_as_the_previous_implementation(data, kind, zone, issued, stored_bugs):
    items = data.draw(st.lists(records[kind], max_size=12))
    assert locked_periods(kind, items, issued, zone, NOW, stored_bugs) == \
        reference(kind, items, issued, zone, NOW, stored_bugs)


def test_locked_periods_at_month_edges():
    """An end at a local month's first midnight is not in that month; a bug's later occurrences lock
    their months, earlier ones do not; an open incident runs to now."""
    zone = ZoneInfo("Europe/Copenhagen")
    jan, feb = datetime(2026, 1, 1, tzinfo=zone), datetime(2026, 2, 1, tzinfo=zone)
    issued = {"2025-12", "2026-01", "2026-02", "2026-06", "2026-01-01T00:00:00+01:00/2026-03-01T00:00:00+01:00"}
    incidents = [Incident("a", jan - timedelta(hours=1), jan, "provider"),
                 Incident("b", jan - timedelta(hours=1), jan + timedelta(seconds=1), "provider"),
                 Incident("c", feb, feb, "provider"),
                 Incident("d", feb - timedelta(seconds=1), None, "provider"),
                 Incident("e", datetime(2026, 3, 5, tzinfo=zone), datetime(2026, 5, 1, tzinfo=zone), "provider")]
    assert locked_periods("incidents", incidents, issued, zone, NOW, ()) == \
        {0: ["2025-12"], 1: ["2025-12", "2026-01"], 2: ["2026-02"], 3: ["2026-01", "2026-02", "2026-06"]}
    stored = [("A", feb + timedelta(days=3)), ("A", jan - timedelta(days=3)), ("B", datetime(2026, 6, 2, tzinfo=zone))]
    occurrences = [BugOccurrence("x", "A", jan), BugOccurrence("y", "A", feb + timedelta(days=3)),
                   BugOccurrence("z", "A", feb + timedelta(days=4)), BugOccurrence("w", "C", jan)]
    assert locked_periods("bug_occurrences", occurrences, issued, zone, NOW, stored) == \
        {0: ["2026-01", "2026-02"], 1: ["2026-02"], 2: ["2026-02"], 3: ["2026-01"]}
    for kind, items in (("incidents", incidents), ("bug_occurrences", occurrences)):
        assert locked_periods(kind, items, issued, zone, NOW, stored) == reference(kind, items, issued, zone, NOW, stored)
