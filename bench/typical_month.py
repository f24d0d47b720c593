"""A typical month for the benchmarks: 30 incidents, 20 support cases, 10 tickets, 5 bug occurrences,
under a policy that has every section, so every rule does its work."""
from __future__ import annotations

import math
from fractions import Fraction

ZONE_OFFSET = "+07:00"


def _at(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-09-{day:02d}T{hour:02d}:{minute:02d}:00{ZONE_OFFSET}"


def calculation_body() -> dict:
    incidents = []
    for k in range(30):
        day, hour = 1 + k % 29, (k * 5) % 22
        incidents.append({"id": f"inc-{k}", "started_at": _at(day, hour), "ended_at": _at(day, hour + 1, 15),
                          "severity": "critical" if k % 3 == 0 else "major",
                          "cause": ["provider", "third_party", "maintenance", "isp", "provider"][k % 5],
                          "notice_given_at": _at(max(1, day - 2), 9) if k % 5 == 2 else None})
    cases = []
    for k in range(20):
        day, hour = 1 + k, 7 + k % 12
        cases.append({"id": f"case-{k}", "started_at": _at(day, hour, 30), "ended_at": _at(day, hour + 2, 5),
                      "level": 1 + k % 2, "km": str(k * 3)})
    tickets = []
    for k in range(10):
        day = 2 + k * 2
        tickets.append({"id": f"t-{k}", "priority": f"P{1 + k % 4}", "opened_at": _at(day, 9),
                        "first_response_at": _at(day, 9, 20), "resolved_at": _at(day + 1, 11),
                        "pauses": [{"start": _at(day, 12), "end": _at(day, 13)}]})
    bugs = [{"id": f"bug-{k}", "bug_id": f"B{k % 2}", "occurred_at": _at(1 + k * 5, 10)} for k in range(5)]
    return {
        "contract": {
            "id": "bench", "customer": {"name": "Công ty Đồng Tâm"}, "currency": "VND", "locale": "vi",
            "timezone": "Asia/Ho_Chi_Minh", "fee": {"amount": "20000000", "per": "month"}, "starts_on": "2026-01-01",
            "policy": {"template": "3cx-vn", "overrides": {
                "outage_credit": {"severity": "critical"},
                "repeat_bug_fines": {"base_amount": "500000"},
                "support_billing": {"rates": {"1": "300000", "2": "450000"}, "mileage_rate": "5000",
                                    "vat_percent": "10"},
            }},
        },
        "period": "2026-09",
        "as_of": "2026-11-01T00:00:00Z",
        "incidents": incidents, "support_cases": cases, "tickets": tickets, "bug_occurrences": bugs,
    }


RECORD_LISTS = ("incidents", "support_cases", "tickets", "bug_occurrences")


def smaller_month(share: str) -> dict:
    """The typical month with `share` ("1/3", "0.5") of each kind of record, rounded up: every n-th
    record of each list, so the mix of severities, causes, levels and priorities stays the month's. The bug
    occurrences are taken from one bug's first (at least two), so a repeat still costs a fine. Fewer
    incidents can leave too little critical downtime for an outage credit (bench/service_load.py prints
    the credits each month gives). What a typical month is, is the planners' question: the seeds
    promise 99.8-99.9 % (43-86 minutes down a month), where the typical month's 30 incidents leave
    about 95 % up."""
    body = calculation_body()
    body["bug_occurrences"].sort(key=lambda occurrence: occurrence["bug_id"])  # stable: each bug's in order
    for name in RECORD_LISTS:
        records = body[name]
        count = max(2 if name == "bug_occurrences" else 1, math.ceil(len(records) * Fraction(share)))
        body[name] = [records[index * len(records) // count] for index in range(count)]
    return body
