"""The compiled dump and load give exactly what marshmallow's own dump and load of the same schema give."""
import copy
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema

from creditsvc.calculators.statement import compute_statement
from creditsvc.schemas.calculation import CalculationRequestSchema
from creditsvc.schemas.compiled import CompiledLoad, compile_dump, compile_load
from creditsvc.schemas.fields import utc_text
from creditsvc.schemas.statement import StatementSchema, dump_statement
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX
from tests.api.test_calculations import ALL_PATHS, corrupted, json_values
from tests.calculators.factories import fast
from tests.calculators.test_properties import random_statements

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from typical_month import calculation_body  # noqa: E402

REFERENCE = StatementSchema()


@fast(500)
@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 31),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=7)), ZoneInfo("Europe/Copenhagen"),
                                               timezone(timedelta(hours=-3, minutes=-30)), ZoneInfo("UTC")])))
def test_a_timestamp_leaves_as_isoformat_in_utc_with_z_writes_it(moment):
    """utc_text takes msgspec's road; what it writes is isoformat's text, microseconds included."""
    assert utc_text(moment) == moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@fast(300)
@given(random_statements())
def test_compiled_dump_equals_marshmallow_dump_on_random_statements(statement):
    assert dump_statement(statement) == REFERENCE.dump(statement)


def test_compiled_dump_equals_marshmallow_dump_on_the_typical_month_with_every_section():
    statement = compute_statement(CalculationRequestSchema().load(calculation_body()))
    assert statement.uptime and statement.outage_credit and statement.support and statement.tickets
    dumped = dump_statement(statement)
    assert dumped == REFERENCE.dump(statement)
    assert dumped["support"]["lines"] and dumped["tickets"]["compliance"]


def test_compile_dump_refuses_what_it_would_dump_differently():
    class Hooked(Schema):
        a = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {k: v.upper() for k, v in data.items()}

    class Defaulted(Schema):
        a = fields.String(dump_default="x")

    for schema in (Hooked(), Defaulted(), StatementSchema(many=True), StatementSchema(only=("currency",))):
        with pytest.raises(TypeError):
            compile_dump(schema)


def test_compiled_dump_skips_absent_attributes_and_keeps_none_as_marshmallow_does():
    class Inner(Schema):
        n = fields.Integer(data_key="number")

    class Outer(Schema):
        name = fields.String()
        inner = fields.Nested(Inner, allow_none=True)
        things = fields.List(fields.Nested(Inner))
        flag = fields.Boolean()

    for value in ({"name": "x", "inner": None, "things": [{"n": 2}], "flag": False},
                  {"name": 5, "inner": {"n": 1}, "things": []},
                  {}):
        assert compile_dump(Outer())(value) == Outer().dump(value)


# --- load ------------------------------------------------------------------------------------------

REQUEST = CalculationRequestSchema()
COMPILED = compile_load(REQUEST)


def marshmallow_load(body):
    """What marshmallow itself makes of the body: the result, or the ValidationError's messages."""
    try:
        return Schema.load(REQUEST, body), None
    except ValidationError as error:
        return None, error.messages


@pytest.mark.parametrize("body", [calculation_body(), SEPTEMBER_3CX, OCTOBER_DK], ids=["typical", "3cx", "dk"])
def test_compiled_load_of_a_valid_request_equals_marshmallows_without_handing_over(body):
    body = copy.deepcopy(body)
    body.setdefault("as_of", "2026-11-01T00:00:00Z")  # else each load takes its own "now"
    expected, errors = marshmallow_load(body)
    assert errors is None
    assert COMPILED(body) == expected  # the compiled road itself, not a hand-over
    assert REQUEST.load(body) == expected


@fast(400)
@given(index=st.integers(0, len(ALL_PATHS) - 1), value=json_values, delete=st.booleans())
def test_a_compiled_load_of_any_corrupted_request_equals_marshmallows_or_hands_over(index, value, delete):
    body = corrupted(index, value, delete, as_of="2026-11-01T00:00:00Z")
    if body is None:
        return
    expected, errors = marshmallow_load(body)
    try:
        compiled = COMPILED(body)
    except Exception:  # noqa: BLE001 - handing over is always allowed
        compiled = None
    else:
        assert errors is None, (ALL_PATHS[index], value, errors)  # never accepts what marshmallow refuses
        assert compiled == expected
    if errors is None:
        assert REQUEST.load(body) == expected
    else:
        with pytest.raises(ValidationError) as refused:
            REQUEST.load(body)
        assert refused.value.messages == errors  # errors are always marshmallow's own


class HookedItem(CompiledLoad, Schema):
    """A schema with a validator, a data_key, a callable default and both kinds of hook (also for
    test_fastload)."""
    n = fields.Integer(required=True, validate=validate.NoneOf([13]))
    label = fields.String(load_default="none", data_key="name")
    tags = fields.List(fields.String(), load_default=list)

    @validates_schema
    def positive(self, data, **kwargs):
        if data["n"] < 0:
            raise ValidationError("negative", "n")

    @post_load
    def pair(self, data, **kwargs):
        return (data["n"], data["label"], tuple(data["tags"]))


class HookedOuter(CompiledLoad, Schema):
    items = fields.List(fields.Nested(HookedItem), required=True, validate=validate.Length(max=2))
    extra = fields.Nested(HookedItem, allow_none=True, load_default=None)
    count = fields.Integer(allow_none=True)


def test_compiled_load_runs_hooks_defaults_and_validators_as_marshmallow_does():
    schema = HookedOuter()
    for data in ({"items": [{"n": 1}, {"n": 2, "name": "b", "tags": ["x"]}]},
                 {"items": [], "extra": {"n": 5}},
                 {"items": [], "extra": None}):
        assert compile_load(schema)(data) == Schema.load(schema, data) == schema.load(data)
    for data in ({"items": [{"n": 13}]}, {"items": [{"n": -1}]}, {"items": [{"n": 1, "other": 1}]},
                 {"items": [None]}, {"items": "x"}, {}, {"items": [{"n": "x"}]}, []):
        with pytest.raises(Exception):  # noqa: B017 - any refusal hands over
            compile_load(schema)(data)
        with pytest.raises(ValidationError) as refused:
            schema.load(data)
        with pytest.raises(ValidationError) as reference:
            Schema.load(schema, data)
        assert refused.value.messages == reference.value.messages


def test_a_statement_response_is_byte_for_byte_what_jsonify_writes_for_it(app):
    from flask import jsonify

    from creditsvc.jsonio import json_response

    statement = dump_statement(compute_statement(CalculationRequestSchema().load(calculation_body())))
    statement["contract_id"] = "Công ty <Đồng> \"Tâm\"\n\u2028"  # escapes and non-ASCII alike too
    with app.app_context():
        ours, flasks = json_response(statement), jsonify(statement)
    assert ours.mimetype == flasks.mimetype == "application/json" and ours.status_code == 200
    assert ours.data == flasks.data
