"""Wire schemas for the records a statement reads: incidents, bug occurrences, support cases, tickets."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..calculators import records
from ..calculators.policy import CAUSES, SEVERITIES
from .fields import Pattern, StoredDecimal, StrictDecimal, Timestamp

RECORD_ID = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                            error="Ids are 1-100 characters: letters, digits, . _ : - (not first).")
MAX_CASE_LENGTH = timedelta(days=366)


def _not_before(data: dict, later: str, earlier: str) -> None:
    if data.get(later) is not None and data.get(earlier) is not None and data[later] < data[earlier]:
        raise ValidationError(f"{later} must not be before {earlier}.", later)


class RecordSchema(Schema):
    id = fields.String(required=True, validate=RECORD_ID)


class IncidentSchema(RecordSchema):
    started_at = Timestamp(required=True)
    ended_at = Timestamp(allow_none=True, load_default=None)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    cause = fields.String(required=True, validate=validate.OneOf(CAUSES))
    notice_given_at = Timestamp(allow_none=True, load_default=None)
    description = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        _not_before(data, "ended_at", "started_at")

    @post_load
    def make(self, data, **kwargs):
        return records.Incident(**data)


class BugOccurrenceSchema(RecordSchema):
    bug_id = fields.String(required=True, validate=RECORD_ID)
    occurred_at = Timestamp(required=True)
    ticket_ref = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))

    @post_load
    def make(self, data, **kwargs):
        return records.BugOccurrence(**data)


class Level(fields.Field):
    """Support level 1 or 2, as a number or a string. A number is read as StrictInteger reads one
    (2.0 is 2): str() took 1e0 as 1 and refused 1.0."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, Decimal) and value in (1, 2):
            value = int(value)
        if type(value) is int and value in (1, 2) or value in ("1", "2"):
            return str(value)
        raise ValidationError("Must be one of: 1, 2.")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(value)


KM_METADATA = {"default": "0", "description": "Kilometres driven; omitted or null is 0"}


class SupportCaseSchema(RecordSchema):
    started_at = Timestamp(required=True)
    ended_at = Timestamp(required=True)
    level = Level(required=True, metadata={"type": ["integer", "string"], "enum": [1, 2, "1", "2"]})
    # omitted or null: no driving, stored and echoed as "0" (the spec said null)
    km = StrictDecimal(minimum=0, maximum=100000, places=2, load_default=None,
                       metadata=KM_METADATA)
    description = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def sensible_times(self, data, **kwargs):
        _not_before(data, "ended_at", "started_at")
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] - data["started_at"] > MAX_CASE_LENGTH:
            raise ValidationError("A support case lasts at most 366 days.", "ended_at")

    @post_load
    def make(self, data, **kwargs):
        if data["km"] is None:
            data.pop("km")
        return records.SupportCase(**data)


class PauseSchema(Schema):
    start = Timestamp(required=True)
    end = Timestamp(required=True)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        _not_before(data, "end", "start")

    @post_load
    def make(self, data, **kwargs):
        return records.Pause(**data)


class TicketSchema(RecordSchema):
    priority = fields.String(required=True, validate=validate.Length(min=1, max=32))
    opened_at = Timestamp(required=True)
    confirmed_at = Timestamp(allow_none=True, load_default=None)
    first_response_at = Timestamp(allow_none=True, load_default=None)
    resolved_at = Timestamp(allow_none=True, load_default=None)
    pauses = fields.List(fields.Nested(PauseSchema), load_default=list, validate=validate.Length(max=100))

    @validates_schema
    def times_in_order(self, data, **kwargs):
        for later in ("confirmed_at", "first_response_at", "resolved_at"):
            _not_before(data, later, "opened_at")
        for index, pause in enumerate(data.get("pauses") or []):
            if data.get("opened_at") and pause.start < data["opened_at"]:
                raise ValidationError({"pauses": {index: {"start": ["A pause cannot start before opened_at."]}}})

    @post_load
    def make(self, data, **kwargs):
        data["pauses"] = tuple(data["pauses"])
        return records.Ticket(**data)


RECORD_SCHEMAS = {
    "incidents": IncidentSchema,
    "bug_occurrences": BugOccurrenceSchema,
    "support_cases": SupportCaseSchema,
    "tickets": TicketSchema,
}


class SupportCaseAsStoredSchema(SupportCaseSchema):
    """A support case as a release before decimals had to match the spec's pattern read it (km " 12",
    "+12", "12."): only for telling whether a case sent again is one stored then (api/contracts.py)."""

    km = StoredDecimal(minimum=0, maximum=100000, places=2, load_default=None, metadata=KM_METADATA)


# The record kinds that held a field read more leniently before: the others' rules did not change.
RECORD_SCHEMAS_AS_STORED = {"support_cases": SupportCaseAsStoredSchema}
