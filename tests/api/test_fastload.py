"""The load from bytes (schemas/fastload.py) gives exactly what jsonio + marshmallow give, or hands over."""
import copy
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from creditsvc.jsonio import loads
from creditsvc.schemas.calculation import CalculationRequestSchema
from creditsvc.schemas.compiled import CompiledLoad
from creditsvc.schemas.fastload import HandOver, compile_json_load
from creditsvc.schemas.records import RECORD_SCHEMAS
from tests.api.conftest import OCTOBER_DK, SEPTEMBER_3CX
from tests.api.test_compiled import HookedOuter
from tests.api.test_calculations import ALL_PATHS, corrupted, json_values
from tests.calculators.factories import fast

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from typical_month import calculation_body  # noqa: E402

REQUEST = CalculationRequestSchema()
FAST = compile_json_load(REQUEST)


def ordinary(schema: Schema, body: bytes):
    """What the ordinary road makes of a body: (result, None), or (None, the refusal)."""
    try:
        return Schema.load(schema, loads(body)), None
    except (ValidationError, json.JSONDecodeError) as error:
        return None, error


def assert_same_or_handed_over(schema: Schema, body: bytes, load=None):
    expected, refusal = ordinary(schema, body)
    try:
        result = (load or compile_json_load(schema))(body)
    except HandOver:
        return "handed over"
    assert refusal is None, (body[:300], refusal)  # never takes what the ordinary road refuses
    assert result == expected
    return "fast"


def encoded(body: dict, ascii_only: bool = True) -> bytes:
    return json.dumps(body, ensure_ascii=ascii_only).encode("utf-8")


@pytest.mark.parametrize("ascii_only", [True, False], ids=["escaped", "utf-8"])
@pytest.mark.parametrize("body", [calculation_body(), SEPTEMBER_3CX, OCTOBER_DK], ids=["typical", "3cx", "dk"])
def test_a_valid_request_loads_from_bytes_as_marshmallow_loads_it_without_handing_over(body, ascii_only):
    body = copy.deepcopy(body)
    body.setdefault("as_of", "2026-11-01T00:00:00Z")  # else each load takes its own "now"
    raw = encoded(body, ascii_only)
    expected, refusal = ordinary(REQUEST, raw)
    assert refusal is None
    assert FAST(raw) == expected
    assert REQUEST.load_body(raw) == expected


def test_the_loaded_timestamps_are_utc_and_numbers_decimal_as_on_the_ordinary_road():
    body = copy.deepcopy(OCTOBER_DK)
    body["as_of"] = "2026-11-01T00:00:00+01:00"
    request = FAST(encoded(body))
    assert request.as_of.utcoffset().total_seconds() == 0 and request.as_of.hour == 23
    case = request.support_cases[0]
    assert case.started_at.tzinfo == request.as_of.tzinfo
    assert type(request.contract.fee.amount).__name__ == "Decimal"


@fast(400)
@given(index=st.integers(0, len(ALL_PATHS) - 1), value=json_values, delete=st.booleans())
def test_any_corruption_of_a_valid_request_loads_as_marshmallow_loads_it_or_hands_over(index, value, delete):
    body = corrupted(index, value, delete, as_of="2026-11-01T00:00:00Z")
    if body is not None:
        assert_same_or_handed_over(REQUEST, encoded(body), FAST)


TIMESTAMP_TEXT = st.lists(st.sampled_from(list("0123456789-:+TtZz.,_ \u0660\uff10W")), min_size=0, max_size=4)


@fast(400)
@given(position=st.integers(0, 25), insert=TIMESTAMP_TEXT, cut=st.integers(0, 3),
       field=st.sampled_from(["started_at", "ended_at"]))
def test_any_timestamp_text_loads_as_marshmallow_reads_it_or_hands_over(position, insert, cut, field):
    # msgspec's own datetimes would read a lowercase t or z, and round 7 fractional digits into a second
    text = "2026-09-10T09:00:00+07:00"
    text = text[:position] + "".join(insert) + text[position + cut:]
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["as_of"] = "2026-11-01T00:00:00Z"
    body["incidents"][0][field] = text
    assert_same_or_handed_over(REQUEST, encoded(body, ascii_only=False), FAST)


@pytest.mark.parametrize("text", ["2026-09-10t09:00:00+07:00", "2026-09-10T09:00:00z", "2026-09-10T08:59:59.9999999Z",
                                  "2026-09-10T09:00:00.000000+07:00", " 2026-09-10T09:00:00+07:00", "2026-09-10 09:00:00Z",
                                  "1969-12-31T23:00:00-01:00", "1969-12-31T23:59:59Z", "2199-12-31T23:59:59-23:59",
                                  "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00"])
def test_timestamps_at_the_edges_of_the_grammar_and_the_range_load_as_marshmallow_reads_them(text):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["as_of"] = text
    assert_same_or_handed_over(REQUEST, encoded(body), FAST)


@pytest.mark.parametrize("raw", [
    b'{"contract": 1, "contract": 2}', b"[]", b"null", b'"x"', b"\xef\xbb\xbf{}", b"{} x", b"{\"period\": NaN}",
    b"{\"period\": \"2026-09\", \"x\": \"\\u0000\"}", b"{\"period\": \"\\ud800\"}", b"[" * 5000 + b"]" * 5000,
    b'{"period": "2026-09", "incidents": [' + b"1" * 5000 + b"]}", b'{"period": "2026-09", "as_of": "\\u0032026-09-01T00:00:00Z"}',
])
def test_bodies_jsonio_reads_specially_take_the_ordinary_road_or_load_alike(raw):
    assert_same_or_handed_over(REQUEST, raw, FAST)


def test_a_body_that_escapes_a_nul_inside_a_valid_request_is_handed_over_to_be_refused():
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["contract"]["customer"]["name"] = "Acme\x00"
    raw = encoded(body)
    assert ordinary(REQUEST, raw)[1] is not None
    with pytest.raises(HandOver):
        FAST(raw)


@fast(300)
@given(data=st.data())
def test_any_byte_edit_of_a_valid_body_loads_as_the_ordinary_road_or_hands_over(data):
    body = copy.deepcopy(OCTOBER_DK)
    body["as_of"] = "2026-11-01T00:00:00Z"
    raw = bytearray(encoded(body, ascii_only=False))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + data.draw(st.integers(0, 2))] = data.draw(st.binary(min_size=0, max_size=3)
                                                              | st.sampled_from([b'"', b",", b"}", b"]", b"1", b"t"]))
    assert_same_or_handed_over(REQUEST, bytes(raw), FAST)


@pytest.mark.parametrize("name", sorted(RECORD_SCHEMAS))
def test_every_record_of_the_worked_examples_loads_from_bytes_as_marshmallow_loads_it(name):
    schema = RECORD_SCHEMAS[name]()
    records = SEPTEMBER_3CX.get(name, []) + OCTOBER_DK.get(name, []) + calculation_body()[name]
    assert records
    for record in records:
        assert assert_same_or_handed_over(schema, encoded(record)) == "fast"


def test_string_lengths_count_characters_as_marshmallow_does_astral_ones_included():
    class Named(Schema):
        name = fields.String(required=True, validate=validate.Length(min=2, max=3))
        kind = fields.String(validate=validate.OneOf(["a", "b"]), load_default="a")
        code = fields.String(validate=[validate.Length(equal=2), validate.Regexp("^[a-z]+$")])

    for value in ({"name": "𝔸𝔹"}, {"name": "𝔸𝔹𝔻𝔼"}, {"name": "x"}, {"name": "ab", "kind": "c"}, {"name": "ab", "kind": "b"},
                  {"name": "ab", "code": "ab"}, {"name": "ab", "code": "a1"}, {"name": "ab", "code": "abc"},
                  {"name": None}, {}, {"name": "ab", "other": 1}):
        assert_same_or_handed_over(Named(), encoded(value, ascii_only=False))
    assert compile_json_load(Named())(b'{"name": "\xf0\x9d\x94\xb8\xf0\x9d\x94\xb9"}') == {"name": "𝔸𝔹", "kind": "a"}


def test_hooks_defaults_nesting_and_null_run_as_marshmallow_runs_them():
    schema = HookedOuter()
    outcomes = [assert_same_or_handed_over(schema, encoded(value)) for value in (
        {"items": [{"n": 1}, {"n": 2, "name": "b", "tags": ["x"]}]}, {"items": [], "extra": {"n": 5}},
        {"items": [], "extra": None, "count": None}, {"items": [], "count": "7"})]
    assert outcomes == ["fast"] * 4
    for value in ({"items": [{"n": 13}]}, {"items": [{"n": -1}]}, {"items": [{"n": 1, "other": 1}]},
                  {"items": [None]}, {"items": "x"}, {}, {"items": [{"n": "x"}]}, [], {"items": [{"n": 1}] * 3},
                  {"items": [{"n": 1, "name": None}]}):
        with pytest.raises(HandOver):
            schema.load_body(encoded(value))


def test_schemas_it_would_load_differently_are_refused_when_compiled():
    class Preloaded(Schema):
        a = fields.String()

        @pre_load
        def strip(self, data, **kwargs):
            return data

    class Original(Schema):
        a = fields.String()

        @post_load(pass_original=True)
        def keep(self, data, original, **kwargs):
            return data

    for schema in (Preloaded(), Original(), Schema.from_dict({"a": fields.String()})(unknown="include"),
                   CalculationRequestSchema(many=True), CalculationRequestSchema(partial=True)):
        with pytest.raises(TypeError):
            compile_json_load(schema)


def test_the_calculation_endpoint_takes_a_valid_body_by_the_fast_road(client, monkeypatch):
    taken = []
    fast_load = CompiledLoad.load_body
    monkeypatch.setattr(CompiledLoad, "load_body", lambda self, body: taken.append(1) or fast_load(self, body))
    monkeypatch.setattr(CalculationRequestSchema, "load", lambda *a, **k: pytest.fail("the ordinary road was taken"))
    response = client.post("/v1/calculations", json=SEPTEMBER_3CX)
    assert response.status_code == 200, response.json
    assert taken == [1] and response.json["credit_total"] == "400000"


def test_a_refused_body_gets_marshmallows_own_errors_over_http(client, monkeypatch):
    body = copy.deepcopy(SEPTEMBER_3CX)
    body["incidents"][0]["cause"] = "gremlins"
    fast_response = client.post("/v1/calculations", json=body)
    monkeypatch.setattr(CompiledLoad, "load_body", lambda self, raw: (_ for _ in ()).throw(HandOver()))
    ordinary_response = client.post("/v1/calculations", json=body)
    assert fast_response.status_code == ordinary_response.status_code == 422
    assert fast_response.json == ordinary_response.json
    assert "incidents.0.cause" in fast_response.json["errors"]


def test_schemas_the_fast_road_cannot_load_alike_hand_every_body_over_instead_of_failing():
    class Lenient(CompiledLoad, Schema):  # unknown keys skipped unread: jsonio would refuse some of them
        class Meta:
            unknown = "exclude"

        a = fields.String()

    class Dotted(CompiledLoad, Schema):
        a = fields.String(attribute="x.y")

    class Preloaded(CompiledLoad, Schema):
        a = fields.String()

        @pre_load
        def same(self, data, **kwargs):
            return data

    huge = b'{"a": "x", "junk": ' + b"1" * 5000 + b"}"
    assert ordinary(Lenient(), huge)[1] is not None  # a 400 on the ordinary road
    for schema, body in ((Lenient(), huge), (Lenient(), b'{"a": "x", "junk": "\xff\xfe"}'), (Dotted(), b'{"a": "x"}'),
                         (Preloaded(), b'{"a": "x"}')):
        with pytest.raises(TypeError):
            compile_json_load(schema)
        for _ in range(2):  # the refusal is remembered, not compiled again
            with pytest.raises(HandOver):
                schema.load_body(body)


def test_the_parser_takes_a_schema_class_by_the_ordinary_road(app):
    from werkzeug.exceptions import UnprocessableEntity

    from creditsvc.api.blueprint import DecimalParser

    with app.test_request_context("/", method="POST", data=b'{"period": "2026-09"}', content_type="application/json"):
        with pytest.raises(UnprocessableEntity) as refused:  # webargs' own 422, not an AttributeError (a 500)
            DecimalParser().parse(CalculationRequestSchema, location="json")
    assert "contract" in refused.value.data["messages"]["json"]
