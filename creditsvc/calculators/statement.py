"""One Statement for a contract and a period: every rule composed (rules.md §3-§10)."""
from __future__ import annotations

from dataclasses import field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from . import intervals
from .calendar import calendar_for
from .fines import FinesResult, repeat_bug_fines
from .frozen import frozen
from .money import AmountOverflow, decimal_str, exact, round_money, sum_money
from .outage import OutageResult, outage_credit
from .periods import Period, add_months, local_days, local_midnight, months_in
from .policy import BusinessHours, Policy, UptimePolicy
from .records import BugOccurrence, Contract, Incident, SupportCase, Ticket, epoch
from .support import SupportResult, bill_support
from .tickets import TicketsResult, ticket_targets
from .uptime import Exclusions, UptimeResult, split_downtime, uptime_credit

FEE_MONTHS = {"month": 1, "quarter": 3, "year": 12}
DEFAULT_CREDIT_CAP_PERCENT = UptimePolicy.__dataclass_fields__["credit_cap_percent"].default


@frozen
class StatementRequest:
    contract: Contract
    period: Period
    as_of: datetime
    incidents: tuple[Incident, ...] = ()
    bug_occurrences: tuple[BugOccurrence, ...] = ()
    support_cases: tuple[SupportCase, ...] = ()
    tickets: tuple[Ticket, ...] = ()


@frozen
class Line:
    kind: str  # uptime_credit | outage_credit | repeat_bug_fine | ticket_breach_credit
    description: str
    amount: Decimal


@frozen
class Application:
    mode: str
    apply_on: date | None
    cash_refund: bool
    refund_days_on_termination: int | None = None


@frozen
class Statement:
    contract_id: str
    period: Period
    currency: str
    status: str  # final | provisional
    period_fee: Decimal
    uptime: UptimeResult | None
    outage_credit: OutageResult | None
    repeat_bug_fines: FinesResult | None
    support: SupportResult | None
    tickets: TicketsResult | None
    credit_total: Decimal
    application: Application | None
    claim_deadline: date | None
    lines: tuple[Line, ...] = field(default=())


def monthly_fee(contract: Contract) -> Fraction:
    """rules.md §8: amount, amount / 3 or amount / 12."""
    return exact(contract.fee.amount) / FEE_MONTHS[contract.fee.per]


def service_window(contract: Contract, period: Period) -> list[tuple[int, int]]:
    """The part of the period inside the contract's term [starts_on, ends_on) (seed 001: time paid for)."""
    start = max(period.start_ts, epoch(local_midnight(contract.starts_on, contract.zone)))
    end = period.end_ts
    if contract.ends_on is not None:
        end = min(end, epoch(local_midnight(contract.ends_on, contract.zone)))
    return [(start, end)] if start < end else []


def period_fee(contract: Contract, period: Period, service: list[tuple[int, int]]) -> Fraction:
    """Monthly fee x service seconds / month seconds, month by month (pro rata, rules.md §8)."""
    fee = Fraction(0)
    for month in months_in(period, contract.zone):
        inside = intervals.length(intervals.clip(service, month.start_ts, month.end_ts))
        fee += monthly_fee(contract) * inside / month.seconds
    return fee


def daily_fee(contract: Contract, period: Period) -> Fraction:
    """The monthly fee / the days of the month the period starts in (rules.md §4), as the contract's
    zone lived them."""
    first = period.first_day
    return monthly_fee(contract) / local_days(first.year, first.month, contract.zone)


def exclusions_for(policy: Policy, *, outage: bool = False) -> Exclusions:
    """The uptime section's exclusions (§3). The outage rule uses the same ones (§4: "same exclusions
    as section 3"); only a policy without an uptime section (1office) takes its outage section's own."""
    causes, notice = frozenset(), Decimal(24)
    if policy.uptime is not None:
        causes, notice = policy.uptime.excluded_causes, policy.uptime.maintenance_notice_hours
    section = policy.outage_credit
    # 1office with an uptime section added by an override kept its template's outage list, and a
    # critical outage the uptime section excluded still earned an outage credit
    if outage and section is not None and policy.uptime is None:
        causes = section.excluded_causes if section.excluded_causes is not None else causes
        notice = section.maintenance_notice_hours if section.maintenance_notice_hours is not None else notice
    return Exclusions(causes, exact(notice) * 3600)


def application_for(policy: Policy, contract: Contract, period: Period) -> Application | None:
    """When and how the credit is applied (rules.md §10)."""
    app = policy.application
    if app is None:
        return None
    after = period.last_day + timedelta(days=1)
    if app.mode == "next_quarter":
        # seed 001: deducted from the payment for the next quarter
        quarter_first_month = (period.last_day.month - 1) // 3 * 3 + 1
        apply_on = add_months(date(period.last_day.year, quarter_first_month, 1), 3)
        if contract.ends_on is not None and contract.ends_on <= apply_on and app.refund_days_on_termination is not None:
            # No payment of a next quarter to deduct from: the term ends first. Seed 001: "chuyển hoàn
            # toàn bộ khoản bồi thường ... trong vòng 05 ngày, kể từ ngày chấm dứt hợp đồng" (the whole
            # credit is refunded within 5 days of the contract's end; rules.md §10, "on termination"),
            # and not before the period ends, when the credit is known: a fine on 28 September of a term
            # ended on the 20th is not refunded on the 25th.
            refunded = max(contract.ends_on, after) + timedelta(days=app.refund_days_on_termination)
            return Application(app.mode, refunded, True, app.refund_days_on_termination)
    elif app.mode in ("license_extension", "renewal_deduction"):
        apply_on = contract.ends_on  # seed 000: at the licence end / on the renewal contract
    else:
        apply_on = after
    return Application(app.mode, apply_on, app.cash_refund, app.refund_days_on_termination)


def claim_deadline(policy: Policy, period: Period) -> date | None:
    """seed 002: claims within 3 months; the last day a claim is accepted."""
    if policy.application is None or policy.application.claim_window_months is None:
        return None
    return add_months(period.last_day + timedelta(days=1), policy.application.claim_window_months) - timedelta(days=1)


def _credit_total(lines: list[Line], currency: str) -> Decimal:
    try:
        return sum_money((line.amount for line in lines), currency)
    except AmountOverflow:
        # Every other credit is bounded by the fee (< 10^15); only fines grow without bound (§5).
        raise AmountOverflow("The credits add up to more than can be stored (NUMERIC(38, 4)).",
                             field="bug_occurrences") from None


def _in_period(moment: datetime, period: Period) -> bool:
    return period.start_ts <= epoch(moment) < period.end_ts


def compute_statement(request: StatementRequest) -> Statement:
    contract, period, policy = request.contract, request.period, request.contract.policy
    currency = contract.currency
    as_of = epoch(request.as_of)
    service = service_window(contract, period)
    service_seconds = intervals.length(service)
    fee = period_fee(contract, period, service)
    exclusions = exclusions_for(policy)
    downtime, excluded = split_downtime(request.incidents, exclusions, service, as_of)
    calendar = calendar_for(policy.business_hours or BusinessHours(), contract.timezone)

    uptime = None
    if policy.uptime is not None:
        uptime = uptime_credit(policy.uptime, downtime, excluded, service_seconds, fee, period.last_day, currency)
    # §3: credit_cap_percent (default 100) caps uptime + outage credits together. A policy without an
    # uptime section (1office) has no field to set it, so its outage credit is capped at the default.
    cap_percent = policy.uptime.credit_cap_percent if policy.uptime is not None else DEFAULT_CREDIT_CAP_PERCENT
    cap = round_money(exact(cap_percent) / 100 * fee, currency)
    allowance = exact(cap) - (exact(uptime.credit_amount) if uptime is not None else 0)

    outage = None
    if policy.outage_credit is not None:
        delivery = contract.delivery or policy.outage_credit.delivery
        outage_exclusions = exclusions_for(policy, outage=True)
        if outage_exclusions != exclusions:
            excluded = split_downtime(request.incidents, outage_exclusions, service, as_of)[1]
        outage = outage_credit(policy.outage_credit, list(request.incidents), outage_exclusions, service, excluded, as_of,
                               daily_fee(contract, period), delivery, currency, allowance)

    fines = None
    if policy.repeat_bug_fines is not None:
        fines = repeat_bug_fines(policy.repeat_bug_fines, list(request.bug_occurrences),
                                 period.start_ts, period.end_ts, currency)

    support = None
    if policy.support_billing is not None:
        cases = [c for c in request.support_cases if _in_period(c.started_at, period)]
        support = bill_support(policy.support_billing, cases, calendar, contract.support_agreement, currency)

    tickets = None
    if policy.ticket_targets is not None:
        opened = [t for t in request.tickets if _in_period(t.opened_at, period)]
        tickets = ticket_targets(policy.ticket_targets, opened, as_of, calendar, currency)

    lines = credit_lines(uptime, outage, fines, tickets)
    open_incident = any(i.ended_at is None and epoch(i.started_at) < period.end_ts for i in request.incidents)
    return Statement(
        contract_id=contract.id,
        period=period,
        currency=currency,
        status="provisional" if open_incident else "final",
        period_fee=round_money(fee, currency),
        uptime=uptime,
        outage_credit=outage,
        repeat_bug_fines=fines,
        support=support,
        tickets=tickets,
        credit_total=_credit_total(lines, currency),
        application=application_for(policy, contract, period),
        claim_deadline=claim_deadline(policy, period),
        lines=tuple(lines),
    )


def credit_lines(uptime: UptimeResult | None, outage: OutageResult | None, fines: FinesResult | None,
                 tickets: TicketsResult | None) -> list[Line]:
    """The credits the statement grants, one line each; support charges are billed separately."""
    lines = []
    if uptime is not None and uptime.credit_amount:
        # the percentages as the statement's own fields show them: a policy's 99.8 written "99.80" said 99.80 %
        lines.append(Line("uptime_credit", f"Uptime below {decimal_str(uptime.commitment_percent)} %: "
                                           f"{decimal_str(uptime.credit_percent)} % of the period fee",
                          uptime.credit_amount))
    if outage is not None and outage.credit_amount:
        # a billing system copies the line as it is: "1 block", "1 day", never "1 days"
        blocks = f"{outage.blocks} block{'' if outage.blocks == 1 else 's'}"
        days = f"{decimal_str(outage.credit_days)} day{'' if outage.credit_days == 1 else 's'}"
        # capped: the days are what the cap leaves, not the blocks' ("6 blocks, 2.9032 days" read as an error)
        capped = " (capped)" if outage.capped else ""
        lines.append(Line("outage_credit", f"Critical outage: {blocks}, {days}{capped}", outage.credit_amount))
    for fine in fines.items if fines is not None else ():
        if fine.amount:
            lines.append(Line("repeat_bug_fine", f"Bug {fine.bug_id}, occurrence {fine.occurrence}", fine.amount))
    for item in tickets.items if tickets is not None else ():
        if item.breach_credit:
            lines.append(Line("ticket_breach_credit", f"Ticket {item.ticket_id} ({item.priority}) breached target",
                              item.breach_credit))
    return lines
