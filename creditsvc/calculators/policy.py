"""The policy a contract is computed under (rules.md §9), as frozen dataclasses.

Defaults here are the ones rules.md states. A section that is None computes nothing. Loading and
validating policies from data lives in `creditsvc.policies`; these types only hold checked values.
"""
from __future__ import annotations

from dataclasses import field
from datetime import date, time
from decimal import Decimal

from .frozen import frozen

CAUSES = ("provider", "maintenance", "force_majeure", "third_party", "isp", "customer")
SEVERITIES = ("critical", "major", "minor")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AGREEMENT_TIERS = ("GOD", "BEDRE", "BEDST")
APPLICATION_MODES = ("next_invoice", "next_quarter", "account_credit", "license_extension", "renewal_deduction")
DELIVERIES = ("license_extension", "renewal_deduction")


@frozen
class Band:
    from_percent: Decimal
    credit_percent: Decimal
    termination_right: bool = False


@frozen
class UptimePolicy:
    commitment_percent: Decimal
    bands: tuple[Band, ...]
    excluded_causes: frozenset[str] = frozenset()
    maintenance_notice_hours: Decimal = Decimal(24)  # seed 002: maintenance announced >= 24 h ahead
    credit_cap_percent: Decimal = Decimal(100)
    termination_notice_days: int = 30  # seed 001: notice within 30 days of the month's last day


@frozen
class OutagePolicy:
    severity: str = "critical"
    block_hours: Decimal = Decimal(2)  # seed 000: each 2 hours of stoppage ...
    days_per_block: Decimal = Decimal("0.5")  # ... is half a day of subscription fee
    rounding: str = "completed"  # completed blocks (floor) or started blocks (ceil)
    scope: str = "period"  # sum over the period, or per incident
    delivery: str = "license_extension"
    # Not in rules.md §9: exclusions for policies without an uptime section (None: use the uptime
    # section's, or count every cause but announced maintenance when that is excluded there).
    excluded_causes: frozenset[str] | None = None
    maintenance_notice_hours: Decimal | None = None


@frozen
class FinesPolicy:
    base_amount: Decimal = Decimal(500000)  # seed 000: 500,000 VND at the 2nd time
    multiplier: Decimal = Decimal(2)  # seed 000: double for each next time
    first_fined_occurrence: int = 2
    max_fine: Decimal | None = None


@frozen
class SupportPolicy:
    rates: dict[str, Decimal] = field(default_factory=lambda: {"1": Decimal(800), "2": Decimal(1095)})
    minimum_minutes: int = 15
    free_minutes_with_agreement: int = 15
    agreement_discounts: dict[str, Decimal] = field(
        default_factory=lambda: {tier: Decimal(0) for tier in AGREEMENT_TIERS}
    )
    after_hours_surcharge_percent: Decimal = Decimal(100)
    mileage_rate: Decimal = Decimal("3.52")
    vat_percent: Decimal = Decimal(25)


@frozen
class BusinessHours:
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 ... Sunday=6
    start: time = time(8, 0)
    end: time = time(16, 0)
    holidays: str | None = "DK"
    extra_closed_dates: frozenset[date] = frozenset()


@frozen
class Target:
    response: str | None = None  # "30m", "4h", "2d"
    resolution: str | None = None
    clock: str = "calendar"  # calendar (24/7) or business
    breach_credit: Decimal | None = None


@frozen
class TicketPolicy:
    priorities: dict[str, Target]
    clock_starts: str = "opened"  # opened or confirmed (seed 000 counts from confirmation)


@frozen
class ApplicationPolicy:
    mode: str = "next_invoice"
    cash_refund: bool = False
    claim_window_months: int | None = None
    refund_days_on_termination: int | None = None


@frozen
class Policy:
    name: str
    currency: str | None = None
    uptime: UptimePolicy | None = None
    outage_credit: OutagePolicy | None = None
    repeat_bug_fines: FinesPolicy | None = None
    support_billing: SupportPolicy | None = None
    business_hours: BusinessHours | None = None
    ticket_targets: TicketPolicy | None = None
    application: ApplicationPolicy | None = None
