"""Builders for the calculator tests: the built-in policies of rules.md as dataclasses, contracts,
records and a one-call statement helper. Decimal everywhere, aware datetimes only."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings

from creditsvc.calculators.periods import Period, month_period
from creditsvc.calculators.policy import (
    ApplicationPolicy,
    Band,
    BusinessHours,
    FinesPolicy,
    OutagePolicy,
    Policy,
    SupportPolicy,
    Target,
    TicketPolicy,
    UptimePolicy,
)
from creditsvc.calculators.records import (
    BugOccurrence,
    Contract,
    Fee,
    Incident,
    Pause,
    SupportCase,
    Ticket,
)
from creditsvc.calculators.statement import Statement, StatementRequest, compute_statement

D = Decimal
HCM = "Asia/Ho_Chi_Minh"
CPH = "Europe/Copenhagen"
SEPT_2026_SECONDS = 30 * 86400  # 2,592,000 s: a 30-day month in a zone without DST


def fast(max_examples: int) -> settings:
    """Hypothesis settings that keep the suite quick and write nothing to disk."""
    return settings(max_examples=max_examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def at(zone: str, y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """An aware local time in `zone`."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=ZoneInfo(zone))


def hcm(*args: int) -> datetime:
    return at(HCM, *args)


def cph(*args: int) -> datetime:
    return at(CPH, *args)


# --- policies (rules.md §3-§10, the built-in templates) -------------------------------------------

THREECX_BANDS = (
    Band(D(0), D(25), True),
    Band(D("94.5"), D(10), True),
    Band(D("95.5"), D(6)),
    Band(D("96.5"), D(5)),
    Band(D("97.5"), D(3)),
    Band(D("98.5"), D(2)),
)
HVN_BANDS = (Band(D(0), D(100)), Band(D(95), D(50)), Band(D(99), D(25)))


def uptime_3cx(**overrides) -> UptimePolicy:
    values = dict(commitment_percent=D("99.8"), bands=THREECX_BANDS,
                  excluded_causes=frozenset({"third_party", "customer"}))
    values.update(overrides)
    return UptimePolicy(**values)


def uptime_hvn(**overrides) -> UptimePolicy:
    values = dict(commitment_percent=D("99.9"), bands=HVN_BANDS,
                  excluded_causes=frozenset({"maintenance", "force_majeure", "isp"}))
    values.update(overrides)
    return UptimePolicy(**values)


def policy_3cx(**overrides) -> Policy:
    values = dict(name="3cx-vn", currency="VND", uptime=uptime_3cx(),
                  application=ApplicationPolicy(mode="next_quarter", refund_days_on_termination=5))
    values.update(overrides)
    return Policy(**values)


def policy_hvn(**overrides) -> Policy:
    values = dict(name="hvn", currency="VND", uptime=uptime_hvn(),
                  application=ApplicationPolicy(mode="account_credit", claim_window_months=3))
    values.update(overrides)
    return Policy(**values)


def policy_1office(**overrides) -> Policy:
    values = dict(name="1office", currency="VND", outage_credit=OutagePolicy(), repeat_bug_fines=FinesPolicy(),
                  application=ApplicationPolicy(mode="license_extension"))
    values.update(overrides)
    return Policy(**values)


def policy_oneoffice_dk(**overrides) -> Policy:
    values = dict(name="oneoffice-dk", currency="DKK", support_billing=SupportPolicy(),
                  business_hours=BusinessHours())
    values.update(overrides)
    return Policy(**values)


VN_HOURS = BusinessHours(holidays="VN")


def ticket_policy(clock_starts: str = "opened", **priorities: Target) -> TicketPolicy:
    if not priorities:
        priorities = {
            "P1": Target(response="30m", resolution="4h", clock="calendar", breach_credit=D(100000)),
            "P4": Target(response="4h", resolution="2d", clock="business"),
        }
    return TicketPolicy(priorities=priorities, clock_starts=clock_starts)


# --- contracts and records ------------------------------------------------------------------------

def make_contract(policy: Policy, *, currency: str = "VND", timezone: str = HCM, fee: Decimal = D(20_000_000),
                  per: str = "month", starts_on: date = date(2026, 1, 1), ends_on: date | None = None,
                  support_agreement: str | None = None, delivery: str | None = None, id: str = "C-1") -> Contract:
    return Contract(id=id, currency=currency, timezone=timezone, fee=Fee(fee, per), starts_on=starts_on,
                    policy=policy, ends_on=ends_on, support_agreement=support_agreement, delivery=delivery)


def dk_contract(policy: Policy | None = None, **kw) -> Contract:
    kw.setdefault("currency", "DKK")
    kw.setdefault("timezone", CPH)
    kw.setdefault("fee", D(10000))
    return make_contract(policy or policy_oneoffice_dk(), **kw)


def incident(id: str, start: datetime, end: datetime | None, cause: str = "provider", severity: str = "major",
             notice: datetime | None = None) -> Incident:
    return Incident(id=id, started_at=start, ended_at=end, cause=cause, severity=severity, notice_given_at=notice)


def outage(id: str, start: datetime, seconds: int, cause: str = "provider", severity: str = "major") -> Incident:
    return incident(id, start, start + timedelta(seconds=seconds), cause, severity)


def bug(id: str, bug_id: str, when: datetime) -> BugOccurrence:
    return BugOccurrence(id=id, bug_id=bug_id, occurred_at=when)


def case(id: str, start: datetime, end: datetime, level: str = "1", km: Decimal = D(0)) -> SupportCase:
    return SupportCase(id=id, started_at=start, ended_at=end, level=level, km=km)


def ticket(id: str, priority: str, opened: datetime, *, confirmed: datetime | None = None,
           responded: datetime | None = None, resolved: datetime | None = None,
           pauses: tuple[tuple[datetime, datetime], ...] = ()) -> Ticket:
    return Ticket(id=id, priority=priority, opened_at=opened, confirmed_at=confirmed, first_response_at=responded,
                  resolved_at=resolved, pauses=tuple(Pause(a, b) for a, b in pauses))


def statement(contract: Contract, period: str | Period = "2026-09", *, as_of: datetime | None = None,
              incidents=(), bugs=(), cases=(), tickets=()) -> Statement:
    """Compute a statement; by default as of 10 days after the period ends (everything closed)."""
    if isinstance(period, str):
        period = month_period(period, contract.zone)
    if as_of is None:
        as_of = period.end + timedelta(days=10)
    return compute_statement(StatementRequest(contract=contract, period=period, as_of=as_of,
                                              incidents=tuple(incidents), bug_occurrences=tuple(bugs),
                                              support_cases=tuple(cases), tickets=tuple(tickets)))


def minor_units_ok(amount: Decimal, exponent: int) -> bool:
    """A rounded amount: a Decimal whose exponent is exactly minus the currency exponent."""
    return isinstance(amount, Decimal) and amount.as_tuple().exponent == -exponent


