"""Downtime, uptime %, the band credit and the termination right (rules.md §3; seeds 001, 002)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from . import intervals
from .frozen import frozen
from .intervals import Interval
from .money import exact, round_money
from .policy import Band, UptimePolicy
from .records import Incident, epoch


@frozen
class Exclusions:
    """Which causes do not count as downtime, and how much notice makes maintenance announced."""

    excluded_causes: frozenset[str]
    maintenance_notice_seconds: Fraction

    def counts(self, incident: Incident) -> bool:
        if incident.cause == "provider":
            return True
        if incident.cause == "maintenance":
            # seed 002: only maintenance announced >= 24 h ahead may be left out
            notice = incident.notice_given_at
            if notice is None or epoch(incident.started_at) - epoch(notice) < self.maintenance_notice_seconds:
                return True
        return incident.cause not in self.excluded_causes


def incident_interval(incident: Incident, as_of: int) -> Interval:
    """An open incident lasts until `as_of` (rules.md §3)."""
    start = epoch(incident.started_at)
    end = epoch(incident.ended_at) if incident.ended_at is not None else max(start, as_of)
    return (start, end)


def split_downtime(
    incidents: Iterable[Incident], exclusions: Exclusions, service: list[Interval], as_of: int
) -> tuple[list[Interval], list[Interval]]:
    """(counted downtime, excluded time) inside the service time, as unions.

    Counted time covered by excluded time is not downtime; overlaps are never counted twice.
    """
    counted, excluded = [], []
    for incident in incidents:
        (counted if exclusions.counts(incident) else excluded).append(incident_interval(incident, as_of))
    excluded_union = intervals.intersect(intervals.union(excluded), service)
    downtime = intervals.subtract(intervals.intersect(intervals.union(counted), service), excluded_union)
    return downtime, excluded_union


@frozen
class UptimeResult:
    service_seconds: int
    downtime_seconds: int
    excluded_seconds: int
    uptime: Fraction  # exact percent
    commitment_percent: Decimal
    band: Band | None
    band_to_percent: Decimal | None  # the band is [band.from_percent, band_to_percent)
    credit_percent: Decimal
    credit_amount: Decimal
    termination_right: bool
    termination_notice_deadline: date | None
    capped: bool = False  # the credit cap, not credit_percent of the fee, set the amount

    @property
    def band_from_percent(self) -> Decimal | None:
        return self.band.from_percent if self.band else None


def select_band(uptime: Fraction, policy: UptimePolicy) -> Band | None:
    """The band with the largest from_percent <= uptime; none at or above the commitment.

    Compared on the exact rational value, never on a displayed one (rules.md §1).
    """
    if uptime >= exact(policy.commitment_percent):
        return None
    chosen = None
    for band in policy.bands:
        if exact(band.from_percent) <= uptime and (chosen is None or band.from_percent > chosen.from_percent):
            chosen = band
    return chosen


def uptime_credit(
    policy: UptimePolicy,
    downtime: list[Interval],
    excluded: list[Interval],
    service_seconds: int,
    period_fee: Fraction,
    last_day: date,
    currency: str,
) -> UptimeResult:
    downtime_seconds = intervals.length(downtime)
    if service_seconds:
        uptime = Fraction(100 * (service_seconds - downtime_seconds), service_seconds)
    else:
        uptime = Fraction(100)
    band = select_band(uptime, policy)
    band_to = None
    if band is not None:
        band_to = min((b.from_percent for b in policy.bands if b.from_percent > band.from_percent),
                      default=policy.commitment_percent)
    credit_percent = band.credit_percent if band else Decimal(0)
    cap = exact(policy.credit_cap_percent) / 100 * period_fee
    uncapped = exact(credit_percent) / 100 * period_fee
    amount = min(uncapped, cap)
    termination = bool(band and band.termination_right)
    return UptimeResult(
        service_seconds=service_seconds,
        downtime_seconds=downtime_seconds,
        excluded_seconds=intervals.length(excluded),
        uptime=uptime,
        commitment_percent=policy.commitment_percent,
        band=band,
        band_to_percent=band_to,
        credit_percent=credit_percent,
        credit_amount=round_money(amount, currency),
        termination_right=termination,
        # seed 001: notice no later than 30 days from the last day of the month concerned
        termination_notice_deadline=last_day + timedelta(days=policy.termination_notice_days) if termination else None,
        capped=uncapped > cap,
    )
