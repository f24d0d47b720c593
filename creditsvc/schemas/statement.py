"""The statement of api.md, dumped from the calculators' Statement: amounts and percentages as strings."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from marshmallow import Schema, fields

from ..calculators.money import truncate
from .compiled import compile_dump
from .fields import Amount, StrictDecimal, Timestamp


class Money(Amount):
    """A rounded amount: major units with exactly the currency's digits ("500000", "800.00")."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"type": "string", **kwargs.get("metadata", {})}  # StrictDecimal's pattern
        super().__init__(**kwargs)


class PercentString(StrictDecimal):
    def __init__(self, **kwargs):
        kwargs["metadata"] = {"type": "string", "pattern": r"^\d+(\.\d+)?$", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)


class UptimePercent(fields.Field):
    """The exact uptime truncated to 4 decimals, so it never shows a band it is not in (rules.md §1)."""

    def _serialize(self, value: Fraction, attr, obj, **kwargs):
        return format(truncate(value, 4), "f")


class LocalTimestamp(fields.Field):
    """A period boundary with the contract zone's offset (local midnight)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat()


class PeriodSchema(Schema):
    label = fields.String()
    start = LocalTimestamp(metadata={"type": "string", "format": "date-time"})
    end = LocalTimestamp(metadata={"type": "string", "format": "date-time"})


class UptimeSchema(Schema):
    service_seconds = fields.Integer()
    downtime_seconds = fields.Integer()
    excluded_seconds = fields.Integer()
    uptime_percent = UptimePercent(attribute="uptime", metadata={"type": "string", "example": "99.6527"})
    commitment_percent = PercentString()
    band_from_percent = PercentString(allow_none=True,
                                      metadata={"description": "The band uptime fell in: [from, to)"})
    band_to_percent = PercentString(allow_none=True)
    credit_percent = PercentString()
    credit_amount = Money()
    termination_right = fields.Boolean()
    termination_notice_deadline = fields.Date(allow_none=True)
    capped = fields.Boolean(metadata={"description": "credit_cap_percent, not credit_percent of the fee, set the amount"})


class OutageSchema(Schema):
    downtime_seconds = fields.Integer()
    blocks = fields.Integer()
    credit_days = PercentString()
    credit_amount = Money()
    delivery = fields.String()
    capped = fields.Boolean()


class FineSchema(Schema):
    bug_id = fields.String()
    occurrence = fields.Integer()
    occurred_at = Timestamp(metadata={"type": "string", "format": "date-time"})
    amount = Money()


class FinesSchema(Schema):
    items = fields.List(fields.Nested(FineSchema))
    total = Money()


class SupportLineSchema(Schema):
    case_id = fields.String()
    kind = fields.String(metadata={"enum": ["business_hours", "after_hours", "mileage"]})
    seconds = fields.Integer()
    km = PercentString(allow_none=True)
    rate = Money()
    amount = Money()
    level = fields.String()
    description = fields.String()
    started_at = Timestamp(metadata={"type": "string", "format": "date-time"})
    ended_at = Timestamp(metadata={"type": "string", "format": "date-time"})


class SupportSchema(Schema):
    lines = fields.List(fields.Nested(SupportLineSchema))
    subtotal = Money()
    vat_percent = PercentString()
    vat_amount = Money()
    total = Money()


class TargetResultSchema(Schema):
    target_seconds = fields.Integer()
    elapsed_seconds = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["met", "breached", "pending"]})


class TicketItemSchema(Schema):
    ticket_id = fields.String()
    priority = fields.String()
    response = fields.Nested(TargetResultSchema, allow_none=True)
    resolution = fields.Nested(TargetResultSchema, allow_none=True)
    breached = fields.Boolean()
    breach_credit = Money(allow_none=True)


class TicketsSchema(Schema):
    items = fields.List(fields.Nested(TicketItemSchema))
    compliance = fields.Dict(keys=fields.String(), values=PercentString(allow_none=True))
    breach_credit_total = Money()


class ApplicationSchema(Schema):
    mode = fields.String()
    apply_on = fields.Date(allow_none=True)
    cash_refund = fields.Boolean()
    refund_days_on_termination = fields.Integer(allow_none=True)


class LineSchema(Schema):
    kind = fields.String(metadata={"enum": ["uptime_credit", "outage_credit", "repeat_bug_fine",
                                            "ticket_breach_credit"]})
    description = fields.String()
    amount = Money()


class StatementSchema(Schema):
    contract_id = fields.String()
    period = fields.Nested(PeriodSchema)
    currency = fields.String()
    status = fields.String(metadata={"enum": ["final", "provisional"]})
    period_fee = Money()
    uptime = fields.Nested(UptimeSchema, allow_none=True)
    outage_credit = fields.Nested(OutageSchema, allow_none=True)
    repeat_bug_fines = fields.Nested(FinesSchema, allow_none=True)
    support = fields.Nested(SupportSchema, allow_none=True)
    tickets = fields.Nested(TicketsSchema, allow_none=True)
    credit_total = Money()
    application = fields.Nested(ApplicationSchema, allow_none=True)
    claim_deadline = fields.Date(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))


def credit_application(statement: dict[str, Any]) -> dict[str, Decimal]:
    """How a statement's (JSON) credit total is applied: renewal deduction, licence-extension days and
    what the policy's mode credits otherwise. The renewal summary and the documents both read this.

    seed 000: outage credits become licence days or a deduction at renewal, as delivered; other
    credits (fines, uptime, breach credits) are money, deducted at renewal when the policy applies
    credits at renewal, and otherwise already applied by the policy's mode (next quarter, account).
    """
    deduction, days, elsewhere = Decimal(0), Decimal(0), Decimal(0)
    mode = (statement.get("application") or {}).get("mode")
    for line in statement["lines"]:
        amount = Decimal(line["amount"])
        if line["kind"] == "outage_credit" and statement["outage_credit"]["delivery"] == "license_extension":
            days += Decimal(statement["outage_credit"]["credit_days"])
        elif line["kind"] == "outage_credit" or mode in ("renewal_deduction", "license_extension"):
            deduction += amount
        else:
            elsewhere += amount
    return {"renewal_deduction": deduction, "license_extension_days": days, "credited_otherwise": elsewhere}


dump_statement = compile_dump(StatementSchema())
"""A Statement as api.md's statement JSON: `StatementSchema().dump`, compiled (schemas/compiled.py)."""


class CreditNoteSchema(StatementSchema):
    number = fields.String(metadata={"example": "CN-2026-000001"})
    issued_at = fields.String(metadata={"format": "date-time"})
    status = fields.String(metadata={"enum": ["issued", "void"]})
    supersedes = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)
    policy_version = fields.String()


class CreditNoteSummarySchema(Schema):
    number = fields.String(metadata={"example": "CN-2026-000001"})
    period = fields.String(metadata={"example": "2026-09"})
    status = fields.String(metadata={"enum": ["issued", "void"]})
    issued_at = fields.String(metadata={"format": "date-time"})
    currency = fields.String()
    credit_total = fields.String()
    supersedes = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)


class CreditNoteListSchema(Schema):
    items = fields.List(fields.Nested(CreditNoteSummarySchema), metadata={
        "description": "In issue order (by number), void notes too"})


class RenewalNoteSchema(Schema):
    number = fields.String()
    period = fields.String()
    credit_total = fields.String()
    renewal_deduction = fields.String()
    license_extension_days = fields.String()
    credited_otherwise = fields.String(metadata={"description": "Credits applied by the policy's mode instead"})
    application_mode = fields.String(allow_none=True)
    cash_refund = fields.Boolean(metadata={
        "description": "Paid back in cash (a next-quarter credit of a term that ends first), not deducted"})


class TerminationRightSchema(Schema):
    period = fields.String()
    credit_note = fields.String()
    notice_deadline = fields.Date()


class RenewalSummarySchema(Schema):
    contract_id = fields.String()
    currency = fields.String()
    ends_on = fields.Date(allow_none=True)
    license_extension_days = fields.String()
    license_ends_on = fields.Date(allow_none=True)
    renewal_deduction_total = fields.String()
    credited_otherwise_total = fields.String()
    credit_notes = fields.List(fields.Nested(RenewalNoteSchema))
    termination_rights = fields.List(fields.Nested(TerminationRightSchema))
