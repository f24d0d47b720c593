"""Benchmarks of the calculation core (issue 2). Prints figures measured in this run; asserts nothing.

    python bench/calculations.py
"""
from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from creditsvc.calculators.calendar import BusinessCalendar  # noqa: E402
from creditsvc.calculators.fines import fine_amounts, periods_too_large  # noqa: E402
from creditsvc.calculators.policy import BusinessHours, FinesPolicy, SupportPolicy  # noqa: E402
from creditsvc.calculators.records import BugOccurrence, Incident, SupportCase  # noqa: E402
from creditsvc.calculators.statement import compute_statement  # noqa: E402
from creditsvc.calculators.support import bill_case  # noqa: E402
from creditsvc.schemas.calculation import CalculationRequestSchema  # noqa: E402
from creditsvc.schemas.statement import dump_statement  # noqa: E402
from creditsvc.services.records import locked_periods  # noqa: E402
from typical_month import calculation_body  # noqa: E402


def rate(function, seconds: float = 2.0) -> float:
    """Calls per second of `function`, measured for about `seconds` after a warm-up."""
    for _ in range(20):
        function()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            function()
        calls += 50
    return calls / elapsed


def outage_reports(count: int) -> dict:
    """A 1office month with `count` critical reports and as many excluded (ISP) ones between them, each
    outage credited on its own with started blocks: the per-incident road of rules.md §4."""
    contract = json.loads((Path(__file__).resolve().parents[1] / "examples" / "1office" / "contract.json").read_text())
    contract["policy"]["overrides"] = {"outage_credit": {"scope": "incident", "rounding": "started",
                                                         "excluded_causes": ["isp"]}}
    start, step = datetime(2026, 9, 1, tzinfo=timezone.utc), 2_592_000 // (count + 1)
    incidents = [{"id": f"{kind}{k}", "severity": "critical", "cause": cause,
                  "started_at": (start + timedelta(seconds=step * k + offset)).isoformat(),
                  "ended_at": (start + timedelta(seconds=step * k + offset + step // 3)).isoformat()}
                 for k in range(count) for kind, cause, offset in (("C", "provider", 0), ("X", "isp", step // 2))]
    return {"contract": contract, "period": "2026-09", "as_of": "2026-11-01T00:00:00Z", "incidents": incidents}


def open_tickets(as_of: str) -> dict:
    """3,000 September tickets on a business clock (3cx-vn P4), none answered, judged as of `as_of`."""
    body = calculation_body()
    body["as_of"], body["incidents"], body["support_cases"], body["bug_occurrences"] = as_of, [], [], []
    body["tickets"] = [{"id": f"t-{k}", "priority": "P4", "opened_at": f"2026-09-{1 + k % 29:02d}T09:00:00+07:00"}
                       for k in range(3_000)]
    return body


def cold_calendar_seconds(years: int, rounds: int = 3) -> float:
    """Seconds to find the business time of `years` local years on a calendar no request has used
    (each round closes another date, as a new policy would): its year tables are built from nothing."""
    best = float("inf")
    for round_ in range(rounds):
        closed = frozenset({date(2100, 1, 1) + timedelta(days=years * 7 + round_)})
        calendar = BusinessCalendar(BusinessHours(extra_closed_dates=closed), "Europe/Copenhagen")
        start = time.perf_counter()
        calendar.business_seconds(0, int(datetime(1970 + years, 1, 1, tzinfo=timezone.utc).timestamp()))
        best = min(best, time.perf_counter() - start)
    return best


def monthly_bugs(months: int) -> tuple[list[BugOccurrence], list[tuple[int, int]]]:
    """One occurrence a month of 50 bugs in turn from January 1970, and the months they fall in: what
    the storage check (services/fine_limits) looks at when a batch touches every month."""
    firsts = [datetime(1970 + k // 12, 1 + k % 12, 1, tzinfo=timezone.utc) for k in range(months + 1)]
    occurrences = [BugOccurrence(f"o{k}", f"B{k % 50}", firsts[k] + timedelta(days=14)) for k in range(months)]
    return occurrences, [(int(a.timestamp()), int(b.timestamp())) for a, b in zip(firsts, firsts[1:])]


def locked_inputs(stored: int, years: int) -> dict:
    """What a batch into a contract with a live note asks (services/records.locked_periods): 1,000
    early occurrences of one bug with `stored` occurrences on record, and 1,000 incidents `years` long,
    against 24 issued months."""
    zone, first = ZoneInfo("Asia/Ho_Chi_Minh"), datetime(2016, 1, 1, tzinfo=timezone.utc)
    issued = {f"{2025 + k // 12}-{1 + k % 12:02d}" for k in range(24)}
    history = [("B", first + timedelta(hours=k * 87_600 // stored)) for k in range(stored)]
    early = [BugOccurrence(f"n{k}", "B", first + timedelta(seconds=k)) for k in range(1000)]
    long = [Incident(f"i{k}", datetime(1970, 1, 2, tzinfo=timezone.utc) + timedelta(seconds=k),
                     datetime(1970 + years, 1, 1, tzinfo=timezone.utc), "provider") for k in range(1000)]
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    return {"bugs": lambda: locked_periods("bug_occurrences", early, issued, zone, now, history),
            "incidents": lambda: locked_periods("incidents", long, issued, zone, now)}


def locked_periods_figures() -> dict[str, float]:
    small, large = locked_inputs(5_000, 1), locked_inputs(10_000, 230)
    brief, centuries = rate(small["incidents"], 1.0), rate(large["incidents"], 1.0)
    five, ten = rate(small["bugs"], 1.0), rate(large["bugs"], 1.0)
    print(f"locked periods: 1,000 early bug occurrences against 10,000 stored cost {five / ten:.2f}x against 5,000; "
          f"1,000 incidents of 230 years cost {brief / centuries:.2f}x 1,000 of one year ({1000 / ten:,.1f} ms, "
          "one scan of the bug's history, not a query per item)")
    return {"locked_bugs_10000_over_5000": five / ten, "locked_incidents_230y_over_1y": brief / centuries}


def main() -> dict[str, float]:
    body = calculation_body()
    schema = CalculationRequestSchema()  # one instance, as the app holds one
    request = schema.load(body)
    statement = compute_statement(request)
    assert statement.uptime and statement.support and statement.tickets and statement.repeat_bug_fines
    computed = rate(lambda: compute_statement(request))
    end_to_end = rate(lambda: dump_statement(compute_statement(schema.load(body))))

    zone = ZoneInfo("Europe/Copenhagen")
    calendar = BusinessCalendar(BusinessHours(), "Europe/Copenhagen")
    policy = SupportPolicy()
    start = datetime(2026, 10, 5, 9, 0, tzinfo=zone)
    one_hour = SupportCase("short", start, start + timedelta(hours=1), "1")
    thirty_days = SupportCase("long", start, start + timedelta(days=30), "1")
    short = rate(lambda: bill_case(one_hour, policy, calendar, None, "DKK"), 1.0)
    long = rate(lambda: bill_case(thirty_days, policy, calendar, None, "DKK"), 1.0)

    fines = FinesPolicy(multiplier=Decimal("1.0001"))  # grows slowly: thousands of fines before the storage limit
    thousand = rate(lambda: list(fine_amounts(fines, range(2, 1002), "VND")), 1.0)
    two_thousand = rate(lambda: list(fine_amounts(fines, range(2, 2002), "VND")), 1.0)

    many_outages = {n: schema.load(outage_reports(n)) for n in (1_000, 4_000)}
    outages_1k = rate(lambda: compute_statement(many_outages[1_000]), 1.0)
    outages_4k = rate(lambda: compute_statement(many_outages[4_000]), 1.0)

    open_month = schema.load(open_tickets("2026-11-01T00:00:00Z"))
    open_centuries = schema.load(open_tickets("2199-12-31T00:00:00Z"))
    compute_statement(open_centuries)  # the year tables of 2026-2199, built once per calendar
    tickets_month = rate(lambda: compute_statement(open_month), 1.0)
    tickets_centuries = rate(lambda: compute_statement(open_centuries), 1.0)

    history = {n: monthly_bugs(n) for n in (1_000, 2_000)}
    limits = {n: rate(lambda n=n: periods_too_large(FinesPolicy(), *history[n], "VND"), 1.0) for n in history}
    cold_115, cold_230 = cold_calendar_seconds(115), cold_calendar_seconds(230)

    print(f"typical month (30 incidents, 20 cases, 10 tickets, 5 bugs): {computed:,.0f} statements/s on one core "
          f"(target >= 1,000)")
    print(f"  same, with schema load and JSON dump:                    {end_to_end:,.0f} statements/s")
    print(f"support split: 1-hour case {short:,.0f}/s, 30-day case {long:,.0f}/s -> "
          f"30-day costs {short / long:.2f}x a 1-hour case (target <= 10x)")
    print(f"repeat-bug fines at multiplier 1.0001: 2,000 occurrences cost {thousand / two_thousand:.2f}x "
          "1,000 (linear work on ever longer fractions)")
    print(f"outage credit per incident, started blocks: 4,000 critical and 4,000 excluded reports cost "
          f"{outages_1k / outages_4k:.2f}x 1,000 and 1,000")
    print(f"business clock: 3,000 tickets open until 2199 cost {tickets_month / tickets_centuries:.2f}x "
          "the same open until November 2026 (the years between come from prefix sums)")
    print(f"fine limits: 2,000 months of stored occurrences cost {limits[1_000] / limits[2_000]:.2f}x 1,000 "
          "(each bug numbered once, not once per month)")
    print(f"a new policy's calendar: 230 years (1970-2199) cost {cold_230 / cold_115:.2f}x 115 years, "
          f"{cold_230 * 1000:,.0f} ms")
    locked = locked_periods_figures()
    return {**locked, "fine_limits_2000_over_1000": limits[1_000] / limits[2_000], "cold_calendar_230_years_seconds": cold_230, "tickets_2199_over_2026": tickets_month / tickets_centuries, "outages_4000_over_1000": outages_1k / outages_4k, "statements_per_second": computed, "support_30d_over_1h": short / long,
            "fines_2000_over_1000": thousand / two_thousand}


if __name__ == "__main__":
    main()
