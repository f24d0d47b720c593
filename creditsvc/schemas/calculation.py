"""The calculation request of api.md: contract + records + period in, a StatementRequest out."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, post_load, validate

from .. import clock
from ..calculators.errors import DomainError
from ..calculators.periods import explicit_period, month_period
from ..calculators.statement import StatementRequest
from .compiled import CompiledLoad
from .contract import ContractSchema, contract_from
from .fields import MONTH, MONTH_PATTERN, TIMESTAMP_REF, Timestamp
from .records import RECORD_SCHEMAS

MAX_RECORDS = 10_000  # per list in one request
MAX_EXPLICIT_PERIOD = timedelta(days=731)


class PeriodRangeSchema(Schema):
    start = Timestamp(required=True)
    end = Timestamp(required=True)


class PeriodField(fields.Field):
    """`"2026-09"` (a calendar month in the contract's zone) or `{"start": ..., "end": ...}`."""

    def _deserialize(self, value, attr, data, **kwargs) -> Any:
        if isinstance(value, str):
            if not MONTH.regex.fullmatch(value):
                raise ValidationError("A period is YYYY-MM or {start, end}.")
            return MONTH(value)
        if isinstance(value, dict):
            span = PeriodRangeSchema().load(value)
            if span["end"] <= span["start"]:
                raise ValidationError({"end": ["The period must end after it starts."]})
            if span["end"] - span["start"] > MAX_EXPLICIT_PERIOD:
                raise ValidationError({"end": ["An explicit period spans at most 731 days."]})
            return span
        raise ValidationError("A period is YYYY-MM or {start, end}.")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def period_of(value: Any, zone: ZoneInfo):
    if isinstance(value, str):
        return month_period(value, zone)
    return explicit_period(value["start"], value["end"], zone)


def _record_list(name: str) -> fields.List:
    return fields.List(fields.Nested(RECORD_SCHEMAS[name]), load_default=list,
                       validate=validate.Length(max=MAX_RECORDS))


def check_records(contract, lists: dict[str, list]) -> dict[str, list[str]]:
    """Checks that need the contract: unique ids per list, priorities the policy defines."""
    errors: dict[str, list[str]] = {}
    for name, items in lists.items():
        seen = set()
        for index, item in enumerate(items):
            if item.id in seen:
                errors[f"{name}.{index}.id"] = [f"Duplicate id {item.id!r} in {name}."]
            seen.add(item.id)
    targets = contract.policy.ticket_targets
    for index, ticket in enumerate(lists.get("tickets", [])):
        if targets is not None and ticket.priority not in targets.priorities:
            errors[f"tickets.{index}.priority"] = [
                f"Unknown priority {ticket.priority!r}; the policy defines {', '.join(targets.priorities)}."]
    return errors


class CalculationRequestSchema(CompiledLoad, Schema):
    contract = fields.Nested(ContractSchema, required=True)
    period = PeriodField(required=True, metadata={
        "oneOf": [{"type": "string", "pattern": MONTH_PATTERN},
                  {"type": "object", "properties": {"start": TIMESTAMP_REF, "end": TIMESTAMP_REF},
                   "required": ["start", "end"], "additionalProperties": False,
                   "description": "end after start, at most 731 days apart"}]})
    as_of = Timestamp(load_default=None)
    incidents = _record_list("incidents")
    bug_occurrences = _record_list("bug_occurrences")
    support_cases = _record_list("support_cases")
    tickets = _record_list("tickets")

    @post_load
    def make(self, data, **kwargs) -> StatementRequest:
        contract = contract_from(data["contract"])
        lists = {name: data[name] for name in RECORD_SCHEMAS}
        errors = check_records(contract, lists)
        if errors:
            raise ValidationError(errors)
        try:
            period = period_of(data["period"], contract.zone)
        except DomainError as error:
            raise ValidationError({"period": [error.message]}) from None
        return StatementRequest(
            contract=contract,
            period=period,
            as_of=data["as_of"] or clock.now(),
            **{name: tuple(items) for name, items in lists.items()},
        )
