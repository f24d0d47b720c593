"""The compiled statement dump gives exactly what marshmallow's own dump of the same schema gives."""
import sys
from pathlib import Path

import pytest
from hypothesis import given
from marshmallow import Schema, fields, post_dump

from creditsvc.calculators.statement import compute_statement
from creditsvc.schemas.calculation import CalculationRequestSchema
from creditsvc.schemas.compiled import compile_dump
from creditsvc.schemas.statement import StatementSchema, dump_statement
from tests.calculators.factories import fast
from tests.calculators.test_properties import random_statements

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from typical_month import calculation_body  # noqa: E402

REFERENCE = StatementSchema()


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
