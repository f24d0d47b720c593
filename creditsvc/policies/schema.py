"""The policy document of rules.md §9 as marshmallow schemas that load into calculator dataclasses.

Unknown keys are refused, defaults are the ones rules.md states, and errors name the field.
"""
from __future__ import annotations

import re
from datetime import time

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..calculators import policy as model
from ..calculators.money import CURRENCY_EXPONENTS
from ..calculators.tickets import parse_duration
from ..calculators.errors import DomainError
from ..schemas.fields import Amount, Day, Pattern, Percent, StrictBoolean, StrictDecimal, StrictInteger

NOT_PROVIDER = [cause for cause in model.CAUSES if cause != "provider"]
SUPPORTED_HOLIDAY_COUNTRIES = ("DK", "VN", "SE", "NO", "DE", "GB", "US", "FI", "NL", "FR")


_CLOCK = re.compile(r"[0-9]{2}:[0-9]{2}").fullmatch


class ClockTime(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> time:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            # ASCII digits only: int() also read "+8", " 8" and "٠٨" as 8
            if _CLOCK(text) is None:
                raise ValueError
            return time(int(text[:2]), int(text[3:]))
        except ValueError:
            raise ValidationError("A time of day is written HH:MM, e.g. 08:00.") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")


class Duration(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_duration(text)
        except DomainError as error:
            raise ValidationError(error.message) from None
        return text


class BandSchema(Schema):
    from_percent = Percent(required=True)
    credit_percent = Percent(required=True)
    termination_right = StrictBoolean(load_default=False)

    @post_load
    def make(self, data, **kwargs):
        return model.Band(**data)


class UptimeSchema(Schema):
    commitment_percent = Percent(required=True)
    bands = fields.List(fields.Nested(BandSchema), required=True, validate=validate.Length(min=1, max=50))
    excluded_causes = fields.List(fields.String(validate=validate.OneOf(NOT_PROVIDER)), load_default=list)
    maintenance_notice_hours = StrictDecimal(minimum=0, maximum=8760, places=4, load_default=None)
    credit_cap_percent = Percent(load_default=None)
    termination_notice_days = StrictInteger(validate=validate.Range(0, 3650), load_default=None)

    @validates_schema
    def bands_below_commitment(self, data, **kwargs):
        bands = data.get("bands") or []
        edges = [band.from_percent for band in bands]
        if len(set(edges)) != len(edges):
            raise ValidationError("Two bands start at the same percentage.", "bands")
        if edges and min(edges) != 0:
            raise ValidationError("The lowest band must start at 0 so every uptime falls in a band.", "bands")
        if "commitment_percent" in data and any(edge >= data["commitment_percent"] for edge in edges):
            raise ValidationError("Every band must start below commitment_percent.", "bands")

    @post_load
    def make(self, data, **kwargs):
        data["bands"] = tuple(data["bands"])
        data["excluded_causes"] = frozenset(data["excluded_causes"])
        return model.UptimePolicy(**{k: v for k, v in data.items() if v is not None})


class OutageSchema(Schema):
    severity = fields.String(validate=validate.OneOf(model.SEVERITIES), load_default="critical")
    block_hours = StrictDecimal(minimum=0, exclusive_minimum=True, maximum=744, places=4, load_default=None)
    days_per_block = StrictDecimal(minimum=0, exclusive_minimum=True, maximum=31, places=4, load_default=None)
    rounding = fields.String(validate=validate.OneOf(["completed", "started"]), load_default="completed")
    scope = fields.String(validate=validate.OneOf(["period", "incident"]), load_default="period")
    delivery = fields.String(validate=validate.OneOf(model.DELIVERIES), load_default="license_extension")
    excluded_causes = fields.List(fields.String(validate=validate.OneOf(NOT_PROVIDER)), load_default=None)
    maintenance_notice_hours = StrictDecimal(minimum=0, maximum=8760, places=4, load_default=None)

    @post_load
    def make(self, data, **kwargs):
        if data.get("excluded_causes") is not None:
            data["excluded_causes"] = frozenset(data["excluded_causes"])
        return model.OutagePolicy(**{k: v for k, v in data.items() if v is not None})


class FinesSchema(Schema):
    base_amount = Amount(load_default=None)
    multiplier = StrictDecimal(minimum=1, maximum=1000, places=4, load_default=None)
    first_fined_occurrence = StrictInteger(validate=validate.Range(1, 1000), load_default=None)
    max_fine = Amount(load_default=None)

    @post_load
    def make(self, data, **kwargs):
        return model.FinesPolicy(**{k: v for k, v in data.items() if v is not None})


class LevelRatesSchema(Schema):
    class Meta:
        fields_order = ("1", "2")

    level_1 = Amount(data_key="1", required=True)
    level_2 = Amount(data_key="2", required=True)


class DiscountsSchema(Schema):
    GOD = Percent(load_default=0)
    BEDRE = Percent(load_default=0)
    BEDST = Percent(load_default=0)


class SupportSchema(Schema):
    rates = fields.Nested(LevelRatesSchema, load_default=None)
    minimum_minutes = StrictInteger(validate=validate.Range(0, 1440), load_default=None)
    free_minutes_with_agreement = StrictInteger(validate=validate.Range(0, 1440), load_default=None)
    agreement_discounts = fields.Nested(DiscountsSchema, load_default=None)
    after_hours_surcharge_percent = StrictDecimal(minimum=0, maximum=1000, places=4, load_default=None)
    mileage_rate = Amount(load_default=None)
    vat_percent = Percent(load_default=None)

    @post_load
    def make(self, data, **kwargs):
        if data.get("rates") is not None:
            data["rates"] = {"1": data["rates"]["level_1"], "2": data["rates"]["level_2"]}
        return model.SupportPolicy(**{k: v for k, v in data.items() if v is not None})


class BusinessHoursSchema(Schema):
    # uniqueItems and maxItems: what policies._lists_past_their_bounds holds new input to (a stored policy
    # from before it still reads)
    weekdays = fields.List(fields.String(validate=validate.OneOf(model.WEEKDAYS)), validate=validate.Length(min=1),
                           load_default=None, metadata={"uniqueItems": True})
    start = ClockTime(load_default=None)
    end = ClockTime(load_default=None)
    holidays = fields.String(validate=validate.OneOf(SUPPORTED_HOLIDAY_COUNTRIES), allow_none=True,
                             load_default="DK")
    extra_closed_dates = fields.List(Day(), load_default=list, metadata={"uniqueItems": True, "maxItems": 1000})

    @post_load
    def make(self, data, **kwargs):
        hours = model.BusinessHours(
            weekdays=frozenset(model.WEEKDAYS.index(d) for d in data["weekdays"]) if data["weekdays"] else
            model.BusinessHours.weekdays,
            start=data["start"] or model.BusinessHours.start,
            end=data["end"] or model.BusinessHours.end,
            holidays=data["holidays"],
            extra_closed_dates=frozenset(data["extra_closed_dates"]),
        )
        if hours.start >= hours.end:
            raise ValidationError("Business hours must end after they start on the same day.", "end")
        return hours


class TargetSchema(Schema):
    response = Duration(load_default=None)
    resolution = Duration(load_default=None)
    clock = fields.String(validate=validate.OneOf(["calendar", "business"]), load_default="calendar")
    breach_credit = Amount(load_default=None)

    @post_load
    def make(self, data, **kwargs):
        return model.Target(**data)


class TicketTargetsSchema(Schema):
    clock_starts = fields.String(validate=validate.OneOf(["opened", "confirmed"]), load_default="opened")
    priorities = fields.Dict(keys=fields.String(validate=Pattern(r"^[A-Za-z0-9_-]{1,32}$")),
                             values=fields.Nested(TargetSchema), required=True,
                             validate=validate.Length(min=1, max=50))

    @post_load
    def make(self, data, **kwargs):
        return model.TicketPolicy(priorities=data["priorities"], clock_starts=data["clock_starts"])


class ApplicationSchema(Schema):
    mode = fields.String(validate=validate.OneOf(model.APPLICATION_MODES), required=True)
    cash_refund = StrictBoolean(load_default=False)
    claim_window_months = StrictInteger(validate=validate.Range(1, 120), load_default=None)
    refund_days_on_termination = StrictInteger(validate=validate.Range(0, 3650), load_default=None)

    @post_load
    def make(self, data, **kwargs):
        return model.ApplicationPolicy(**data)


class PolicySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    currency = fields.String(validate=validate.OneOf(sorted(CURRENCY_EXPONENTS)), load_default=None)
    uptime = fields.Nested(UptimeSchema, allow_none=True, load_default=None)
    outage_credit = fields.Nested(OutageSchema, allow_none=True, load_default=None)
    repeat_bug_fines = fields.Nested(FinesSchema, allow_none=True, load_default=None)
    support_billing = fields.Nested(SupportSchema, allow_none=True, load_default=None)
    business_hours = fields.Nested(BusinessHoursSchema, allow_none=True, load_default=None)
    ticket_targets = fields.Nested(TicketTargetsSchema, allow_none=True, load_default=None)
    application = fields.Nested(ApplicationSchema, allow_none=True, load_default=None)

    @validates_schema
    def amounts_have_a_currency(self, data, **kwargs):
        # Fines, support rates and breach credits are amounts: their defaults are VND (fines) and
        # DKK (rates), so a policy that states amounts must say in which currency.
        targets = data.get("ticket_targets")
        credits = targets is not None and any(t.breach_credit is not None for t in targets.priorities.values())
        if not data.get("currency") and (data.get("repeat_bug_fines") or data.get("support_billing") or credits):
            raise ValidationError("A policy with fines, support rates or breach credits names its currency.",
                                  "currency")

    @post_load
    def make(self, data, **kwargs):
        data.pop("description", None)
        return model.Policy(**data)
