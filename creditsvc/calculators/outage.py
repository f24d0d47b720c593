"""The critical-outage credit: half a day of subscription per 2 hours of stoppage (rules.md §4; seed 000)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import Decimal
from fractions import Fraction

from . import intervals
from .frozen import frozen
from .intervals import Interval
from .money import exact, round_money, to_decimal, truncate
from .policy import OutagePolicy
from .records import Incident
from .uptime import Exclusions, incident_interval


@frozen
class OutageResult:
    downtime_seconds: int
    blocks: int
    credit_days: Decimal
    credit_amount: Decimal
    delivery: str
    capped: bool = False


def _blocks(seconds: int, policy: OutagePolicy) -> int:
    blocks = Fraction(seconds) / (exact(policy.block_hours) * 3600)
    if policy.rounding == "started":
        return -((-blocks.numerator) // blocks.denominator)
    return blocks.numerator // blocks.denominator


def outage_credit(
    policy: OutagePolicy,
    incidents: list[Incident],
    exclusions: Exclusions,
    service: list[Interval],
    excluded: list[Interval],
    as_of: int,
    daily_fee: Fraction,
    delivery: str,
    currency: str,
    allowance: Fraction | None = None,
) -> OutageResult:
    """`excluded` is the excluded time of the period (any severity); `allowance` what the credit cap
    leaves after the uptime credit, in whole minor units (None: no cap)."""
    critical = [i for i in incidents if i.severity == policy.severity and exclusions.counts(i)]

    def counted_seconds(union: list[Interval]) -> int:
        return intervals.length(intervals.subtract(intervals.intersect(union, service), excluded))

    def counted_seconds_between(start: int, end: int) -> int:
        """counted_seconds([(start, end)]), subtracting only the excluded intervals that reach into it
        (found by bisection in the sorted union): per incident, a walk over all of them made 5,000
        critical and 5,000 excluded reports a 30-second request."""
        near = excluded[bisect_right(excluded, start, key=lambda span: span[1]):
                        bisect_left(excluded, end, key=lambda span: span[0])]
        return intervals.length(intervals.subtract(intervals.clip(service, start, end), near))

    if policy.scope == "incident" and policy.rounding == "started":
        # Started blocks: each second of stoppage belongs to the earliest incident covering it, so
        # overlapping reports are never counted twice (rules.md §3). Splitting an outage between its
        # reports can only start more blocks; a report that starts first and covers two separate
        # incidents still takes them into one (rules.md does not say which is meant).
        # In start order, the earlier incidents cover exactly [start, reach) of a later one's time.
        per_incident, reach = [], None  # reach: the latest end of the incidents so far
        for (start, end), _id in sorted((incident_interval(i, as_of), i.id) for i in critical):
            per_incident.append(counted_seconds_between(start if reach is None else max(start, reach), end))
            reach = end if reach is None else max(reach, end)
        downtime = sum(per_incident)
        blocks = sum(_blocks(seconds, policy) for seconds in per_incident)
    elif policy.scope == "incident":
        # Completed blocks: reports that overlap are one outage, rounded once (rules.md §3). Split
        # between its reports, an outage would lose its partial blocks, so a second report of the
        # same stoppage could lower the credit.
        # Reports that only touch (one ends as the next starts) stay two outages.
        outages = intervals.union((incident_interval(i, as_of) for i in critical), touching=False)
        per_outage = [counted_seconds_between(*outage) for outage in outages]
        downtime = sum(per_outage)
        blocks = sum(_blocks(seconds, policy) for seconds in per_outage)
    else:
        downtime = counted_seconds(intervals.union(incident_interval(i, as_of) for i in critical))
        blocks = _blocks(downtime, policy)

    days = blocks * exact(policy.days_per_block)
    amount = round_money(days * daily_fee, currency)
    capped = allowance is not None and exact(amount) > allowance
    if capped:
        # The cap limits uptime + outage together (rules.md §3): the outage credit takes what the
        # uptime credit leaves, and its days are that amount in days of fee, truncated to 4 decimals.
        amount = round_money(max(Fraction(0), allowance), currency)
        days = exact(truncate(exact(amount) / daily_fee, 4)) if daily_fee else Fraction(0)
    return OutageResult(
        downtime_seconds=downtime,
        blocks=blocks,
        credit_days=to_decimal(days),
        credit_amount=amount,
        delivery=delivery,
        capped=capped,
    )
